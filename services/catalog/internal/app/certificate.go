package app

import (
	"context"
	"time"

	"yaosu.dev/services/catalog/internal/domain"
	"yaosu.dev/services/catalog/internal/store"
)

// issueCertificate signs the asset's next certificate inside the work's transaction.
func (a *App) issueCertificate(w *store.Work, now time.Time) error {
	serial, err := w.NextCertificateSerial()
	if err != nil {
		return err
	}
	c := domain.NewCertificate(w.Asset, serial, a.cfg.RegistryName, now)
	note, err := a.cfg.Signer.SignNote(c.Text())
	if err != nil {
		return err
	}
	c.Note = string(note)
	w.Certificate = &c
	return nil
}

// GetCertificate returns the asset's latest certificate, revoked or not.
func (a *App) GetCertificate(ctx context.Context, assetID string) (*domain.Certificate, error) {
	if _, err := a.GetAsset(ctx, assetID); err != nil {
		return nil, err
	}
	return a.store.Certificate(ctx, assetID)
}

// RegistryKey returns the registry's name and its certificate verifier key.
func (a *App) RegistryKey(ctx context.Context) (string, string, error) {
	if _, err := caller(ctx); err != nil {
		return "", "", err
	}
	return a.cfg.RegistryName, a.cfg.Signer.VerifierKey(), nil
}
