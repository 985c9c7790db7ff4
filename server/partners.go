package server

import (
	"context"
	"crypto/rand"
	"net/http"
	"sync"
	"time"

	"newswidget/app/news"
)

// partnerDir knows the partner sites: the store's, read again on every
// statistics flush and after every change made here, so that a beacon is
// checked in memory; an embed asks the store itself (lookup), so that a key
// revoked by another node or the CLI stops framing at once.
type partnerDir struct {
	store news.Partners // nil: the store keeps no partners

	mu    sync.RWMutex
	byKey map[string]news.Partner // every partner, revoked ones too
}

func newPartnerDir(store news.Partners) *partnerDir {
	return &partnerDir{store: store, byKey: map[string]news.Partner{}}
}

// reload reads every partner from the store.
func (d *partnerDir) reload(ctx context.Context) error {
	if d.store == nil {
		return nil
	}
	list, err := d.store.Partners(ctx)
	if err != nil {
		return err
	}
	m := make(map[string]news.Partner, len(list))
	for _, p := range list {
		m[p.Key] = p
	}
	d.mu.Lock()
	d.byKey = m
	d.mu.Unlock()
	return nil
}

// known returns the partner of a key as last read, if it is not revoked.
func (d *partnerDir) known(key string) (news.Partner, bool) {
	d.mu.RLock()
	p, ok := d.byKey[key]
	d.mu.RUnlock()
	return p, ok && !p.Revoked
}

// lookup returns the partner of a key from the store (from memory if the
// store does not answer), revoked or not; ENotFound for an unknown key.
func (d *partnerDir) lookup(ctx context.Context, key string) (news.Partner, error) {
	notFound := news.Errorf(news.ENotFound, "no partner has this key")
	if d.store == nil || !news.ValidPartnerKey(key) {
		return news.Partner{}, notFound
	}
	p, err := d.store.PartnerByKey(ctx, key)
	switch {
	case err == nil:
		d.mu.Lock()
		d.byKey[key] = p
		d.mu.Unlock()
		return p, nil
	case news.ErrorCode(err) == news.ENotFound:
		d.mu.Lock()
		delete(d.byKey, key)
		d.mu.Unlock()
		return news.Partner{}, notFound
	}
	d.mu.RLock()
	p, ok := d.byKey[key]
	d.mu.RUnlock()
	if ok {
		return p, nil
	}
	return news.Partner{}, err
}

// requirePartners refuses a request when the store keeps no partners.
func (s *Server) requirePartners() error {
	if s.partners.store == nil {
		return news.Errorf(news.EUnavailable, "this server's store keeps no partners")
	}
	return nil
}

// POST /api/partners
func (s *Server) handleCreatePartner(w http.ResponseWriter, r *http.Request) error {
	if err := s.requirePartners(); err != nil {
		return err
	}
	p, err := s.requireAdmin(r)
	if err != nil {
		return err
	}
	var in struct {
		Name    string   `json:"name"`
		Origins []string `json:"origins"`
	}
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	partner, err := createPartner(r.Context(), s.partners.store, in.Name, in.Origins)
	if err != nil {
		return err
	}
	// The partner exists: its key, shown this once, goes to the admin even
	// when the audit log cannot take the entry, which is logged instead.
	s.record(news.AuditEntry{User: p.name, Action: news.ActionPartnerAdd, Title: "partner " + partner.Name})
	s.partners.reload(r.Context())
	s.writePrivate(w, http.StatusCreated, partner)
	return nil
}

// GET /api/partners
func (s *Server) handleListPartners(w http.ResponseWriter, r *http.Request) error {
	if err := s.requirePartners(); err != nil {
		return err
	}
	if _, err := s.requireAdmin(r); err != nil {
		return err
	}
	list, err := s.partners.store.Partners(r.Context())
	if err != nil {
		return err
	}
	s.writePrivate(w, http.StatusOK, map[string][]news.Partner{"partners": list})
	return nil
}

// DELETE /api/partners/{name}
func (s *Server) handleRevokePartner(w http.ResponseWriter, r *http.Request) error {
	if err := s.requirePartners(); err != nil {
		return err
	}
	p, err := s.requireAdmin(r)
	if err != nil {
		return err
	}
	if err := RevokePartner(r.Context(), s.partners.store, s.accounts, r.PathValue("name"), p.name); err != nil {
		return err
	}
	s.partners.reload(r.Context())
	noContent(w)
	return nil
}

// NewPartnerKey returns a new partner key: news.PartnerKeyPrefix and 130
// random bits in base32.
func NewPartnerKey() string { return news.PartnerKeyPrefix + rand.Text() }

// AddPartner creates a partner with a new key and its origins, and records
// it in the audit log of acc (if any) as done by by. A partner created
// whose audit entry failed is returned with the audit log's error.
func AddPartner(ctx context.Context, store news.Partners, acc news.Accounts, name string, origins []string, by string) (news.Partner, error) {
	p, err := createPartner(ctx, store, name, origins)
	if err != nil {
		return news.Partner{}, err
	}
	return p, RecordAudit(acc, news.AuditEntry{User: by, Action: news.ActionPartnerAdd, Title: "partner " + name})
}

// createPartner creates a partner with a new key and its origins.
func createPartner(ctx context.Context, store news.Partners, name string, origins []string) (news.Partner, error) {
	if err := news.ValidatePartnerName(name); err != nil {
		return news.Partner{}, err
	}
	list, err := news.ParsePartnerOrigins(origins)
	if err != nil {
		return news.Partner{}, err
	}
	p := news.Partner{Name: name, Key: NewPartnerKey(), Origins: list, CreatedAt: time.Now().UTC()}
	if err := store.CreatePartner(ctx, p); err != nil {
		return news.Partner{}, err
	}
	return p, nil
}

// RevokePartner revokes a partner's key for good, and records it in the
// audit log of acc (if any) as done by by.
func RevokePartner(ctx context.Context, store news.Partners, acc news.Accounts, name, by string) error {
	if err := store.RevokePartner(ctx, name); err != nil {
		return err
	}
	return RecordAudit(acc, news.AuditEntry{User: by, Action: news.ActionPartnerRevoke, Title: "partner " + name})
}
