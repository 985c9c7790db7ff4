package server

import (
	"strings"
	"testing"
)

func TestPasswordHash(t *testing.T) {
	h := HashPassword("correct horse battery")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q: want argon2id with its parameters", h)
	}
	if h == HashPassword("correct horse battery") {
		t.Error("two hashes of one password are equal: no salt")
	}
	if !verifyPassword(h, "correct horse battery") {
		t.Error("the right password does not verify")
	}
	parts := strings.Split(h, "$")
	for _, tc := range []struct{ name, hash, password string }{
		{"wrong password", h, "correct horse batterx"},
		{"empty password", h, ""},
		{"empty hash", "", "correct horse battery"},
		{"bcrypt hash", "$2a$10$abcdefghijklmnopqrstuv", "x"},
		{"argon2i", strings.Replace(h, "argon2id", "argon2i", 1), "correct horse battery"},
		{"other version", strings.Replace(h, "v=19", "v=16", 1), "correct horse battery"},
		{"huge memory", strings.Join([]string{"", parts[1], parts[2], "m=99999999,t=2,p=1", parts[4], parts[5]}, "$"), "correct horse battery"},
		{"zero passes", strings.Join([]string{"", parts[1], parts[2], "m=19456,t=0,p=1", parts[4], parts[5]}, "$"), "correct horse battery"},
		{"bad salt", strings.Join([]string{"", parts[1], parts[2], parts[3], "!!", parts[5]}, "$"), "correct horse battery"},
		{"short key", strings.Join([]string{"", parts[1], parts[2], parts[3], parts[4], "AAAA"}, "$"), "correct horse battery"},
	} {
		if verifyPassword(tc.hash, tc.password) {
			t.Errorf("%s: verified", tc.name)
		}
	}
}

func TestSecrets(t *testing.T) {
	a, b := newSecret(tokenPrefix), newSecret(tokenPrefix)
	if a == b || !strings.HasPrefix(a, tokenPrefix) || len(a) != len(tokenPrefix)+43 {
		t.Errorf("secrets %q %q: want distinct, prefixed, 256 bits in base64url", a, b)
	}
	if h := hashSecret(a); len(h) != 64 || h == hashSecret(b) || strings.Contains(h, a) {
		t.Errorf("hashSecret: got %q", h)
	}
	if len(newID()) != 16 || newID() == newID() {
		t.Error("newID: want 16 random hex digits")
	}
	if p := GeneratePassword(); len(p) < 26 {
		t.Errorf("GeneratePassword: %q is short", p)
	}
}
