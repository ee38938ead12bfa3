package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
)

// evidenceKinds are the document kinds an asset's evidence takes (catalog.proto Document.kind).
var evidenceKinds = []string{"legal_basis", "source", "commitment_letter", "power_of_attorney", "disposal_evidence", "other"}

// attachAttempts bounds the read-modify-write of `asset attach`: a concurrent change of the
// asset (another field, another attachment) makes the etag stale, and reading again is
// the right answer; a steady stream of changes is not, so it gives up.
const attachAttempts = 3

func assetAttachCmd(g *globals) *cobra.Command {
	var kind, name, reason string
	cmd := &cobra.Command{
		Use:   "attach NAME FILE... --kind KIND [--name DOC-NAME] [--reason R]",
		Short: "Add local files to an asset's evidence (证明材料) by their SHA-256 and size",
		Long: "Reference local documents as the asset's evidence: each FILE is read once, as a stream,\n" +
			"for its SHA-256 and size (the file is not uploaded; keep it, since the hash is what a\n" +
			"reviewer checks it against). The documents are added to the draft's evidence with one\n" +
			"update guarded by the asset's etag; a document whose SHA-256 is already there is not\n" +
			"added twice.\n\n" +
			"--kind is one of " + strings.Join(evidenceKinds, ", ") + " (a bureau filing as an\n" +
			"agent attaches the power_of_attorney). --name replaces the file's base name (one FILE only).",
		Example: "  yaosuctl asset attach 0198c6f2-... 登记承诺书.pdf --kind commitment_letter\n" +
			"  yaosuctl asset attach 0198c6f2-... 授权书.pdf 采集协议.pdf --kind legal_basis\n" +
			"  yaosuctl asset attach 0198c6f2-... scan-0042.pdf --kind power_of_attorney --name '委托代理授权书.pdf'",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return fmt.Errorf("%s takes an asset name and at least one file (got %d arguments)\nRun '%s --help' for usage.",
					cmd.CommandPath(), len(args), cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if name != "" && len(args) > 2 {
				return errors.New("--name names one document: give one FILE with it")
			}
			docs, err := hashEvidence(args[1:], kind)
			if err != nil {
				return err
			}
			if name != "" {
				docs[0].Name = name
			}
			a, added, err := attachEvidence(cmd.Context(), g, assetName(args[0]), docs, reason)
			if err != nil {
				return err
			}
			if skipped := len(docs) - added; skipped > 0 {
				fprintfErr(cmd.ErrOrStderr(), "%d document(s) already in the evidence (same SHA-256), not added again\n", skipped)
			}
			return printAsset(cmd.OutOrStdout(), g.output, a)
		},
	}
	f := cmd.Flags()
	f.StringVar(&kind, "kind", "", "document kind (required): "+strings.Join(evidenceKinds, ", "))
	f.StringVar(&name, "name", "", "document name to record instead of the file's base name (one FILE only)")
	f.StringVar(&reason, "reason", "", "why, recorded with the revision")
	_ = cmd.MarkFlagRequired("kind")
	return cmd
}

// hashEvidence references each file as a document of kind, in order.
func hashEvidence(paths []string, kind string) ([]*catalogv1.Document, error) {
	kind = strings.TrimSpace(kind)
	if !slices.Contains(evidenceKinds, kind) {
		return nil, fmt.Errorf("--kind must be one of %s, not %q", strings.Join(evidenceKinds, ", "), kind)
	}
	docs := make([]*catalogv1.Document, 0, len(paths))
	for _, p := range paths {
		d, err := documentOf(p)
		if err != nil {
			return nil, fmt.Errorf("evidence %s: %w", p, err)
		}
		d.Kind = kind
		docs = append(docs, d)
	}
	return docs, nil
}

// mergeEvidence appends to existing the documents whose SHA-256 it does not hold yet
// (nor an earlier one of docs), and says how many it added.
func mergeEvidence(existing, docs []*catalogv1.Document) ([]*catalogv1.Document, int) {
	have := make(map[string]bool, len(existing)+len(docs))
	for _, d := range existing {
		have[strings.ToLower(d.GetSha256())] = true
	}
	merged := slices.Clone(existing)
	for _, d := range docs {
		if key := strings.ToLower(d.GetSha256()); !have[key] {
			have[key] = true
			merged = append(merged, d)
		}
	}
	return merged, len(merged) - len(existing)
}

// attachEvidence adds docs to the evidence of the asset called name: read, merge, update
// with the etag read (evidence only), again on ABORTED. Nothing is written when every
// document is already there.
func attachEvidence(ctx context.Context, g *globals, name string, docs []*catalogv1.Document, reason string) (*catalogv1.Asset, int, error) {
	client, closeConn, err := g.catalogClient()
	if err != nil {
		return nil, 0, err
	}
	defer closeConn()
	for attempt := 1; ; attempt++ {
		a, added, err := attachOnce(ctx, g, client, name, docs, reason)
		if status.Code(err) == codes.Aborted && attempt < attachAttempts {
			continue
		}
		if err != nil {
			return nil, 0, g.rpcFailed(err)
		}
		return a, added, nil
	}
}

func attachOnce(ctx context.Context, g *globals, client catalogv1.CatalogServiceClient, name string,
	docs []*catalogv1.Document, reason string) (*catalogv1.Asset, int, error) {
	rctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	got, err := client.GetAsset(rctx, &catalogv1.GetAssetRequest{Name: name})
	if err != nil {
		return nil, 0, err
	}
	merged, added := mergeEvidence(got.GetAsset().GetEvidence(), docs)
	if added == 0 {
		return got.GetAsset(), 0, nil
	}
	resp, err := client.UpdateAsset(rctx, &catalogv1.UpdateAssetRequest{
		Asset:      &catalogv1.Asset{Name: name, Etag: got.GetAsset().GetEtag(), Evidence: merged},
		UpdateMask: fieldMask([]string{"evidence"}),
		Reason:     reason,
	})
	if err != nil {
		return nil, 0, err
	}
	return resp.GetAsset(), added, nil
}

// evidenceFiles is the --evidence-file flag of `asset create` and `asset update`: local
// files, each FILE or FILE:KIND, referenced by SHA-256 and size as `asset attach` does.
type evidenceFiles []string

// documents hashes the files; a file without :KIND is of kind "other".
func (e evidenceFiles) documents() ([]*catalogv1.Document, error) {
	var docs []*catalogv1.Document
	for _, spec := range e {
		path, kind := spec, "other"
		if i := strings.LastIndexByte(spec, ':'); i > 0 && slices.Contains(evidenceKinds, spec[i+1:]) {
			path, kind = spec[:i], spec[i+1:]
		}
		d, err := hashEvidence([]string{path}, kind)
		if err != nil {
			return nil, fmt.Errorf("--evidence-file: %w", err)
		}
		docs = append(docs, d...)
	}
	return docs, nil
}

const evidenceFileHelp = "a local `FILE[:KIND]` to add to the evidence by SHA-256 and size (KIND: legal_basis, source, " +
	"commitment_letter, power_of_attorney, other; default other); repeat for several"

// addEvidenceFiles adds docs to the update a (with mask) of `asset update --evidence-file`:
// to the evidence the update sets when its mask names it, else to the asset's current
// evidence, read now (its etag guards the update when none was given).
func addEvidenceFiles(ctx context.Context, client catalogv1.CatalogServiceClient, a *catalogv1.Asset,
	mask []string, docs []*catalogv1.Document) ([]string, error) {
	if slices.Contains(mask, "evidence") {
		a.Evidence, _ = mergeEvidence(a.GetEvidence(), docs)
		return mask, nil
	}
	got, err := client.GetAsset(ctx, &catalogv1.GetAssetRequest{Name: a.GetName()})
	if err != nil {
		return nil, err
	}
	if a.Etag == "" {
		a.Etag = got.GetAsset().GetEtag()
	}
	a.Evidence, _ = mergeEvidence(got.GetAsset().GetEvidence(), docs)
	return append(mask, "evidence"), nil
}
