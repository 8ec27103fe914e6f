package transcode

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/baton-video/baton/media"
)

func TestClassify(t *testing.T) {
	exit := func(stderr string) error { return &exitError{name: "ffmpeg", code: 1, stderr: stderr} }
	fallback := &hint{code: media.EINVALID, message: "Unreadable."}
	tests := []struct {
		name     string
		err      error
		stderr   string
		fallback *hint
		wantCode string
		wantMsg  string
	}{
		{name: "nil", err: nil, wantCode: ""},
		{
			name:     "corrupt",
			stderr:   "[matroska,webm @ 0x1] Read error\nfile:/x: Invalid data found when processing input\n",
			wantCode: media.EINVALID, wantMsg: "The video data is corrupt or truncated.",
		},
		{
			name:     "specific before general",
			stderr:   "[mov,mp4 @ 0x1] moov atom not found\nfile:/x: Invalid data found when processing input\n",
			wantCode: media.EINVALID, wantMsg: "The MP4 file is incomplete: its index is missing, so the upload was probably cut short.",
		},
		{
			name:     "max pixels",
			stderr:   "[h264 @ 0x1] [IMGUTILS @ 0x2] Picture size 8000x8000 exceeds specified max pixel count 10433536, see the documentation\n",
			wantCode: media.ETOOLARGE,
		},
		{
			name:     "whitelist",
			stderr:   "[hls @ 0x1] Protocol 'http' not on whitelist 'file'!\n",
			wantCode: media.EUNSUPPORTED,
		},
		{
			name:     "missing decoder",
			stderr:   "Decoder (codec none) not found for input stream #0:0\n",
			wantCode: media.EUNSUPPORTED,
		},
		{name: "disk full is retryable", stderr: "av_interleaved_write_frame(): No space left on device\n", wantCode: media.ENOSPACE},
		{name: "unknown exit is internal", stderr: "Conversion failed!\n", wantCode: media.EINTERNAL},
		{name: "unknown exit with fallback", stderr: "Conversion failed!\n", fallback: fallback, wantCode: media.EINVALID, wantMsg: "Unreadable."},
		{
			name:     "signal is internal whatever stderr says",
			err:      &signalError{name: "ffmpeg", sig: 11},
			stderr:   "Invalid data found when processing input\n",
			fallback: fallback, wantCode: media.EINTERNAL,
		},
		{name: "timeout is internal", err: fmt.Errorf("ffmpeg: %w", ErrTimeout), stderr: "Invalid data found when processing input", wantCode: media.EINTERNAL},
		{name: "cancel is internal", err: fmt.Errorf("ffmpeg: %w", context.Canceled), fallback: fallback, wantCode: media.EINTERNAL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err
			if err == nil && tt.stderr != "" {
				err = exit(tt.stderr)
			}
			got := classify("transcode", err, tt.stderr, tt.fallback)
			assertCode(t, got, tt.wantCode)
			if tt.wantMsg != "" && media.ErrorMessage(got) != tt.wantMsg {
				t.Errorf("message = %q, want %q", media.ErrorMessage(got), tt.wantMsg)
			}
			if err != nil && !errors.Is(got, err) {
				t.Errorf("%v does not wrap %v", got, err)
			}
		})
	}
}
