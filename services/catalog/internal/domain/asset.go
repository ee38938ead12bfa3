package domain

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"yaosu.dev/pkg/errs"
)

// Reasons, the names of catalogv1.ErrorReason values (a test keeps them in step).
const (
	ReasonInvalidOrganisationCode = "ERROR_REASON_INVALID_ORGANISATION_CODE"
	ReasonAssetNotFound           = "ERROR_REASON_ASSET_NOT_FOUND"
	ReasonHolderNotCallerOrg      = "ERROR_REASON_HOLDER_NOT_CALLER_ORGANISATION"
	ReasonInvalidPageToken        = "ERROR_REASON_INVALID_PAGE_TOKEN"
)

// State is an asset's registration state.
type State string

// States. Only DRAFT exists so far; the registration workflow adds the rest.
const (
	StateDraft State = "DRAFT"
)

// Asset is a data resource or data product in the registry.
type Asset struct {
	id                 string
	displayName        string
	summary            string
	holderOrganisation string
	state              State
	revision           int64
	creator            string
	createTime         time.Time
	updateTime         time.Time
}

// NewDraft creates a draft asset. id is the asset's opaque id (a UUIDv7 chosen by the
// caller, so the store can order by it).
func NewDraft(id, displayName, summary, holderOrganisation, creator string, now time.Time) (*Asset, error) {
	displayName = strings.TrimSpace(displayName)
	var violations []errs.FieldViolation
	if displayName == "" {
		violations = append(violations, errs.FieldViolation{Field: "asset.display_name", Description: "must not be blank"})
	} else if utf8.RuneCountInString(displayName) > 200 {
		violations = append(violations, errs.FieldViolation{Field: "asset.display_name", Description: "must be at most 200 characters"})
	}
	if len(violations) > 0 {
		return nil, errs.InvalidArgument(errs.ReasonValidation, violations...)
	}
	if !ValidUSCC(holderOrganisation) {
		e := errs.InvalidArgument(ReasonInvalidOrganisationCode, errs.FieldViolation{
			Field: "asset.holder_organisation", Description: "not a valid unified social credit code (GB 32100 check digit)"})
		return nil, e
	}
	now = now.UTC().Truncate(time.Microsecond) // Postgres keeps microseconds
	return &Asset{
		id:                 id,
		displayName:        displayName,
		summary:            strings.TrimSpace(summary),
		holderOrganisation: holderOrganisation,
		state:              StateDraft,
		revision:           1,
		creator:            creator,
		createTime:         now,
		updateTime:         now,
	}, nil
}

// Snapshot is an asset's stored form, for the store to save and load.
type Snapshot struct {
	ID                 string
	DisplayName        string
	Summary            string
	HolderOrganisation string
	State              State
	Revision           int64
	Creator            string
	CreateTime         time.Time
	UpdateTime         time.Time
}

// Snapshot returns the asset's stored form.
func (a *Asset) Snapshot() Snapshot {
	return Snapshot{a.id, a.displayName, a.summary, a.holderOrganisation, a.state, a.revision,
		a.creator, a.createTime, a.updateTime}
}

// FromSnapshot rebuilds an asset loaded from the store.
func FromSnapshot(s Snapshot) *Asset {
	return &Asset{s.ID, s.DisplayName, s.Summary, s.HolderOrganisation, s.State, s.Revision,
		s.Creator, s.CreateTime, s.UpdateTime}
}

// ID returns the asset's id.
func (a *Asset) ID() string { return a.id }

// Name returns the asset's resource name, assets/{id}.
func (a *Asset) Name() string { return "assets/" + a.id }

// DisplayName returns the asset's name.
func (a *Asset) DisplayName() string { return a.displayName }

// Summary returns the asset's summary.
func (a *Asset) Summary() string { return a.summary }

// HolderOrganisation returns the holding unit's code.
func (a *Asset) HolderOrganisation() string { return a.holderOrganisation }

// State returns the registration state.
func (a *Asset) State() State { return a.state }

// Revision returns the revision, which grows by one per committed change.
func (a *Asset) Revision() int64 { return a.revision }

// ETag returns the entity tag derived from the revision.
func (a *Asset) ETag() string { return `W/"` + strconv.FormatInt(a.revision, 10) + `"` }

// Creator returns the subject that created the asset.
func (a *Asset) Creator() string { return a.creator }

// CreateTime returns when the asset was created.
func (a *Asset) CreateTime() time.Time { return a.createTime }

// UpdateTime returns when the asset last changed.
func (a *Asset) UpdateTime() time.Time { return a.updateTime }

// NotFound is the error for an asset that does not exist or is not visible to the caller;
// the two are deliberately indistinguishable.
func NotFound(name string) error {
	return errs.NotFound(ReasonAssetNotFound, "%s not found", name)
}
