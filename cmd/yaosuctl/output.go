package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/text/width"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// compactProtoJSON is m as protojson on one line. protojson deliberately varies its
// whitespace between builds, so the output goes through encoding/json to be stable.
func compactProtoJSON(m proto.Message) ([]byte, error) {
	raw, err := protojson.MarshalOptions{Multiline: false}.Marshal(m)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// printProtoJSON writes m as indented protojson (camelCase field names, as the gRPC JSON
// mapping has them) followed by a newline.
func printProtoJSON(w io.Writer, m proto.Message) error {
	raw, err := compactProtoJSON(m)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return err
	}
	buf.WriteByte('\n')
	_, err = w.Write(buf.Bytes())
	return err
}

// table writes rows as aligned columns separated by two spaces.
//
// Not text/tabwriter: it takes every character as one column wide, and asset names are
// often Chinese, which terminals draw two columns wide, so every column after a Chinese
// name would be out of line.
type table struct {
	rows [][]string
}

func (t *table) row(cells ...string) {
	for i, c := range cells {
		// A tab or line break inside a value would break the layout.
		cells[i] = strings.Map(func(r rune) rune {
			if r == '\t' || r == '\n' || r == '\r' {
				return ' '
			}
			return r
		}, c)
	}
	t.rows = append(t.rows, cells)
}

func (t *table) write(w io.Writer) error {
	var widths []int
	for _, r := range t.rows {
		for i, c := range r {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	var b strings.Builder
	for _, r := range t.rows {
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-displayWidth(c)+2))
			}
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// displayWidth is how many terminal columns s takes: two for East Asian wide and
// full-width characters (汉字, full-width punctuation), one for the rest.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

// orDash shows empty table cells as "-" so columns stay readable.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func fprintfErr(w io.Writer, format string, args ...any) {
	_, _ = fmt.Fprintf(w, format, args...)
}

// printPage writes one page of a listing: out as JSON (-o json) or as text by writeText;
// then, when there is a next page, more (how to fetch it) on stderr.
func (g *globals) printPage(cmd *cobra.Command, out proto.Message, writeText func(io.Writer) error, next, more string) error {
	w := cmd.OutOrStdout()
	var err error
	if g.output == outputJSON {
		err = printProtoJSON(w, out)
	} else {
		err = writeText(w)
	}
	if err != nil {
		return err
	}
	if next != "" {
		fprintfErr(cmd.ErrOrStderr(), "%s\n", more)
	}
	return nil
}
