package protoconv

import (
	"slices"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	"yaosu.dev/services/catalog/internal/domain"
)

// The record crosses between proto and domain field by field. domain.Record's JSON names
// are the API's and its enum values the proto enum names, so a JSON bridge (protojson out,
// encoding/json in) once did this without code; it cost more than half of an import's
// server time (two encodings per row each way), so the copy is written out here and
// TestRecordBridgeKeepsEveryField, which fills every Asset field and round-trips it, fails
// when a field is added to the proto and not here.

// Record extracts the holder's declaration from an API asset (output-only fields are not
// part of it).
func Record(a *catalogv1.Asset) (domain.Record, error) {
	r := domain.Record{
		DisplayName:        a.GetDisplayName(),
		Summary:            a.GetSummary(),
		HolderOrganisation: a.GetHolderOrganisation(),
		Kind:               enumName(a.GetKind()),
		ProductForm:        a.GetProductForm(),
		HolderName:         a.GetHolderName(),
		DataSource:         a.GetDataSource(),
		LegalBasis:         a.GetLegalBasis(),
		Evidence:           nilIfEmpty(Documents(a.GetEvidence())),
		Category:           a.GetCategory(),
		CodeListVersion:    a.GetCodeListVersion(),
		Sectors:            strs(a.GetSectors()),
		Grade:              enumName(a.GetGrade()),
		SharingAttribute:   enumName(a.GetSharingAttribute()),
		SharingConditions:  a.GetSharingConditions(),
		SharingBasis:       a.GetSharingBasis(),
		OpenAttribute:      enumName(a.GetOpenAttribute()),
		OpenConditions:     a.GetOpenConditions(),
		DataFormat:         a.GetDataFormat(),
		VolumeRecords:      a.GetVolumeRecords(),
		VolumeBytes:        a.GetVolumeBytes(),
		UpdateCycle:        a.GetUpdateCycle(),
		CoverageStart:      a.GetCoverageStart(),
		CoverageEnd:        a.GetCoverageEnd(),
		StorageLocation:    a.GetStorageLocation(),
		StorageMode:        a.GetStorageMode(),
		SecurityMeasures:   a.GetSecurityMeasures(),
		Tags:               strs(a.GetTags()),
	}
	if ag := a.GetAgent(); ag != nil {
		r.Agent = &domain.Agent{Organisation: ag.GetOrganisation(), Name: ag.GetName()}
	}
	for _, f := range a.GetFields() {
		r.Fields = append(r.Fields, domain.Field{Name: f.GetName(), Type: f.GetType(), Description: f.GetDescription(), Sensitive: f.GetSensitive()})
	}
	for _, c := range a.GetContacts() {
		r.Contacts = append(r.Contacts, domain.Contact{Name: c.GetName(), Role: c.GetRole(), Phone: c.GetPhone(), Email: c.GetEmail()})
	}
	if c := a.GetCatalogue(); c != nil {
		r.Catalogue = &domain.Catalogue{
			ClassCategory: c.GetClassCategory(), ClassItem: c.GetClassItem(), ClassHeading: c.GetClassHeading(),
			ClassSubheading: c.GetClassSubheading(), ResourceCode: c.GetResourceCode(), ProviderName: c.GetProviderName(),
			SharingMethod: c.GetSharingMethod(), PublicationDate: c.GetPublicationDate(),
			RelatedResourceCodes: strs(c.GetRelatedResourceCodes()), Theme: c.GetTheme(),
		}
	}
	return r, nil
}

// RecordProto is the API form of a record (no output-only fields).
func RecordProto(r domain.Record) *catalogv1.Asset {
	a := &catalogv1.Asset{
		DisplayName:        r.DisplayName,
		Summary:            r.Summary,
		HolderOrganisation: r.HolderOrganisation,
		Kind:               catalogv1.AssetKind(catalogv1.AssetKind_value[r.Kind]),
		ProductForm:        r.ProductForm,
		HolderName:         r.HolderName,
		DataSource:         r.DataSource,
		LegalBasis:         r.LegalBasis,
		Evidence:           nilIfEmpty(documents(r.Evidence)),
		Category:           r.Category,
		CodeListVersion:    r.CodeListVersion,
		Sectors:            strs(r.Sectors),
		Grade:              catalogv1.Grade(catalogv1.Grade_value[r.Grade]),
		SharingAttribute:   catalogv1.SharingAttribute(catalogv1.SharingAttribute_value[r.SharingAttribute]),
		SharingConditions:  r.SharingConditions,
		SharingBasis:       r.SharingBasis,
		OpenAttribute:      catalogv1.OpenAttribute(catalogv1.OpenAttribute_value[r.OpenAttribute]),
		OpenConditions:     r.OpenConditions,
		DataFormat:         r.DataFormat,
		VolumeRecords:      r.VolumeRecords,
		VolumeBytes:        r.VolumeBytes,
		UpdateCycle:        r.UpdateCycle,
		CoverageStart:      r.CoverageStart,
		CoverageEnd:        r.CoverageEnd,
		StorageLocation:    r.StorageLocation,
		StorageMode:        r.StorageMode,
		SecurityMeasures:   r.SecurityMeasures,
		Tags:               strs(r.Tags),
	}
	if r.Agent != nil {
		a.Agent = &catalogv1.Agent{Organisation: r.Agent.Organisation, Name: r.Agent.Name}
	}
	for _, f := range r.Fields {
		a.Fields = append(a.Fields, &catalogv1.DataField{Name: f.Name, Type: f.Type, Description: f.Description, Sensitive: f.Sensitive})
	}
	for _, c := range r.Contacts {
		a.Contacts = append(a.Contacts, &catalogv1.Contact{Name: c.Name, Role: c.Role, Phone: c.Phone, Email: c.Email})
	}
	if c := r.Catalogue; c != nil {
		a.Catalogue = &catalogv1.CatalogueMetadata{
			ClassCategory: c.ClassCategory, ClassItem: c.ClassItem, ClassHeading: c.ClassHeading,
			ClassSubheading: c.ClassSubheading, ResourceCode: c.ResourceCode, ProviderName: c.ProviderName,
			SharingMethod: c.SharingMethod, PublicationDate: c.PublicationDate,
			RelatedResourceCodes: strs(c.RelatedResourceCodes), Theme: c.Theme,
		}
	}
	return a
}

// enum is a generated proto enum.
type enum interface {
	~int32
	String() string
}

// enumName is an enum value's name as the domain stores it; the zero value (unspecified)
// is "" (not set).
func enumName[E enum](e E) string {
	if e == 0 {
		return ""
	}
	return e.String()
}

// strs copies a list of strings (the two sides never share one: the domain normalises its
// lists in place), nil when it is empty.
func strs(s []string) []string { return nilIfEmpty(slices.Clone(s)) }

// nilIfEmpty keeps "no items" one value (nil), as the stored JSON (omitempty) and the
// revision diffs see it.
func nilIfEmpty[S ~[]E, E any](s S) S {
	if len(s) == 0 {
		return nil
	}
	return s
}
