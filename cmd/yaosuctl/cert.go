package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/note"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
)

const (
	// envRegistryKey holds the registry's verifier key for `cert verify`.
	envRegistryKey = "YAOSU_REGISTRY_KEY"
	// certTitle is the first line of a certificate's signed note.
	certTitle = "Yaosu data asset registration certificate"
)

// certKeys are the lines of a certificate note, in the order the registry writes them.
var certKeys = []string{
	"registration_number", "asset", "asset_name", "holder_organisation", "holder_name",
	"grade", "issue_date", "registry_name", "serial",
}

func certCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cert",
		Short: "Fetch and verify registration certificates (登记证书)",
		Long: "A registration certificate is a signed note (C2SP) carrying the registration number,\n" +
			"asset, holder, grade and issue date, signed with the registry's Ed25519 key. Anyone\n" +
			"holding the certificate file and the registry's verifier key can check it offline.",
		RunE: groupRunE,
	}
	cmd.AddCommand(certGetCmd(g), certKeyCmd(g), certVerifyCmd(g))
	return cmd
}

func certGetCmd(g *globals) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "get ASSET [-f FILE]",
		Short: "Fetch an asset's current certificate",
		Long: "Fetch a registered asset's latest certificate. The signed note goes to FILE (-f), and a\n" +
			"summary including whether the certificate is revoked to stdout; without -f the note goes\n" +
			"to stdout and the summary to stderr. -o json prints the whole certificate as JSON.",
		Example: "  yaosuctl cert get 0198c6f2-... -f 证书.note\n" +
			"  yaosuctl cert get assets/0198c6f2-... > cert.note\n" +
			"  yaosuctl cert verify cert.note --key \"$(yaosuctl cert key)\"",
		Args: exactArgs(1, "one asset name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var resp *catalogv1.GetCertificateResponse
			err := g.catalogCall(cmd.Context(), func(ctx context.Context, c catalogv1.CatalogServiceClient) (err error) {
				resp, err = c.GetCertificate(ctx, &catalogv1.GetCertificateRequest{Name: assetName(args[0])})
				return err
			})
			if err != nil {
				return err
			}
			cert := resp.GetCertificate()
			stdout, summaryTo := cmd.OutOrStdout(), cmd.OutOrStdout()
			if file != "" {
				out, commit, abort, err := createOutput(file, stdout)
				if err != nil {
					return err
				}
				defer abort()
				if _, err := io.WriteString(out, cert.GetSignedNote()); err != nil {
					return err
				}
				if err := commit(); err != nil {
					return err
				}
			} else if g.output != outputJSON {
				if _, err := io.WriteString(stdout, cert.GetSignedNote()); err != nil {
					return err
				}
				summaryTo = cmd.ErrOrStderr()
			}
			if g.output == outputJSON {
				return printProtoJSON(stdout, cert)
			}
			var t table
			t.row("REGISTRATION", cert.GetRegistrationNumber())
			t.row("ASSET", cert.GetAsset())
			t.row("ASSET NAME", cert.GetAssetName())
			t.row("HOLDER", strings.TrimSpace(cert.GetHolderOrganisation()+" "+cert.GetHolderName()))
			t.row("GRADE", enumLabel(cert.GetGrade().Descriptor(), cert.GetGrade().Number()))
			t.row("ISSUED", cert.GetIssueDate())
			t.row("REGISTRY", cert.GetRegistryName())
			t.row("SERIAL", strconv.FormatInt(cert.GetSerial(), 10))
			if cert.GetRevoked() {
				t.row("REVOKED", "yes, "+formatTime(cert.GetRevokeTime())+" ("+orDash(cert.GetRevokeReason())+")")
			} else {
				t.row("REVOKED", "no")
			}
			if file != "" {
				t.row("WRITTEN TO", file)
			}
			return t.write(summaryTo)
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "write the signed note to `FILE` (default: stdout)")
	return cmd
}

func certKeyCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "key",
		Short: "Print the registry's certificate verifier key",
		Long: "Print the note verifier key (name+hash+base64) that checks this registry's certificates.\n" +
			"Publish it, or pin it where certificates are checked (--key or $" + envRegistryKey + ").",
		Example: "  yaosuctl cert key\n  export " + envRegistryKey + "=\"$(yaosuctl cert key)\"",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var resp *catalogv1.GetRegistryKeyResponse
			err := g.catalogCall(cmd.Context(), func(ctx context.Context, c catalogv1.CatalogServiceClient) (err error) {
				resp, err = c.GetRegistryKey(ctx, &catalogv1.GetRegistryKeyRequest{})
				return err
			})
			if err != nil {
				return err
			}
			if g.output == outputJSON {
				return printProtoJSON(cmd.OutOrStdout(), resp)
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), resp.GetVerifierKey())
			return err
		},
	}
}

// certificateFields is a verified certificate: its key lines in order, and who signed it.
type certificateFields struct {
	Signer string            `json:"signer"`
	Fields map[string]string `json:"fields"`
}

func certVerifyCmd(g *globals) *cobra.Command {
	var key string
	cmd := &cobra.Command{
		Use:   "verify FILE [--key VERIFIER_KEY]",
		Short: "Check a certificate's signature offline and show what it certifies",
		Long: "Check a certificate file (the signed note from `cert get`, or its -o json output) against\n" +
			"the registry's verifier key, without contacting any server, and print the certified\n" +
			"fields. The key comes from --key or $" + envRegistryKey + "; obtain it out of band\n" +
			"(`cert key` on a registry you trust). FILE - reads stdin.\n\n" +
			"Exit status 0 when the signature verifies; 1 when it does not (altered text, another\n" +
			"registry's key, or a forgery) or the file is not a certificate. Whether the certificate\n" +
			"has since been revoked only the registry can say: `cert get`.",
		Example: "  yaosuctl cert verify 证书.note --key 'yaosu.local/registry+1a2b3c4d+AbC...'\n" +
			"  " + envRegistryKey + "=\"$(cat registry.vkey)\" yaosuctl cert verify cert.note -o json",
		Args: exactArgs(1, "one certificate file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if key == "" {
				key = g.getenv(envRegistryKey)
			}
			key = strings.TrimSpace(key)
			if key == "" {
				return errors.New("--key is required (or $" + envRegistryKey + "): the registry's verifier key, from `yaosuctl cert key`")
			}
			raw, err := readInput(args[0], cmd.InOrStdin())
			if err != nil {
				return err
			}
			cert, err := verifyCertificate(raw, key)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			if g.output == outputJSON {
				return writeJSON(cmd.OutOrStdout(), cert)
			}
			w := cmd.OutOrStdout()
			fprintfErr(w, "OK: certificate signed by %s\n", cert.Signer)
			var t table
			for _, k := range certKeys {
				t.row(k, orDash(cert.Fields[k]))
			}
			return t.write(w)
		},
	}
	cmd.Flags().StringVar(&key, "key", "", "the registry's note verifier `KEY` (env "+envRegistryKey+")")
	return cmd
}

// verifyCertificate checks the signed note in raw (or in the signed_note of a JSON
// certificate) with the verifier key and returns its fields.
func verifyCertificate(raw []byte, verifierKey string) (*certificateFields, error) {
	if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '{' {
		var j struct {
			SignedNote  string `json:"signedNote"`
			SignedNote2 string `json:"signed_note"`
		}
		if err := json.Unmarshal(t, &j); err != nil {
			return nil, fmt.Errorf("neither a signed note nor a certificate as JSON: %w", err)
		}
		raw = []byte(cmpOr(j.SignedNote, j.SignedNote2))
		if len(raw) == 0 {
			return nil, errors.New(`JSON without a "signedNote"`)
		}
	}
	v, err := note.NewVerifier(verifierKey)
	if err != nil {
		return nil, fmt.Errorf("--key %q is not a note verifier key (name+hash+base64): %w", verifierKey, err)
	}
	// Windows editors add \r; the note format is \n only, so a CRLF copy could never verify.
	raw = bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))
	n, err := note.Open(raw, note.VerifierList(v))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &invalid):
			return nil, fmt.Errorf("SIGNATURE INVALID: the certificate text does not match its signature by %s "+
				"(altered after signing, or forged)", keyName(verifierKey))
		case errors.As(err, &unverified):
			var by []string
			for _, s := range unverified.Note.UnverifiedSigs {
				by = append(by, fmt.Sprintf("%s+%08x", s.Name, s.Hash))
			}
			return nil, fmt.Errorf("NOT VERIFIED: the certificate is not signed by %s (signed by %s): another registry's key, "+
				"or the wrong key", keyName(verifierKey), orDash(strings.Join(by, ", ")))
		}
		return nil, fmt.Errorf("not a signed certificate note: %w", err)
	}
	fields, err := parseCertificateText(n.Text)
	if err != nil {
		return nil, err
	}
	return &certificateFields{Signer: keyName(verifierKey), Fields: fields}, nil
}

// parseCertificateText reads the certificate lines: the title, then `key: value` lines.
func parseCertificateText(text string) (map[string]string, error) {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) == 0 || lines[0] != certTitle {
		return nil, fmt.Errorf("the signed note is not a registration certificate (first line %q, want %q)", lines[0], certTitle)
	}
	fields := map[string]string{}
	for _, l := range lines[1:] {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			return nil, fmt.Errorf("certificate line %q is not `key: value`", l)
		}
		fields[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	// The registry may leave out an empty line (no holder name); these two make a certificate.
	var missing []string
	for _, k := range []string{"registration_number", "asset"} {
		if fields[k] == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("the certificate lacks %s", strings.Join(missing, ", "))
	}
	return fields, nil
}
