// Package app holds the catalog's use cases: it authorises the caller, runs the domain
// rules, and hands the aggregate and its events to the store in one transaction.
package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/errs"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/services/catalog/internal/domain"
	"yaosu.dev/services/catalog/internal/protoconv"
	"yaosu.dev/services/catalog/internal/store"
)

// ServiceName is the event source and schema of the catalog.
const ServiceName = "catalog"

// Event types the catalog emits.
const (
	EventAssetCreated = "catalog.asset.created"
)

// App is the catalog's application layer.
type App struct {
	store *store.Store
	now   func() time.Time
}

// New returns the application layer over st; now is the clock (tests inject one).
func New(st *store.Store, now func() time.Time) *App {
	if now == nil {
		now = time.Now
	}
	return &App{store: st, now: now}
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
		CrossOrganisationWrite: p.Has(auth.RoleAdmin),
		CrossOrganisationRead:  p.ReadsAllOrganisations(),
	}, nil
}

// CreateAssetInput is a draft to create.
type CreateAssetInput struct {
	DisplayName        string
	Summary            string
	HolderOrganisation string
	RequestID          string
}

// CreateAsset creates a draft asset and its catalog.asset.created event.
func (a *App) CreateAsset(ctx context.Context, in CreateAssetInput) (*domain.Asset, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return nil, err
	}
	asset, err := domain.NewDraft(id.String(), in.DisplayName, in.Summary, in.HolderOrganisation, c.Subject, a.now())
	if err != nil {
		return nil, err
	}
	if err := c.CheckCreate(asset.HolderOrganisation()); err != nil {
		return nil, err
	}
	created, _, err := a.store.CreateAsset(ctx, asset, c.Organisation, in.RequestID, func(as *domain.Asset) ([]*eventsv1.Event, error) {
		ev, err := messaging.NewEvent(ctx, ServiceName, EventAssetCreated, as.Name(), as.Revision(),
			&eventsv1.AssetCreated{Asset: protoconv.Asset(as)})
		if err != nil {
			return nil, err
		}
		return []*eventsv1.Event{ev}, nil
	})
	if err != nil {
		return nil, err
	}
	if !c.CanRead(created) {
		// The same organisation reused a request id for another holder: do not reveal it.
		return nil, domain.NotFound(created.Name())
	}
	return created, nil
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

// Page sizes of ListAssets.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// pageToken is the decoded form of an opaque page token: the last id of the previous page
// and a fingerprint of the query, so a token cannot be replayed against another query or
// another caller's scope.
type pageToken struct {
	V      int    `json:"v"`
	Before string `json:"b"`
	Query  string `json:"q"`
}

// decodePageToken returns the cursor of token if it is well-formed and was issued for the
// query with fingerprint fp.
func decodePageToken(token, fp string) (string, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return "", false
	}
	var pt pageToken
	if json.Unmarshal(raw, &pt) != nil || pt.V != 1 || pt.Query != fp || uuid.Validate(pt.Before) != nil {
		return "", false
	}
	return pt.Before, true
}

func queryFingerprint(scope string) string {
	m := hmac.New(sha256.New, []byte("yaosu.catalog.list.v1"))
	m.Write([]byte(scope))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:12])
}

// ListAssets returns a page of assets visible to the caller, newest first, and the token
// of the next page ("" on the last).
func (a *App) ListAssets(ctx context.Context, pageSize int, token string) ([]*domain.Asset, string, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, "", err
	}
	holder := c.Organisation
	if c.CrossOrganisationRead {
		holder = ""
	}
	fp := queryFingerprint("holder=" + holder)
	q := store.ListQuery{Holder: holder, Limit: pageSize}
	if q.Limit <= 0 {
		q.Limit = DefaultPageSize
	}
	if q.Limit > MaxPageSize {
		q.Limit = MaxPageSize
	}
	if token != "" {
		before, ok := decodePageToken(token, fp)
		if !ok {
			return nil, "", errs.InvalidArgument(domain.ReasonInvalidPageToken,
				errs.FieldViolation{Field: "page_token", Description: "malformed, or issued for a different query"})
		}
		q.Before = before
	}
	assets, err := a.store.ListAssets(ctx, q)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(assets) > q.Limit {
		assets = assets[:q.Limit]
		raw, _ := json.Marshal(pageToken{V: 1, Before: assets[len(assets)-1].ID(), Query: fp})
		next = base64.RawURLEncoding.EncodeToString(raw)
	}
	return assets, next, nil
}
