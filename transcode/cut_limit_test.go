package transcode

import (
	"context"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
)

// A request's MaxDuration (a recorded reply's limit) cuts the video there
// instead of refusing it: the recording is read to its end, so its upload
// completes, and what came before the limit is all kept. The low-rate case
// is a voice reply: a small picture and sound, many seconds in one chunk.
func TestLiveCutsAtMaxDuration(t *testing.T) {
	requireFFmpeg(t)
	for _, in := range []liveInput{
		{codec: "h264", size: "320x240", seconds: 8, audio: true, keyframe: 1},
		{codec: "vp8", size: "64x48", seconds: 8, audio: true},
	} {
		t.Run(in.codec, func(t *testing.T) {
			verifyNoLeaks(t)
			f := liveFFmpeg(t, Config{})
			r := live(t, f, context.Background(), in.bytes(t), in.seconds, feedOptions{chunk: 4 * time.Second, pace: 100, maxDuration: 3 * time.Second})
			if r.err != nil {
				t.Fatalf("Live: %v", r.err)
			}
			if r.tail == 0 {
				t.Error("Live returned before the whole recording was read")
			}
			got := mustDuration(t, ffprobeEntry(t, r.mp4, "format=duration")+"s")
			if got < 2500*time.Millisecond || got > 3500*time.Millisecond {
				t.Errorf("MP4 is %v long, want the first 3 s of the 8 s recording", got)
			}
			if d := time.Duration(r.res.Info.DurationMs) * time.Millisecond; d < 2500*time.Millisecond || d > 3500*time.Millisecond {
				t.Errorf("result duration = %v", d)
			}
		})
	}
}

func TestProcessCutsAtMaxDuration(t *testing.T) {
	requireFFmpeg(t)
	f := MustNew(t, Config{})
	ctx := context.Background()
	in := writeFile(t, t.TempDir()+"/long.webm", liveInput{codec: "vp8", size: "64x48", seconds: 8, audio: true}.bytes(t))
	info, err := f.Inspect(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.Process(ctx, media.ProcessRequest{Input: in, Info: info, OutDir: t.TempDir(), MaxDuration: 3 * time.Second})
	if err != nil {
		t.Fatalf("Process: %v", err)
	}
	got := mustDuration(t, ffprobeEntry(t, res.MP4Path, "format=duration")+"s")
	if got < 2900*time.Millisecond || got > 3100*time.Millisecond {
		t.Errorf("MP4 is %v long, want the first 3 s of 8 s", got)
	}
	if res.Info.DurationMs < 2900 || res.Info.DurationMs > 3100 {
		t.Errorf("result duration = %d ms", res.Info.DurationMs)
	}
}
