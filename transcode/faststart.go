package transcode

import (
	"context"
	"fmt"
	"path/filepath"

	ffmpeg "github.com/u2takey/ffmpeg-go"

	"github.com/baton-video/baton/media"
)

// faststartArgs rewrites an MP4 we produced (the live pipeline's
// fragmented one) into a single-moov MP4 with the index at the front.
// Chromium ignores a fragmented file's mfra and reads every fragment header
// before it plays, one range request each; a front moov is one request.
func faststartArgs(in inputSpec, out string) []string {
	return ffmpeg.Input(fileURL(in.Path), inputOptions(in)).
		Output(fileURL(out), ffmpeg.KwArgs{
			// Every stream, untouched: this is a remux, not a transcode.
			"map": "0",
			"c":   "copy",
			"f":   "mp4",
			// The moov goes in front once the file is complete.
			"movflags": "+faststart",
			// Nothing of the source's metadata travels.
			"map_metadata": "-1",
		}).GlobalArgs(globalOptions()...).GetArgs()
}

// Faststart remuxes the MP4 at in into a faststart MP4 at out, then checks
// the result kept the duration.
func (f *FFmpeg) Faststart(ctx context.Context, in, out string) error {
	src, err := f.inspect(ctx, in, 0)
	if err != nil {
		return err
	}
	out, err = filepath.Abs(out)
	if err != nil {
		return fmt.Errorf("transcode: faststart: %w", err)
	}
	stderr, err := f.runner.run(ctx, command{
		Path:    f.cfg.FFmpegPath,
		Args:    faststartArgs(src.spec, out),
		Timeout: f.timeout(src.duration),
		// A background job: live sessions come first (media.Admission).
		Nice: media.JobNice,
	})
	if err != nil {
		return classify("faststart", err, stderr, nil)
	}
	got, err := f.inspect(ctx, out, 0)
	if err != nil {
		return fmt.Errorf("transcode: faststart output: %w", err)
	}
	if d, want := got.duration, src.duration; want > 0 && (d < want*95/100 || d > want*105/100) {
		return fmt.Errorf("transcode: faststart changed the duration from %v to %v", want, d)
	}
	return nil
}
