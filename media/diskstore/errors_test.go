package diskstore

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"testing"

	"github.com/baton-video/baton/media"
)

// A full disk cannot be made on demand without privileges, so the
// translation is checked on the error shape the os package produces.
func TestTranslateDiskFull(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT} {
		cause := fmt.Errorf("diskstore: put videos/v1/original: %w",
			&fs.PathError{Op: "write", Path: "/data/videos/v1/.original.tmp-1", Err: errno})
		err := translate(cause)
		if got, want := media.ErrorCode(err), media.ENOSPACE; got != want {
			t.Fatalf("%v: code = %q, want %q", errno, got, want)
		}
		if got := media.ErrorMessage(err); got == "Internal error." || got == "" {
			t.Fatalf("%v: message %q is not readable", errno, got)
		}
		if !errors.Is(err, errno) {
			t.Fatalf("%v: cause lost: %v", errno, err)
		}
	}
	other := &fs.PathError{Op: "write", Path: "x", Err: syscall.EIO}
	if got := media.ErrorCode(translate(other)); got != media.EINTERNAL {
		t.Fatalf("EIO: code = %q, want %q", got, media.EINTERNAL)
	}
}

func TestOwnerName(t *testing.T) {
	for entry, want := range map[string]string{
		"video.mp4":                "video.mp4",
		".video.mp4.ct":            "video.mp4",
		".video.mp4.tmp-123456":    "video.mp4",
		".a.ct.tmp-99":             "a.ct",
		".weird.tmp-name.tmp-4242": "weird.tmp-name",
	} {
		if got := ownerName(entry); got != want {
			t.Errorf("ownerName(%q) = %q, want %q", entry, got, want)
		}
	}
}
