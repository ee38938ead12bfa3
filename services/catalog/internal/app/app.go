// Package app holds the catalog's use cases: it authorises the caller, runs the domain
// rules, and hands the aggregate and its events to the store in one transaction.
package app

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/errs"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/paging"
	"yaosu.dev/pkg/tlog"
	"yaosu.dev/services/catalog/internal/domain"
	"yaosu.dev/services/catalog/internal/protoconv"
	"yaosu.dev/services/catalog/internal/store"
)

// ServiceName is the event source and schema of the catalog.
const ServiceName = "catalog"

// EventAssetCreated is the type of the event CreateAsset emits; the others are
// "catalog." + the domain's effect names (domain.Effect.EventTypes).
const EventAssetCreated = "catalog.asset.created"

// Config is the registry's configuration.
type Config struct {
	// RegistryName is printed on certificates.
	RegistryName string
	// RegistrationNumberFormat formats registration numbers (domain.FormatRegistrationNumber).
	RegistrationNumberFormat string
	// PublicityWorkingDays is the length of the publicity window in working days.
	PublicityWorkingDays int
	// PublicityDuration, if set, replaces the working-day window with a fixed duration
	// (demonstrations and tests).
	PublicityDuration time.Duration
	// Holidays are non-working dates (YYYY-MM-DD) besides weekends.
	Holidays map[string]bool
	// Signer signs certificates; its origin is the certificate key's name.
	Signer *tlog.Signer
	// PageKey authenticates page tokens.
	PageKey paging.Key
}

// App is the catalog's application layer.
type App struct {
	store *store.Store
	cfg   Config
	now   func() time.Time
	log   *slog.Logger
}

// New returns the application layer over st; now is the clock (tests inject one).
func New(st *store.Store, cfg Config, now func() time.Time, log *slog.Logger) *App {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &App{store: st, cfg: cfg, now: now, log: log}
}

func caller(ctx context.Context) (domain.Caller, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		// The interceptor authenticates every RPC; reaching here without a principal is a bug.
		return domain.Caller{}, errs.Unauthenticated("no authenticated principal")
	}
	return domain.Caller{
		Subject:                p.Subject,
		Organisation:           p.Organisation,
		CanRegister:            p.Has(auth.RoleRegistrar, auth.RoleAdmin),
		Reviewer:               p.Has(auth.RoleReviewer, auth.RoleAdmin),
		CrossOrganisationWrite: p.Has(auth.RoleAdmin),
		CrossOrganisationRead:  p.ReadsAllOrganisations(),
		ReadOnly:               p.Has(auth.RoleAuditor) && !p.Has(auth.RoleRegistrar, auth.RoleReviewer, auth.RoleAdmin),
	}, nil
}

// codes returns the code lists a record cites ("" = current).
func (a *App) codes(ctx context.Context, version string) (*store.CodeSet, error) {
	set, err := a.store.CodeLists(ctx, version)
	if errs.KindOf(err) == errs.KindNotFound {
		return nil, errs.InvalidArgument(domain.ReasonUnknownCode, errs.Violation("asset.code_list_version",
			"unknown code-list version "+version, "未知的代码表版本 "+version))
	}
	return set, err
}

// CodeLists returns a code-list version ("" = current).
func (a *App) CodeLists(ctx context.Context, version string) (*store.CodeSet, error) {
	if _, err := caller(ctx); err != nil {
		return nil, err
	}
	return a.codes(ctx, version)
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// CreateAsset creates a draft asset and its catalog.asset.created event.
func (a *App) CreateAsset(ctx context.Context, rec domain.Record, requestID string) (*domain.Asset, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	codes, err := a.codes(ctx, rec.CodeListVersion)
	if err != nil {
		return nil, err
	}
	asset, err := domain.NewDraft(newID(), rec, c, codes, a.now())
	if err != nil {
		return nil, err
	}
	ev, err := messaging.NewEvent(ctx, ServiceName, EventAssetCreated, asset.Name(), asset.Revision(),
		&eventsv1.AssetCreated{Asset: protoconv.Asset(asset)})
	if err != nil {
		return nil, err
	}
	created, _, err := a.store.CreateAsset(ctx, asset, requestID, createRevision(c), []*eventsv1.Event{ev})
	if err != nil {
		return nil, err
	}
	if !c.CanRead(created) {
		// The same organisation reused a request id for another holder: do not reveal it.
		return nil, domain.NotFound(created.Name())
	}
	return created, nil
}

func createRevision(c domain.Caller) store.Revision {
	return store.Revision{Action: "create", EventType: EventAssetCreated, Actor: c.Subject, ActorOrganisation: c.Organisation}
}

// GetAsset returns the asset id if the caller may see it.
func (a *App) GetAsset(ctx context.Context, id string) (*domain.Asset, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	asset, err := a.store.GetAsset(ctx, id)
	if err != nil {
		return nil, err
	}
	if !c.CanRead(asset) {
		return nil, domain.NotFound(asset.Name())
	}
	return asset, nil
}

// Page sizes of the List methods.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

func pageSize(n int) int { return paging.Size(n, DefaultPageSize, MaxPageSize) }

// listQuery binds a catalog list query's page tokens to it.
func (a *App) listQuery(parts ...any) paging.Query {
	return a.cfg.PageKey.Query("yaosu.catalog.list.v1", domain.ReasonInvalidPageToken, parts...)
}

// ListFilter is what ListAssets filters on; empty fields do not filter.
type ListFilter struct {
	Query              string
	HolderOrganisation string
	Kinds              []string
	States             []string
	Grades             []string
	Categories         []string
	Sectors            []string
	SharingAttributes  []string
	OpenAttributes     []string
	UpdatedSince       time.Time
}

// ListAssets returns a page of assets visible to the caller, newest first, and the token
// of the next page ("" on the last).
func (a *App) ListAssets(ctx context.Context, f ListFilter, size int, token string) ([]*domain.Asset, string, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, "", err
	}
	if f.Categories, f.Sectors, err = a.filterCodes(ctx, f.Categories, f.Sectors); err != nil {
		return nil, "", err
	}
	q := store.ListQuery{
		Holder: f.HolderOrganisation, Tokens: domain.QueryTokens(f.Query), Kinds: f.Kinds, States: f.States,
		Grades: f.Grades, Categories: f.Categories, Sectors: f.Sectors, SharingAttributes: f.SharingAttributes,
		OpenAttributes: f.OpenAttributes, UpdatedSince: f.UpdatedSince, Limit: pageSize(size),
	}
	if states := c.VisibleStates(); states != nil {
		q.Viewer, q.ViewerStates = c.Organisation, stateNames(states)
	}
	if strings.TrimSpace(f.Query) != "" && len(q.Tokens) == 0 {
		// Only punctuation: nothing can match, and an empty token list would match everything.
		return nil, "", nil
	}
	pq := a.listQuery(q.Viewer, q.ViewerStates, f)
	if token != "" {
		if q.Before, err = pq.After(token); err != nil {
			return nil, "", err
		}
		if uuid.Validate(q.Before) != nil {
			return nil, "", errs.InvalidArgument(domain.ReasonInvalidPageToken, errs.Violation("page_token", "malformed", "分页令牌无效"))
		}
	}
	assets, err := a.store.ListAssets(ctx, q)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(assets) > q.Limit {
		assets = assets[:q.Limit]
		next = pq.Token(assets[len(assets)-1].ID())
	}
	return assets, next, nil
}

// filterCodes resolves the labels and aliases in a list filter's categories and sectors
// through the current code lists (交通运输 → G), as every other code the server receives;
// a value that names nothing is kept, and matches nothing.
func (a *App) filterCodes(ctx context.Context, categories, sectors []string) ([]string, []string, error) {
	if len(categories) == 0 && len(sectors) == 0 {
		return categories, sectors, nil
	}
	codes, err := a.codes(ctx, "")
	if err != nil {
		return nil, nil, err
	}
	resolve := func(list string, values []string) []string {
		out := make([]string, len(values))
		for i, v := range values {
			out[i] = v
			if code, ok := codes.Resolve(list, v); ok {
				out[i] = code
			}
		}
		return out
	}
	return resolve(domain.ListCategory, categories), resolve(domain.ListSector, sectors), nil
}

// UpdateAsset changes a draft's record on the mask's paths.
func (a *App) UpdateAsset(ctx context.Context, id string, in *catalogv1.Asset, paths []string, reason string) (*domain.Asset, error) {
	var out *domain.Asset
	err := a.act(ctx, id, actOpts{}, func(w *store.Work, c domain.Caller) (domain.Command, error) {
		rec, err := merged(w.Asset.Record(), in, paths)
		if err != nil {
			return domain.Command{}, err
		}
		return domain.Command{Action: domain.ActUpdate, ETag: in.GetEtag(), Record: &rec, Reason: reason}, nil
	}, func(w *store.Work) { out = w.Asset })
	return out, err
}

// merged applies the masked fields of in to rec.
func merged(rec domain.Record, in *catalogv1.Asset, paths []string) (domain.Record, error) {
	cur := protoconv.RecordProto(rec)
	if err := protoconv.ApplyMask(cur, in, paths); err != nil {
		return domain.Record{}, err
	}
	return protoconv.Record(cur)
}

func stateNames(states []domain.State) []string {
	out := make([]string, len(states))
	for i, s := range states {
		out[i] = string(s)
	}
	return out
}
