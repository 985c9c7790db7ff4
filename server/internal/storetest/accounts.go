package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"newswidget/app/news"
)

// RunAccounts runs the conformance suite of news.Accounts, calling open for
// a fresh, empty store in every sub-test (open closes it when t ends).
func RunAccounts(t *testing.T, open func(t *testing.T) news.Accounts) {
	for _, tt := range []struct {
		name string
		fn   func(t *testing.T, s news.Accounts)
	}{
		{"Users", testUsers},
		{"Sessions", testSessions},
		{"Tokens", testTokens},
		{"Disable", testDisable},
		{"Audit", testAudit},
	} {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

var accountsBase = time.Date(2026, 12, 6, 12, 0, 0, 123456789, time.UTC)

func addUser(t *testing.T, s news.Accounts, name string, role news.Role) news.User {
	t.Helper()
	u := news.User{Name: name, Role: role, CreatedAt: accountsBase}
	if err := s.CreateUser(context.Background(), u, "hash-of-"+name); err != nil {
		t.Fatalf("CreateUser(%q): %v", name, err)
	}
	return u
}

func testUsers(t *testing.T, s news.Accounts) {
	ctx := context.Background()
	if l, err := s.Users(ctx); err != nil || l == nil || len(l) != 0 {
		t.Fatalf("Users of an empty store: got %v, %v; want an empty, non-nil list", l, err)
	}
	bob := addUser(t, s, "bob", news.RoleEditor)
	ann := addUser(t, s, "ann", news.RoleAdmin)
	checkCode(t, "CreateUser of a taken name", s.CreateUser(ctx, news.User{Name: "bob", Role: news.RoleAdmin, CreatedAt: accountsBase}, "x"), news.EConflict)
	l, err := s.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []news.User{ann, bob}; !slices.EqualFunc(l, want, sameUser) {
		t.Errorf("Users: got %+v, want %+v", l, want)
	}
	u, hash, err := s.PasswordHash(ctx, "bob")
	if err != nil || hash != "hash-of-bob" || !sameUser(u, bob) {
		t.Errorf("PasswordHash(bob): got %+v %q %v", u, hash, err)
	}
	_, _, err = s.PasswordHash(ctx, "nobody")
	checkCode(t, "PasswordHash(nobody)", err, news.ENotFound)
}

func sameUser(a, b news.User) bool {
	return a.Name == b.Name && a.Role == b.Role && a.Disabled == b.Disabled && a.CreatedAt.Equal(b.CreatedAt)
}

func testSessions(t *testing.T, s news.Accounts) {
	ctx := context.Background()
	bob := addUser(t, s, "bob", news.RoleEditor)
	now := time.Now()
	if err := s.CreateSession(ctx, "h1", "bob", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSession(ctx, "h2", "bob", now.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	checkCode(t, "CreateSession of nobody", s.CreateSession(ctx, "h3", "nobody", now.Add(time.Hour)), news.ENotFound)
	if u, err := s.Session(ctx, "h1", now); err != nil || !sameUser(u, bob) {
		t.Errorf("Session(h1): got %+v, %v; want bob", u, err)
	}
	_, err := s.Session(ctx, "h2", now.Add(2*time.Second))
	checkCode(t, "Session past its expiry", err, news.ENotFound)
	_, err = s.Session(ctx, "unknown", now)
	checkCode(t, "Session(unknown)", err, news.ENotFound)
	if err := s.DeleteSession(ctx, "h1"); err != nil {
		t.Fatal(err)
	}
	_, err = s.Session(ctx, "h1", now)
	checkCode(t, "Session after DeleteSession", err, news.ENotFound)
	if err := s.DeleteSession(ctx, "h1"); err != nil {
		t.Errorf("DeleteSession of an ended session: %v, want nil", err)
	}
}

func testTokens(t *testing.T, s news.Accounts) {
	ctx := context.Background()
	bob := addUser(t, s, "bob", news.RoleEditor)
	addUser(t, s, "ann", news.RoleAdmin)
	if l, err := s.Tokens(ctx, ""); err != nil || l == nil || len(l) != 0 {
		t.Fatalf("Tokens with none: got %v, %v; want an empty, non-nil list", l, err)
	}
	var made []news.Token
	for i, owner := range []string{"bob", "ann", "bob"} {
		tok := news.Token{ID: fmt.Sprintf("id%d", i), Owner: owner, Name: "script " + owner, CreatedAt: accountsBase.Add(time.Duration(i) * time.Minute)}
		if err := s.CreateToken(ctx, tok, fmt.Sprintf("hash%d", i)); err != nil {
			t.Fatalf("CreateToken: %v", err)
		}
		made = append(made, tok)
	}
	checkCode(t, "CreateToken of nobody", s.CreateToken(ctx, news.Token{ID: "x", Owner: "nobody", CreatedAt: accountsBase}, "hx"), news.ENotFound)
	for owner, want := range map[string][]news.Token{"": made, "bob": {made[0], made[2]}, "ann": {made[1]}, "nobody": {}} {
		l, err := s.Tokens(ctx, owner)
		if err != nil || !slices.EqualFunc(l, want, sameToken) {
			t.Errorf("Tokens(%q): got %+v, %v; want %+v", owner, l, err, want)
		}
	}
	tok, u, err := s.TokenByHash(ctx, "hash2")
	if err != nil || !sameToken(tok, made[2]) || !sameUser(u, bob) {
		t.Errorf("TokenByHash(hash2): got %+v %+v %v", tok, u, err)
	}
	_, _, err = s.TokenByHash(ctx, "id2")
	checkCode(t, "TokenByHash of an id", err, news.ENotFound)
	used := accountsBase.Add(time.Hour)
	if err := s.TouchToken(ctx, "id2", used); err != nil {
		t.Fatal(err)
	}
	if tok, _, _ := s.TokenByHash(ctx, "hash2"); !tok.LastUsed.Equal(used) {
		t.Errorf("LastUsed after TouchToken: got %v, want %v", tok.LastUsed, used)
	}
	if err := s.DeleteToken(ctx, "id2"); err != nil {
		t.Fatal(err)
	}
	checkCode(t, "DeleteToken twice", s.DeleteToken(ctx, "id2"), news.ENotFound)
	_, _, err = s.TokenByHash(ctx, "hash2")
	checkCode(t, "TokenByHash of a deleted token", err, news.ENotFound)
}

func sameToken(a, b news.Token) bool {
	return a.ID == b.ID && a.Owner == b.Owner && a.Name == b.Name && a.CreatedAt.Equal(b.CreatedAt) && a.LastUsed.Equal(b.LastUsed)
}

func testDisable(t *testing.T, s news.Accounts) {
	ctx := context.Background()
	addUser(t, s, "bob", news.RoleEditor)
	ann := addUser(t, s, "ann", news.RoleEditor)
	now := time.Now()
	for _, name := range []string{"bob", "ann"} {
		if err := s.CreateSession(ctx, "s-"+name, name, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateToken(ctx, news.Token{ID: "t-" + name, Owner: name, CreatedAt: accountsBase}, "h-"+name); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DisableUser(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	checkCode(t, "DisableUser(nobody)", s.DisableUser(ctx, "nobody"), news.ENotFound)
	_, err := s.Session(ctx, "s-bob", now)
	checkCode(t, "Session of a disabled account", err, news.ENotFound)
	_, _, err = s.TokenByHash(ctx, "h-bob")
	checkCode(t, "TokenByHash of a disabled account", err, news.ENotFound)
	if l, _ := s.Tokens(ctx, "bob"); len(l) != 0 {
		t.Errorf("tokens of a disabled account: got %+v, want none", l)
	}
	checkCode(t, "CreateSession of a disabled account", s.CreateSession(ctx, "s2", "bob", now.Add(time.Hour)), news.ENotFound)
	checkCode(t, "CreateToken of a disabled account", s.CreateToken(ctx, news.Token{ID: "t2", Owner: "bob", CreatedAt: accountsBase}, "h2"), news.ENotFound)
	if u, _, err := s.PasswordHash(ctx, "bob"); err != nil || !u.Disabled {
		t.Errorf("PasswordHash of a disabled account: got %+v, %v; want it marked disabled", u, err)
	}
	// the other account is untouched
	if u, err := s.Session(ctx, "s-ann", now); err != nil || !sameUser(u, ann) {
		t.Errorf("Session of another account: got %+v, %v", u, err)
	}
	if _, _, err := s.TokenByHash(ctx, "h-ann"); err != nil {
		t.Errorf("TokenByHash of another account: %v", err)
	}
}

func testAudit(t *testing.T, s news.Accounts) {
	ctx := context.Background()
	if l, err := s.Audit(ctx, 10); err != nil || l == nil || len(l) != 0 {
		t.Fatalf("Audit of an empty log: got %v, %v; want an empty, non-nil list", l, err)
	}
	var want []news.AuditEntry
	for i := range 5 {
		e := news.AuditEntry{At: accountsBase, User: "bob", Action: news.ActionPublish, ArticleID: fmt.Sprintf("a%d", i), Title: fmt.Sprintf("Title %d ✓", i)}
		if err := s.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
		want = append([]news.AuditEntry{e}, want...)
	}
	same := func(a, b news.AuditEntry) bool {
		return a.At.Equal(b.At) && a.User == b.User && a.Action == b.Action && a.ArticleID == b.ArticleID && a.Title == b.Title
	}
	if l, err := s.Audit(ctx, 10); err != nil || !slices.EqualFunc(l, want, same) {
		t.Errorf("Audit(10): got %+v, %v; want %+v (newest first, equal times in the order written)", l, err, want)
	}
	if l, err := s.Audit(ctx, 2); err != nil || !slices.EqualFunc(l, want[:2], same) {
		t.Errorf("Audit(2): got %+v, %v; want %+v", l, err, want[:2])
	}
}

// RunArticleAudit checks that a store keeping both articles and the audit
// log records every article write made for a person (news.WithAuthor) in
// the write's own transaction: the entries are there, a write made for
// nobody (a feed's) adds none, and when the entry cannot be written the
// write is not made. open returns a fresh, empty store and an Exec on its
// database.
func RunArticleAudit(t *testing.T, open func(t *testing.T) (news.Store, Exec)) {
	t.Run("Entries", func(t *testing.T) {
		s, _ := open(t)
		acc := accountsOf(t, s)
		ctx := news.WithAuthor(context.Background(), "ann")
		before := time.Now().Add(-time.Second)
		a := article("audited", base)
		create(t, s, article("by-nobody", base)) // made for nobody: no entry
		if _, err := s.CreateArticle(ctx, a); err != nil {
			t.Fatalf("CreateArticle: %v", err)
		}
		a.Title = "Corrected title"
		if _, err := s.UpdateArticle(ctx, a); err != nil {
			t.Fatalf("UpdateArticle: %v", err)
		}
		if _, err := s.DeleteArticle(ctx, a.ID); err != nil {
			t.Fatalf("DeleteArticle: %v", err)
		}
		if _, _, err := s.UpsertArticle(context.Background(), article("from-a-feed", base)); err != nil {
			t.Fatalf("UpsertArticle: %v", err)
		}
		after := time.Now().Add(time.Second)
		got, err := acc.Audit(context.Background(), 10)
		if err != nil {
			t.Fatal(err)
		}
		want := []news.AuditEntry{
			{User: "ann", Action: news.ActionDelete, ArticleID: "audited"}, // a retraction keeps no text
			{User: "ann", Action: news.ActionEdit, ArticleID: "audited", Title: "Corrected title"},
			{User: "ann", Action: news.ActionPublish, ArticleID: "audited", Title: "Title of audited"},
		}
		if !slices.EqualFunc(got, want, func(g, w news.AuditEntry) bool {
			return g.User == w.User && g.Action == w.Action && g.ArticleID == w.ArticleID && g.Title == w.Title && g.At.After(before) && g.At.Before(after)
		}) {
			t.Errorf("Audit: got %+v; want %+v, dated now, newest first", got, want)
		}
	})
	t.Run("NoEntryNoWrite", func(t *testing.T) {
		s, exec := open(t)
		accountsOf(t, s)
		kept := create(t, s, article("kept", base))
		exec(t, `DROP TABLE audit`) // every audit entry now fails
		ctx := news.WithAuthor(context.Background(), "ann")
		if _, err := s.CreateArticle(ctx, article("new", base)); err == nil {
			t.Error("CreateArticle with no audit log: got no error")
		}
		if _, err := s.Article(context.Background(), "new"); news.ErrorCode(err) != news.ENotFound {
			t.Errorf("the article whose entry failed: got %v; want it not stored (%s)", err, news.ENotFound)
		}
		changed := kept.Article
		changed.Title = "Changed"
		if _, err := s.UpdateArticle(ctx, changed); err == nil {
			t.Error("UpdateArticle with no audit log: got no error")
		}
		if _, err := s.DeleteArticle(ctx, "kept"); err == nil {
			t.Error("DeleteArticle with no audit log: got no error")
		}
		checkArticle(t, "the article whose edit and retraction failed", get(t, s, "kept"), kept.Article)
		if got := lastSeq(t, s); got != kept.Seq {
			t.Errorf("LastSeq: got %d; want %d, no event of the writes that failed", got, kept.Seq)
		}
		// a write made for nobody has no entry to fail
		if _, _, err := s.UpsertArticle(context.Background(), article("from-a-feed", base)); err != nil {
			t.Errorf("UpsertArticle for nobody: %v", err)
		}
	})
}

// accountsOf is s as the accounts it keeps too.
func accountsOf(t *testing.T, s news.Store) news.Accounts {
	t.Helper()
	acc, ok := s.(news.Accounts)
	if !ok {
		t.Fatalf("%T keeps no audit log", s)
	}
	return acc
}
