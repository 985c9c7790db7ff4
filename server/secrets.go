package server

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// The argon2id parameters of new password hashes: OWASP's recommendation
// (19 MiB, two passes, one lane), about 30 ms a hash on one core. A stored
// hash keeps its own parameters, so they can be raised later.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// HashPassword hashes a password with argon2id and a random salt, in the
// PHC string format ($argon2id$v=19$m=…,t=…,p=…$salt$hash).
func HashPassword(password string) string {
	salt := make([]byte, argonSaltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// dummyHash is verified against when there is no account to check, so a
// wrong name costs the time a wrong password costs.
var dummyHash = HashPassword("no account has this password")

// verifyPassword reports whether password matches an encoded argon2id
// hash, comparing in constant time. A hash it cannot read matches nothing,
// after the work of a real check.
func verifyPassword(encoded, password string) bool {
	parts := strings.Split(encoded, "$")
	var version int
	var m, t uint32
	var p uint8
	ok := len(parts) == 6 && parts[1] == "argon2id"
	if ok {
		_, err1 := fmt.Sscanf(parts[2], "v=%d", &version)
		_, err2 := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p)
		ok = err1 == nil && err2 == nil && version == argon2.Version && m >= 8 && m <= 1<<22 && t >= 1 && t <= 16 && p >= 1
	}
	var salt, key []byte
	if ok {
		var err1, err2 error
		salt, err1 = base64.RawStdEncoding.DecodeString(parts[4])
		key, err2 = base64.RawStdEncoding.DecodeString(parts[5])
		ok = err1 == nil && err2 == nil && len(key) >= 16 && len(key) <= 64
	}
	if !ok {
		verifyPassword(dummyHash, password)
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1
}

// GeneratePassword returns a new random password: 26 characters of base32,
// 130 bits.
func GeneratePassword() string { return rand.Text() }

// newSecret returns a new 256-bit random secret, base64url-encoded, with a
// prefix that says what it is (and lets secret scanners find a leaked one).
func newSecret(prefix string) string {
	b := make([]byte, 32)
	rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// hashSecret is what the store keeps of a session id or a token: its
// SHA-256, hex-encoded. A 256-bit secret needs no salt or slow hash.
func hashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// newID returns a random public identifier, 16 hex digits.
func newID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}
