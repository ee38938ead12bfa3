package domain

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Certificate is a registration certificate (登记证书): what it certifies, and the signed
// note that proves it.
type Certificate struct {
	AssetID            string
	Serial             int64
	RegistrationNumber string
	AssetName          string
	HolderOrganisation string
	HolderName         string
	Grade              string
	IssueDate          string
	RegistryName       string
	// Note is the signed note (text + signature lines).
	Note         string
	IssueTime    time.Time
	RevokeTime   time.Time
	RevokeReason string
}

// CertificateTitle is the first line of every certificate note.
const CertificateTitle = "Yaosu data asset registration certificate"

// registryZone is the registry's calendar (China Standard Time) for issue dates and
// working days.
var registryZone = time.FixedZone("CST", 8*3600)

// NewCertificate describes the certificate of a registered asset at time now.
func NewCertificate(a *Asset, serial int64, registryName string, now time.Time) Certificate {
	r := a.s.Record
	return Certificate{
		AssetID: a.s.ID, Serial: serial, RegistrationNumber: a.s.RegistrationNumber, AssetName: r.DisplayName,
		HolderOrganisation: r.HolderOrganisation, HolderName: r.HolderName,
		Grade: strings.TrimPrefix(r.Grade, "GRADE_"), IssueDate: now.In(registryZone).Format(time.DateOnly),
		RegistryName: registryName, IssueTime: now.UTC().Truncate(time.Microsecond),
	}
}

// Text is the certificate's note text (before signing): a title line and `key: value`
// lines. Newlines inside values would break the format, so they become spaces.
func (c Certificate) Text() string {
	var b strings.Builder
	b.WriteString(CertificateTitle + "\n")
	line := func(k, v string) {
		fmt.Fprintf(&b, "%s: %s\n", k, strings.Join(strings.Fields(v), " "))
	}
	line("registration_number", c.RegistrationNumber)
	line("asset", "assets/"+c.AssetID)
	line("asset_name", c.AssetName)
	line("holder_organisation", c.HolderOrganisation)
	line("holder_name", c.HolderName)
	line("grade", c.Grade)
	line("issue_date", c.IssueDate)
	line("registry_name", c.RegistryName)
	line("serial", strconv.FormatInt(c.Serial, 10))
	return b.String()
}

// FormatRegistrationNumber renders a registration number from format: {YYYY} is the year
// of registration (registry calendar), {SEQ:n} the sequence number zero-padded to n digits
// ({SEQ} unpadded); other text is kept. The default format is YS-{YYYY}-{SEQ:8}, giving
// YS-2026-00000042. The sequence never repeats, so neither does the number.
func FormatRegistrationNumber(format string, seq int64, now time.Time) string {
	out := strings.ReplaceAll(format, "{YYYY}", now.In(registryZone).Format("2006"))
	for {
		i := strings.Index(out, "{SEQ")
		if i < 0 {
			return out
		}
		j := strings.Index(out[i:], "}")
		if j < 0 {
			return out
		}
		spec := out[i+4 : i+j]
		s := strconv.FormatInt(seq, 10)
		if w, err := strconv.Atoi(strings.TrimPrefix(spec, ":")); err == nil && strings.HasPrefix(spec, ":") {
			s = fmt.Sprintf("%0*d", w, seq)
		}
		out = out[:i] + s + out[i+j+1:]
	}
}

// ValidRegistrationNumberFormat reports whether format contains a sequence placeholder,
// without which numbers would repeat.
func ValidRegistrationNumberFormat(format string) bool { return strings.Contains(format, "{SEQ") }

// PublicityEnd returns when a publicity window of workingDays opened at start ends: at
// midnight (registry calendar) after the last full working day. The start day does not
// count. holidays are extra non-working dates (YYYY-MM-DD); Saturdays and Sundays never
// count. Make-up working weekends (调休) are not modelled: list the surrounding holidays.
func PublicityEnd(start time.Time, workingDays int, holidays map[string]bool) time.Time {
	d := start.In(registryZone)
	day := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, registryZone)
	for n := 0; n < workingDays; {
		day = day.AddDate(0, 0, 1)
		if wd := day.Weekday(); wd != time.Saturday && wd != time.Sunday && !holidays[day.Format(time.DateOnly)] {
			n++
		}
	}
	return day.AddDate(0, 0, 1).UTC()
}
