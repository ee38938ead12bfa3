package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at build time: go build -ldflags "-X main.version=v1.2.3".
var version = ""

// buildVersion is version, else the module version Go recorded, else "dev".
func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func versionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print yaosuctl's version",
		Example: "  yaosuctl version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v, goVersion, platform := buildVersion(), runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH
			if g.output == outputJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(map[string]string{
					"version": v, "go": goVersion, "platform": platform,
				})
			}
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "yaosuctl %s (%s, %s)\n", v, goVersion, platform)
			return err
		},
	}
}
