package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"math"
	"mime"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"newswidget/app/news"
)

// SessionCookie is the name of the session cookie that POST /api/session sets.
const SessionCookie = "newswidget_session"

// SessionLifetime is how long a session lasts after its sign-in.
const SessionLifetime = 12 * time.Hour

// tokenPrefix starts every personal token, telling it from the admin token
// (and letting secret scanners find one that leaked).
const tokenPrefix = "nwt_"

// maxSecretLen bounds a presented token or session id: a longer one is
// wrong without a look at the store.
const maxSecretLen = 200

// maxAccountBody bounds the body of a sign-in, token or account request.
const maxAccountBody = 8 << 10

// principal is who a request acts as: an account, or the bootstrap admin
// token.
type principal struct {
	name   string
	role   news.Role
	cookie bool   // signed in by the session cookie
	token  string // the id of the personal token it came with, if any
}

// principalKey is the context key of a *principalSlot.
type principalKey struct{}

// principalSlot carries the principal authenticate found to what runs
// after it in the same request (the audit record of an article write).
type principalSlot struct{ p *principal }

// withPrincipalSlot gives a request a slot for its principal.
func withPrincipalSlot(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, &principalSlot{})))
	}
}

// authenticate finds who a request acts as: the admin token or a personal
// token (Authorization: Bearer), else a session cookie. Wrong credentials
// spend the client's failure budget; a cookie-authenticated write must come
// from this site's own pages (Origin, Sec-Fetch-Site), so another site
// cannot make a signed-in browser write.
func (s *Server) authenticate(r *http.Request) (*principal, error) {
	client, peer := s.clientKey(r), parseHostAddr(r.RemoteAddr).Unmap()
	if wait := s.auth.refused(client, peer); wait > 0 {
		s.auth.fail(client, peer, false)
		return nil, retryAfter(wait, "too many wrong tokens or passwords from this address; retry in %d s")
	}
	p, err := s.resolve(r)
	if err != nil {
		return nil, err
	}
	if p == nil {
		if s.adminToken == "" && !s.hasAccounts(r.Context()) {
			return nil, news.Errorf(news.EForbidden, "publishing is disabled: start the server with -admin-token TOKEN (or NEWSWIDGET_ADMIN_TOKEN), or add an account with `newswidget users add NAME -role admin`, to enable it")
		}
		s.auth.fail(client, peer, true)
		return nil, news.Errorf(news.EUnauthorized, "a valid Authorization: Bearer <admin token> header is required, or a personal token in its place, or a signed-in session")
	}
	if p.cookie && r.Method != http.MethodGet && r.Method != http.MethodHead && !s.sameOrigin(r) {
		return nil, news.Errorf(news.EForbidden, "a write with the session cookie must come from this site's own pages (Origin %s)", s.publicOrigin())
	}
	if slot, ok := r.Context().Value(principalKey{}).(*principalSlot); ok {
		slot.p = p
	}
	return p, nil
}

// carriesCredentials reports whether r names anyone at all: an
// Authorization header or a session cookie, right or wrong.
func carriesCredentials(r *http.Request) bool {
	_, err := r.Cookie(SessionCookie)
	return err == nil || r.Header.Get("Authorization") != ""
}

// resolve returns the principal of the request's credentials, nil for
// none or wrong ones.
func (s *Server) resolve(r *http.Request) (*principal, error) {
	ctx := r.Context()
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, token, _ := strings.Cut(strings.TrimSpace(auth), " ")
		token = strings.TrimSpace(token)
		if !strings.EqualFold(scheme, "Bearer") || token == "" {
			return nil, nil
		}
		if s.adminToken != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.adminToken)) == 1 {
			return &principal{name: news.AdminTokenUser, role: news.RoleAdmin}, nil
		}
		if s.accounts == nil || len(token) > maxSecretLen || !strings.HasPrefix(token, tokenPrefix) {
			return nil, nil
		}
		t, u, err := s.accounts.TokenByHash(ctx, hashSecret(token))
		if err != nil {
			return nil, notFoundIsNil(err)
		}
		if now := time.Now(); now.Sub(t.LastUsed) > time.Minute {
			s.accounts.TouchToken(ctx, t.ID, now.UTC()) // best effort: a read-only store still authenticates
		}
		return &principal{name: u.Name, role: u.Role, token: t.ID}, nil
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" || s.accounts == nil || len(c.Value) > maxSecretLen {
		return nil, nil
	}
	u, err := s.accounts.Session(ctx, hashSecret(c.Value), time.Now())
	if err != nil {
		return nil, notFoundIsNil(err)
	}
	return &principal{name: u.Name, role: u.Role, cookie: true}, nil
}

// notFoundIsNil drops an ENotFound error, keeping any other.
func notFoundIsNil(err error) error {
	if news.ErrorCode(err) == news.ENotFound {
		return nil
	}
	return err
}

// sameOrigin reports whether a request comes from this site's own pages:
// Sec-Fetch-Site, when sent, says same-origin, and Origin is the public
// URL's origin or the host the request was sent to.
func (s *Server) sameOrigin(r *http.Request) bool {
	site := r.Header.Get("Sec-Fetch-Site")
	if site != "" && site != "same-origin" {
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return site == "same-origin"
	}
	if origin == s.publicOrigin() {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Path == "" && strings.EqualFold(u.Host, r.Host)
}

// hasAccounts reports whether the store keeps any account, so that
// publishing can be enabled without an admin token. Once true it stays so.
func (s *Server) hasAccounts(ctx context.Context) bool {
	if s.accounts == nil {
		return false
	}
	if s.anyAccount.Load() {
		return true
	}
	l, err := s.accounts.Users(ctx)
	if err == nil && len(l) > 0 {
		s.anyAccount.Store(true)
		return true
	}
	return false
}

// requireAccounts refuses a request when the store keeps no accounts.
func (s *Server) requireAccounts() error {
	if s.accounts == nil {
		return news.Errorf(news.EUnavailable, "this server's store keeps no accounts")
	}
	return nil
}

// requireAdmin authenticates a request that only an admin may make.
func (s *Server) requireAdmin(r *http.Request) (*principal, error) {
	p, err := s.authenticate(r)
	if err != nil {
		return nil, err
	}
	if p.role != news.RoleAdmin {
		return nil, news.Errorf(news.EForbidden, "only an admin may do this")
	}
	return p, nil
}

// retryAfter is a rate-limit error with its Retry-After; format has one %d,
// the seconds.
func retryAfter(wait time.Duration, format string) error {
	secs := max(1, int(math.Ceil(wait.Seconds())))
	return &retryError{news.Errorf(ERateLimited, format, secs), secs}
}

// nameKey is the failure-budget key of an account name.
func nameKey(name string) netip.Addr {
	h := sha256.Sum256([]byte("newswidget sign-in name\x00" + name))
	return netip.AddrFrom16([16]byte(h[:16]))
}

// decodeBody reads a JSON object of at most maxAccountBody bytes into v,
// refusing unknown fields.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return news.Errorf(news.EInvalid, "Content-Type must be application/json")
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAccountBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return news.Errorf(ETooLarge, "request body is larger than %d bytes", maxAccountBody)
		}
		return news.Errorf(news.EInvalid, "request body could not be read: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return news.FieldError(strings.Trim(field, `"`), "is not a field of this request")
		}
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return news.Errorf(news.EInvalid, "request body must hold one JSON object")
	}
	return nil
}

// noContent answers 204 to an API request.
func noContent(w http.ResponseWriter) {
	apiHeaders(w.Header())
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// writePrivate writes a JSON response no cache may keep.
func (s *Server) writePrivate(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, status, v)
}

// authored is the request's context naming its principal as the author of
// the article write it makes: the store records the write in the audit log
// in the write's own transaction, so no article changes without its entry.
func (s *Server) authored(r *http.Request) context.Context {
	user := ""
	if slot, ok := r.Context().Value(principalKey{}).(*principalSlot); ok && slot.p != nil {
		user = slot.p.name
	}
	return news.WithAuthor(r.Context(), user)
}

// record appends an entry to the audit log, logging a failure.
func (s *Server) record(e news.AuditEntry) {
	if err := RecordAudit(s.accounts, e); err != nil {
		s.log.Warn("audit entry not written", "action", e.Action, "user", e.User, "article_id", e.ArticleID, "err", err)
	}
}

// RecordAudit appends an entry to the audit log of acc (none when acc is
// nil), dated now unless it has a time.
func RecordAudit(acc news.Accounts, e news.AuditEntry) error {
	if acc == nil {
		return nil
	}
	if e.At.IsZero() {
		e.At = time.Now().UTC()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return acc.AppendAudit(ctx, e)
}

// POST /api/session
func (s *Server) handleSignIn(w http.ResponseWriter, r *http.Request) error {
	if err := s.requireAccounts(); err != nil {
		return err
	}
	if r.Header.Get("Origin") != "" && !s.sameOrigin(r) { // no signing in from another site's page
		return news.Errorf(news.EForbidden, "signing in must come from this site's own pages (Origin %s)", s.publicOrigin())
	}
	var in struct {
		Name     string `json:"name"`
		Password string `json:"password"`
	}
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	client, peer := s.clientKey(r), parseHostAddr(r.RemoteAddr).Unmap()
	key := nameKey(in.Name)
	if wait := max(s.auth.refused(client, peer), s.names.refused(key)); wait > 0 {
		s.auth.fail(client, peer, false) // counted in the guard's summary, not logged one by one
		return retryAfter(wait, "too many failed sign-ins; retry in %d s")
	}
	ctx := r.Context()
	var u news.User
	hash, known := dummyHash, false
	if news.ValidateUserName(in.Name) == nil {
		var h string
		var err error
		switch u, h, err = s.accounts.PasswordHash(ctx, in.Name); {
		case err == nil:
			hash, known = h, true
		case news.ErrorCode(err) != news.ENotFound:
			return err
		}
	}
	// The same work whether the name is known or not: no enumeration by timing.
	select {
	case s.kdf <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	ok := verifyPassword(hash, in.Password)
	<-s.kdf
	ok = ok && known && !u.Disabled
	// The name is logged and audited only when it is an account's, so a
	// password typed into the name field is never kept.
	logName := "(unknown)"
	if known {
		logName = in.Name
	}
	if !ok {
		s.auth.fail(client, peer, true)
		s.names.fail(key, key, true)
		s.log.Warn("sign-in failed", "name", logName, "client", client)
		if known {
			s.record(news.AuditEntry{User: in.Name, Action: news.ActionSignInFailed})
		}
		return news.Errorf(news.EUnauthorized, "wrong name or password")
	}
	secret := newSecret("")
	if err := s.accounts.CreateSession(ctx, hashSecret(secret), u.Name, time.Now().Add(SessionLifetime)); err != nil {
		return err
	}
	s.log.Info("signed in", "name", u.Name, "client", client)
	s.record(news.AuditEntry{User: u.Name, Action: news.ActionSignIn})
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: secret, Path: "/", MaxAge: int(SessionLifetime / time.Second),
		HttpOnly: true, Secure: s.publicURL.Scheme == "https", SameSite: http.SameSiteStrictMode})
	noContent(w)
	return nil
}

// DELETE /api/session
func (s *Server) handleSignOut(w http.ResponseWriter, r *http.Request) error {
	if err := s.requireAccounts(); err != nil {
		return err
	}
	c, err := r.Cookie(SessionCookie)
	if err == nil && c.Value != "" && len(c.Value) <= maxSecretLen {
		if !s.sameOrigin(r) {
			return news.Errorf(news.EForbidden, "signing out must come from this site's own pages (Origin %s)", s.publicOrigin())
		}
		h := hashSecret(c.Value)
		u, err := s.accounts.Session(r.Context(), h, time.Now())
		if err := notFoundIsNil(err); err != nil {
			return err
		}
		if err := s.accounts.DeleteSession(r.Context(), h); err != nil {
			return err
		}
		if u.Name != "" {
			s.record(news.AuditEntry{User: u.Name, Action: news.ActionSignOut})
		}
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.publicURL.Scheme == "https", SameSite: http.SameSiteStrictMode})
	noContent(w)
	return nil
}

// tokenOwner refuses the admin token, which has no account to own tokens.
func tokenOwner(p *principal) error {
	if p.name == news.AdminTokenUser {
		return news.Errorf(news.EForbidden, "the admin token has no account: sign in as an account, or use one of its tokens, to manage personal tokens")
	}
	return nil
}

// POST /api/tokens
func (s *Server) handleCreateToken(w http.ResponseWriter, r *http.Request) error {
	if err := s.requireAccounts(); err != nil {
		return err
	}
	p, err := s.authenticate(r)
	if err != nil {
		return err
	}
	if err := tokenOwner(p); err != nil {
		return err
	}
	var in struct {
		Name string `json:"name"`
	}
	if r.ContentLength != 0 {
		if err := decodeBody(w, r, &in); err != nil {
			return err
		}
	}
	in.Name = strings.TrimSpace(in.Name)
	if !utf8.ValidString(in.Name) || utf8.RuneCountInString(in.Name) > news.MaxTokenNameLen ||
		strings.ContainsFunc(in.Name, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
		return news.FieldError("name", "must be at most %d characters of text", news.MaxTokenNameLen)
	}
	t := news.Token{ID: newID(), Owner: p.name, Name: in.Name, CreatedAt: time.Now().UTC()}
	secret := newSecret(tokenPrefix)
	if err := s.accounts.CreateToken(r.Context(), t, hashSecret(secret)); err != nil {
		return err
	}
	s.record(news.AuditEntry{User: p.name, Action: news.ActionTokenCreate, Title: "token " + t.ID})
	s.writePrivate(w, http.StatusCreated, map[string]string{"id": t.ID, "token": secret})
	return nil
}

// GET /api/tokens
func (s *Server) handleListTokens(w http.ResponseWriter, r *http.Request) error {
	if err := s.requireAccounts(); err != nil {
		return err
	}
	p, err := s.authenticate(r)
	if err != nil {
		return err
	}
	list, err := s.accounts.Tokens(r.Context(), tokenScope(p))
	if err != nil {
		return err
	}
	s.writePrivate(w, http.StatusOK, map[string][]news.Token{"tokens": list})
	return nil
}

// tokenScope is whose tokens p may list and delete: its own, or, for an
// admin, everyone's ("").
func tokenScope(p *principal) string {
	if p.role == news.RoleAdmin {
		return ""
	}
	return p.name
}

// DELETE /api/tokens/{id}
func (s *Server) handleDeleteToken(w http.ResponseWriter, r *http.Request) error {
	if err := s.requireAccounts(); err != nil {
		return err
	}
	p, err := s.authenticate(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	list, err := s.accounts.Tokens(r.Context(), tokenScope(p))
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(list, func(t news.Token) bool { return t.ID == id }) {
		return news.Errorf(news.ENotFound, "there is no token %q of yours", id)
	}
	if err := s.accounts.DeleteToken(r.Context(), id); err != nil {
		return err
	}
	s.record(news.AuditEntry{User: p.name, Action: news.ActionTokenDelete, Title: "token " + id})
	noContent(w)
	return nil
}

// GET /api/audit?limit=
func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) error {
	if err := s.requireAccounts(); err != nil {
		return err
	}
	if _, err := s.requireAdmin(r); err != nil {
		return err
	}
	q, err := strictQuery(r)
	if err != nil {
		return err
	}
	limit := news.DefaultAuditLimit
	if v := q.Get("limit"); v != "" || q.Has("limit") {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 || n > news.MaxAuditLimit {
			return news.FieldError("limit", "must be a whole number from 1 to %d", news.MaxAuditLimit)
		}
		limit = n
	}
	list, err := s.accounts.Audit(r.Context(), limit)
	if err != nil {
		return err
	}
	s.writePrivate(w, http.StatusOK, map[string][]news.AuditEntry{"entries": list})
	return nil
}

// POST /api/users
func (s *Server) handleCreateUser(w http.ResponseWriter, r *http.Request) error {
	if err := s.requireAccounts(); err != nil {
		return err
	}
	p, err := s.requireAdmin(r)
	if err != nil {
		return err
	}
	var in struct {
		Name     string `json:"name"`
		Role     string `json:"role"`
		Password string `json:"password"`
	}
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	u, generated, err := AddUser(r.Context(), s.accounts, in.Name, in.Role, in.Password, p.name)
	if err != nil {
		return err
	}
	s.anyAccount.Store(true)
	out := map[string]any{"name": u.Name, "role": u.Role}
	if generated != "" {
		out["password"] = generated
	}
	s.writePrivate(w, http.StatusCreated, out)
	return nil
}

// GET /api/users
func (s *Server) handleListUsers(w http.ResponseWriter, r *http.Request) error {
	if err := s.requireAccounts(); err != nil {
		return err
	}
	if _, err := s.requireAdmin(r); err != nil {
		return err
	}
	list, err := s.accounts.Users(r.Context())
	if err != nil {
		return err
	}
	s.writePrivate(w, http.StatusOK, map[string][]news.User{"users": list})
	return nil
}

// DELETE /api/users/{name}
func (s *Server) handleDisableUser(w http.ResponseWriter, r *http.Request) error {
	if err := s.requireAccounts(); err != nil {
		return err
	}
	p, err := s.requireAdmin(r)
	if err != nil {
		return err
	}
	if err := DisableUser(r.Context(), s.accounts, r.PathValue("name"), p.name); err != nil {
		return err
	}
	noContent(w)
	return nil
}

// AddUser creates an account with a role and a password, generating one
// (returned as generated) when password is empty, and records it in the
// audit log as done by by.
func AddUser(ctx context.Context, acc news.Accounts, name, role, password, by string) (u news.User, generated string, err error) {
	if err := news.ValidateUserName(name); err != nil {
		return u, "", err
	}
	r, err := news.ParseRole(role)
	if err != nil {
		return u, "", err
	}
	if password == "" {
		password = GeneratePassword()
		generated = password
	} else if err := news.ValidatePassword(password); err != nil {
		return u, "", err
	}
	u = news.User{Name: name, Role: r, CreatedAt: time.Now().UTC()}
	if err := acc.CreateUser(ctx, u, HashPassword(password)); err != nil {
		return news.User{}, "", err
	}
	return u, generated, RecordAudit(acc, news.AuditEntry{User: by, Action: news.ActionUserAdd, Title: "account " + name + " (" + string(r) + ")"})
}

// DisableUser disables an account, ending its sessions and tokens, and
// records it in the audit log as done by by.
func DisableUser(ctx context.Context, acc news.Accounts, name, by string) error {
	if err := acc.DisableUser(ctx, name); err != nil {
		return err
	}
	return RecordAudit(acc, news.AuditEntry{User: by, Action: news.ActionUserDisable, Title: "account " + name})
}
