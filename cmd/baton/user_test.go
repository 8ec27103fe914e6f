package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/baton-video/baton/media"
)

// TestUserCommand: `baton user add` sets up the first (admin) account
// without a browser, reading the password from stdin; the server then
// signs it in. `baton user password` resets a password and ends sessions.
func TestUserCommand(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("BATON_DATA_DIR", dir)
	var out, errOut bytes.Buffer
	err := runUser([]string{"add", "Boss@Example.com", "--name", "The Boss", "--password-stdin"}, strings.NewReader("a strong passphrase\n"), &out, &errOut)
	if err != nil {
		t.Fatalf("user add: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "boss@example.com (The Boss) as admin") {
		t.Fatalf("user add printed %q", out.String())
	}
	if err := runUser([]string{"add", "boss@example.com", "--password-stdin"}, strings.NewReader("another passphrase\n"), &out, &errOut); err == nil {
		t.Fatal("a second account with the same email was made")
	}
	if err := runUser([]string{"add", "weak@example.com", "--password-stdin"}, strings.NewReader("short\n"), &out, &errOut); err == nil || !strings.Contains(err.Error(), "at least 10") {
		t.Fatalf("short password: %v", err)
	}
	if err := runUser([]string{"add", "member@example.com", "--role", "member", "--password-stdin"}, strings.NewReader("member passphrase\n"), &out, &errOut); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := runUser([]string{"list"}, nil, &out, &errOut); err != nil || !strings.Contains(out.String(), "boss@example.com") || !strings.Contains(out.String(), "member@example.com") {
		t.Fatalf("user list: %v\n%s", err, out.String())
	}
	// Without a terminal and without --password-stdin it says what to do.
	if err := runUser([]string{"add", "x@example.com"}, strings.NewReader(""), &out, &errOut); err == nil || !strings.Contains(err.Error(), "--password-stdin") {
		t.Fatalf("no terminal: %v", err)
	}

	s := MustStart(t, testConfig(t, dir, nil))
	e := &authzEnv{s: s, client: http.DefaultClient}
	resp, b := e.send(t, "POST", "/api/auth/login", `{"email":"boss@example.com","password":"a strong passphrase"}`, nil)
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"role":"admin"`) {
		t.Fatalf("sign in as the added admin = %s %s", resp.Status, b)
	}
	session := sessionHeader(t, resp)
	s.Close()

	if err := runUser([]string{"password", "BOSS@example.com", "--password-stdin"}, strings.NewReader("a brand new passphrase\n"), &out, &errOut); err != nil {
		t.Fatal(err)
	}
	s = MustStart(t, testConfig(t, dir, nil))
	e = &authzEnv{s: s, client: http.DefaultClient}
	if resp, _ := e.send(t, "GET", "/api/auth/me", "", session); resp.StatusCode != 401 {
		t.Fatalf("session after a password reset = %s, want 401", resp.Status)
	}
	e.mustSend(t, "POST", "/api/auth/login", `{"email":"boss@example.com","password":"a brand new passphrase"}`, nil, 200)
	u, err := s.DB.UserByEmail(context.Background(), "member@example.com")
	if err != nil || u.Role != media.RoleMember {
		t.Fatalf("member: %+v %v", u, err)
	}
}
