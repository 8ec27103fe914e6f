package media

import (
	"os"
	"path/filepath"
	"testing"
)

// TestVanishedIsInternal: ffmpeg calls a missing input undecodable; when
// the file is really gone (our scratch was removed), the failure is ours
// and retried, never the video's.
func TestVanishedIsInternal(t *testing.T) {
	p := filepath.Join(t.TempDir(), "original")
	if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	refusal := Errorf(EINVALID, "The file could not be decoded.")
	if got := vanished(refusal, p); ErrorCode(got) != EINVALID {
		t.Fatalf("file present: %v, want the refusal kept", got)
	}
	os.Remove(p)
	got := vanished(refusal, p)
	if ErrorCode(got) != EINTERNAL || IsPermanent(got) {
		t.Fatalf("file gone: %v (code %s), want an internal, retried error", got, ErrorCode(got))
	}
}
