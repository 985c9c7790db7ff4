package news

import (
	"context"
	"time"
)

// Role is what an account may do: an editor publishes, edits and deletes
// articles; an admin also manages accounts and reads the audit log.
type Role string

// The roles.
const (
	// RoleEditor publishes, edits and deletes articles.
	RoleEditor Role = "editor"
	// RoleAdmin does what an editor does, manages accounts and reads the audit log.
	RoleAdmin Role = "admin"
)

// ParseRole returns the role named s, or an EInvalid error about the field "role".
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleEditor, RoleAdmin:
		return r, nil
	}
	return "", FieldError("role", "must be %q or %q", RoleEditor, RoleAdmin)
}

// MaxUserNameLen is the longest account name.
const MaxUserNameLen = 64

// AdminTokenUser is the name the server's bootstrap -admin-token acts under,
// in the audit log; no account may take it.
const AdminTokenUser = "admin-token"

// ValidateUserName refuses a name that is not 1 to MaxUserNameLen of a-z,
// 0-9, '.', '_' and '-', starting with a letter or digit, or that is
// reserved.
func ValidateUserName(name string) error {
	if name == "" || len(name) > MaxUserNameLen {
		return FieldError("name", "must be 1 to %d characters", MaxUserNameLen)
	}
	for i, c := range []byte(name) {
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '.' && c != '_' && c != '-') {
			return FieldError("name", "must be lower-case letters, digits, '.', '_' and '-', starting with a letter or digit")
		}
	}
	if name == AdminTokenUser {
		return FieldError("name", "%q is reserved for the server's -admin-token", AdminTokenUser)
	}
	return nil
}

// Password length bounds: long enough not to be guessed, short enough that
// hashing one costs a bounded time.
const (
	// MinPasswordLen is the shortest password an account may be given, in bytes.
	MinPasswordLen = 12
	// MaxPasswordLen is the longest password an account may be given, in bytes.
	MaxPasswordLen = 1024
)

// ValidatePassword refuses a password shorter than MinPasswordLen or longer
// than MaxPasswordLen bytes.
func ValidatePassword(p string) error {
	if len(p) < MinPasswordLen || len(p) > MaxPasswordLen {
		return FieldError("password", "must be %d to %d bytes long", MinPasswordLen, MaxPasswordLen)
	}
	return nil
}

// User is an account of the newsroom.
type User struct {
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
}

// Token is a personal API token, as listed: the secret itself is shown once
// at its creation and only its hash is stored.
type Token struct {
	ID        string    `json:"id"`
	Owner     string    `json:"owner"`
	Name      string    `json:"name,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	LastUsed  time.Time `json:"last_used,omitzero"`
}

// MaxTokenNameLen is the longest label of a personal token.
const MaxTokenNameLen = 100

// Audit actions, as the audit log names them; their values are part of the API.
const (
	// ActionSignIn is a successful sign-in.
	ActionSignIn = "signin"
	// ActionSignInFailed is a failed sign-in to an existing account.
	ActionSignInFailed = "signin_failed"
	// ActionSignOut is a sign-out.
	ActionSignOut = "signout"
	// ActionPublish is an article created.
	ActionPublish = "publish"
	// ActionEdit is an article replaced.
	ActionEdit = "edit"
	// ActionDelete is an article deleted (retracted).
	ActionDelete = "delete"
	// ActionTokenCreate is a personal token created.
	ActionTokenCreate = "token_create"
	// ActionTokenDelete is a personal token deleted.
	ActionTokenDelete = "token_delete"
	// ActionUserAdd is an account created.
	ActionUserAdd = "user_add"
	// ActionUserDisable is an account disabled.
	ActionUserDisable = "user_disable"
	// ActionLive is the back-off switch set (PUT /api/live); Title names the mode.
	ActionLive = "live_mode"
)

// authorKey is the context key of the person an article write is made for.
type authorKey struct{}

// WithAuthor returns a copy of ctx naming the person on whose behalf the
// article writes made with it are. A Store records each such write
// (CreateArticle, UpdateArticle, DeleteArticle) in the audit log in the
// write's own transaction: a write by a person is never without its entry.
func WithAuthor(ctx context.Context, user string) context.Context {
	return context.WithValue(ctx, authorKey{}, user)
}

// AuthorFrom returns the person ctx names for article writes, if any.
func AuthorFrom(ctx context.Context) (user string, ok bool) {
	user, ok = ctx.Value(authorKey{}).(string)
	return user, ok
}

// ArticleAudit is the audit entry of an article write made for ctx's author
// (AuthorFrom), at the time now: for a retraction (ActionDelete) the id
// alone, as a retraction keeps no text. ok is false when ctx names no author.
func ArticleAudit(ctx context.Context, action string, a Article, now time.Time) (e AuditEntry, ok bool) {
	user, ok := AuthorFrom(ctx)
	if !ok {
		return AuditEntry{}, false
	}
	e = AuditEntry{At: now.UTC(), User: user, Action: action, ArticleID: a.ID, Title: a.Title}
	if action == ActionDelete {
		e.Title = ""
	}
	return e, true
}

// AuditEntry is one record of the audit log: who did what, when, to which
// article (ArticleID and Title; for other actions Title names the subject,
// such as an account or a token id). It never holds a secret.
type AuditEntry struct {
	At        time.Time `json:"at"`
	User      string    `json:"user"`
	Action    string    `json:"action"`
	ArticleID string    `json:"article_id"`
	Title     string    `json:"title"`
}

// Audit log bounds of a listing.
const (
	// DefaultAuditLimit is how many entries GET /api/audit lists without a limit.
	DefaultAuditLimit = 100
	// MaxAuditLimit is the most entries one listing may ask for.
	MaxAuditLimit = 1000
)

// Accounts keeps the newsroom's accounts, sessions, personal tokens and
// audit log. Secrets reach it only as hashes: a password hash (a KDF's
// encoded output) and the SHA-256 of session ids and tokens, hex-encoded.
// Errors are *Error: ENotFound for a missing user, session or token,
// EConflict for a name taken.
type Accounts interface {
	// CreateUser stores a new account with its password hash; EConflict if the name is taken.
	CreateUser(ctx context.Context, u User, passwordHash string) error
	// Users lists every account by name.
	Users(ctx context.Context) ([]User, error)
	// PasswordHash returns an account and its password hash.
	PasswordHash(ctx context.Context, name string) (User, string, error)
	// DisableUser disables an account and ends its sessions and tokens.
	DisableUser(ctx context.Context, name string) error

	// CreateSession stores a session of user, by the hash of its id, until expires.
	CreateSession(ctx context.Context, idHash, user string, expires time.Time) error
	// Session returns the user of an unexpired session of an enabled account.
	Session(ctx context.Context, idHash string, now time.Time) (User, error)
	// DeleteSession ends a session; ending one that does not exist is no error.
	DeleteSession(ctx context.Context, idHash string) error

	// CreateToken stores a personal token by the hash of its secret.
	CreateToken(ctx context.Context, t Token, hash string) error
	// Tokens lists the tokens of owner, of everyone when owner is "", oldest first.
	Tokens(ctx context.Context, owner string) ([]Token, error)
	// DeleteToken removes a token by its id.
	DeleteToken(ctx context.Context, id string) error
	// TokenByHash returns the token with the hash and its owner, who must be enabled.
	TokenByHash(ctx context.Context, hash string) (Token, User, error)
	// TouchToken records that a token was used at a time.
	TouchToken(ctx context.Context, id string, at time.Time) error

	// AppendAudit adds an entry to the audit log.
	AppendAudit(ctx context.Context, e AuditEntry) error
	// Audit lists up to limit entries, newest first.
	Audit(ctx context.Context, limit int) ([]AuditEntry, error)
}
