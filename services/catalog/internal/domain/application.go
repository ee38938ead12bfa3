package domain

import (
	"slices"
	"time"
)

// Objection states.
const (
	ObjectionRaised    = "RAISED"
	ObjectionDismissed = "DISMISSED"
	ObjectionUpheld    = "UPHELD"
)

// Application is an application on an asset (first registration, change, correction,
// cancellation). It changes only through Asset.Apply, which keeps it and its asset
// consistent.
type Application struct {
	ID                    string
	AssetID               string
	Type                  AppType
	State                 AppState
	Proposed              *Record
	Reason                string
	Submitter             string
	SubmitterOrganisation string
	SubmitTime            time.Time
	UpdateTime            time.Time
	PublicityStart        time.Time
	PublicityEnd          time.Time
	AssetRevision         int64
	History               []Step
	Objections            []Objection
}

// Step is one entry of an application's history.
type Step struct {
	Action     string    `json:"action"`
	Actor      string    `json:"actor"`
	Time       time.Time `json:"time"`
	ReasonCode string    `json:"reason_code,omitempty"`
	Reason     string    `json:"reason,omitempty"`
}

// Objection is an objection filed during publicity.
type Objection struct {
	ID                string
	Text              string
	Filer             string
	FilerOrganisation string
	FileTime          time.Time
	State             string
	Resolver          string
	ResolveTime       time.Time
	Resolution        string
}

// Name returns the application's resource name.
func (p *Application) Name() string {
	return "assets/" + p.AssetID + "/applications/" + p.ID
}

// ObjectionName returns an objection's resource name.
func (p *Application) ObjectionName(o Objection) string {
	return p.Name() + "/objections/" + o.ID
}

func (p *Application) clone() Application {
	c := *p
	if p.Proposed != nil {
		r := p.Proposed.Clone()
		c.Proposed = &r
	}
	c.History = slices.Clone(p.History)
	c.Objections = slices.Clone(p.Objections)
	return c
}

// filedBy reports whether subject submitted or resubmitted the application: either makes
// them its applicant for the separation of duties.
func (p *Application) filedBy(subject string) bool {
	if p.Submitter == subject {
		return true
	}
	for _, h := range p.History {
		if (h.Action == string(ActSubmit) || h.Action == string(ActResubmit)) && h.Actor == subject {
			return true
		}
	}
	return false
}
