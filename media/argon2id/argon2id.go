// Package argon2id hashes passwords with Argon2id (RFC 9106) for
// media.PasswordHasher, in the PHC string format that other tools read:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
//
// The parameters travel with each hash, so raising them later leaves older
// hashes valid.
package argon2id

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"

	"github.com/baton-video/baton/media"
)

var _ media.PasswordHasher = Hasher{}

// Params are the cost of one hash.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen int
	KeyLen  uint32
}

// Default follows OWASP's first recommendation for Argon2id (19 MiB, two
// passes, one lane): about 20-40 ms on a server core, little enough that
// logins in parallel do not exhaust memory.
var Default = Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Hasher hashes with P (Default when zero).
type Hasher struct {
	P Params
}

func (h Hasher) params() Params {
	if h.P.Memory == 0 {
		return Default
	}
	return h.P
}

// Hash returns the PHC-encoded Argon2id hash of password with a fresh salt.
func (h Hasher) Hash(password string) (string, error) {
	p := h.params()
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("argon2id: salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	b64 := base64.RawStdEncoding.EncodeToString
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads, b64(salt), b64(key)), nil
}

// Limits on parameters read from a stored hash, so a tampered row cannot
// make a sign-in allocate gigabytes.
const (
	maxMemory = 1 << 20 // 1 GiB in KiB
	maxTime   = 16
)

var errMalformed = errors.New("argon2id: malformed hash")

// Verify reports whether password matches the encoded hash, comparing in
// constant time.
func (h Hasher) Verify(encoded, password string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return false, errMalformed
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errMalformed
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || m > maxMemory || t == 0 || t > maxTime || p == 0 {
		return false, errMalformed
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return false, errMalformed
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) < 16 || len(want) > 64 {
		return false, errMalformed
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
