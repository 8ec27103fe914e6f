package transcode

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/baton-video/baton/media/mediatest"
)

// TestFaststart turns a fragmented MP4 (what the live pipeline streams)
// into one whose moov comes before its media data, with the same duration.
func TestFaststart(t *testing.T) {
	requireFFmpeg(t)
	dir := t.TempDir()
	frag := filepath.Join(dir, "frag.mp4")
	mediatest.MustFFmpeg(t, mediatest.Join(mediatest.TestSrc("160x120", 30, 3), mediatest.Tone(440, 3),
		[]string{"-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac",
			"-movflags", "frag_keyframe+empty_moov+default_base_moof", "-f", "mp4", frag})...)
	f := MustNew(t, Config{})
	out := filepath.Join(dir, "fast.mp4")
	if err := f.Faststart(context.Background(), frag, out); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	moov, mdat := strings.Index(string(b), "moov"), strings.Index(string(b), "mdat")
	if moov < 0 || mdat < 0 || moov > mdat {
		t.Fatalf("moov at %d, mdat at %d: want the index first", moov, mdat)
	}
	if strings.Contains(string(b), "moof") {
		t.Fatal("output is still fragmented")
	}
	if got := mustDuration(t, ffprobeEntry(t, out, "format=duration")+"s"); got.Seconds() < 2.9 || got.Seconds() > 3.1 {
		t.Fatalf("duration %v, want 3s", got)
	}
	// Not an MP4: refused, nothing written.
	bad := writeFile(t, filepath.Join(dir, "bad.mp4"), []byte("not a video at all"))
	if err := f.Faststart(context.Background(), bad, filepath.Join(dir, "x.mp4")); err == nil {
		t.Fatal("faststart of garbage succeeded")
	}
}
