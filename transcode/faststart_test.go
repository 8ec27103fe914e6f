package transcode

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestFaststart turns a fragmented MP4 (what the live pipeline streams)
// into one whose moov comes before its media data, with the same duration.
func TestFaststart(t *testing.T) {
	requireFFmpeg(t)
	dir := t.TempDir()
	frag := filepath.Join(dir, "frag.mp4")
	cmd := exec.Command("ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error",
		"-f", "lavfi", "-i", "testsrc2=size=160x120:rate=30:duration=3",
		"-f", "lavfi", "-i", "sine=duration=3",
		"-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac",
		"-movflags", "frag_keyframe+empty_moov+default_base_moof", "-f", "mp4", frag)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make fragmented mp4: %v\n%s", err, out)
	}
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
