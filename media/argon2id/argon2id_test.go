package argon2id

import (
	"strings"
	"testing"
)

func TestHashAndVerify(t *testing.T) {
	h := Hasher{}
	enc, err := h.Hash("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash = %q, want PHC argon2id with the default parameters", enc)
	}
	if again, _ := h.Hash("correct horse battery staple"); again == enc {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for _, tc := range []struct {
		pw   string
		want bool
	}{
		{"correct horse battery staple", true},
		{"correct horse battery stapl", false},
		{"", false},
	} {
		got, err := h.Verify(enc, tc.pw)
		if err != nil || got != tc.want {
			t.Errorf("Verify(%q) = %v, %v; want %v", tc.pw, got, err, tc.want)
		}
	}
	// A hash made with other parameters still verifies: they travel with it.
	cheap := Hasher{P: Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}}
	enc2, _ := cheap.Hash("pw")
	if ok, err := h.Verify(enc2, "pw"); !ok || err != nil {
		t.Fatalf("verify with the hash's own parameters = %v, %v", ok, err)
	}
}

func TestVerifyRefusesMalformedHashes(t *testing.T) {
	for _, enc := range []string{
		"",
		"plain",
		"$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=16$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", // would allocate ~100 GB
		"$argon2id$v=19$m=64,t=100,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=64,t=1,p=1$!!$aGFzaGhhc2hoYXNoaGFzaA",
	} {
		if ok, err := (Hasher{}).Verify(enc, "x"); ok || err == nil {
			t.Errorf("Verify(%q) = %v, %v; want an error", enc, ok, err)
		}
	}
}
