package transcode

import (
	"bytes"
	"strings"
	"testing"

	"github.com/baton-video/baton/media"
)

func TestSniff(t *testing.T) {
	tests := []struct {
		name     string
		header   string
		want     string
		wantCode string
		wantMsg  string
	}{
		{name: "webm", header: "\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm", want: "matroska"},
		{name: "mkv", header: "\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska", want: "matroska"},
		{name: "bare EBML magic", header: "\x1a\x45\xdf\xa3", want: "matroska"},
		{name: "mp4", header: "\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41", want: "mp4"},
		{name: "mov", header: "\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  ", want: "mp4"},
		{name: "empty", header: "", wantCode: media.EINVALID, wantMsg: "The file is empty."},
		{name: "short garbage", header: "\x00\x01", wantCode: media.EUNSUPPORTED, wantMsg: "not a video we can read. Baton accepts WebM, Matroska, MP4 and MOV."},
		{name: "ftyp too early", header: "ftyp\x00\x00\x00\x00", wantCode: media.EUNSUPPORTED, wantMsg: "not a video we can read"},
		{name: "binary garbage", header: "\x00\x00\x01\xba\x44\x00\x04\x00\x04\x01", wantCode: media.EUNSUPPORTED, wantMsg: "not a video we can read"},
		{name: "text", header: "hello, world\n", wantCode: media.EUNSUPPORTED, wantMsg: "text file"},
		{name: "utf-8 text cut mid-character", header: "caf\xc3\xa9 cr\xc3", wantCode: media.EUNSUPPORTED, wantMsg: "text file"},
		{name: "png", header: "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", wantCode: media.EUNSUPPORTED, wantMsg: "PNG image"},
		{name: "jpeg", header: "\xff\xd8\xff\xe0\x00\x10JFIF", wantCode: media.EUNSUPPORTED, wantMsg: "JPEG image"},
		{name: "gif", header: "GIF89a\x01\x00", wantCode: media.EUNSUPPORTED, wantMsg: "GIF image"},
		{name: "hls", header: "#EXTM3U\n#EXT-X-VERSION:3\n", wantCode: media.EUNSUPPORTED, wantMsg: "HLS playlist"},
		{name: "hls with BOM and blank line", header: "\xef\xbb\xbf\r\n#EXTM3U\n", wantCode: media.EUNSUPPORTED, wantMsg: "HLS playlist"},
		{name: "ffconcat", header: "ffconcat version 1.0\nfile 'http://example.com/x.mp4'\n", wantCode: media.EUNSUPPORTED, wantMsg: "concat script"},
		{name: "sdp", header: "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\n", wantCode: media.EUNSUPPORTED, wantMsg: "SDP"},
		{name: "dash", header: "<?xml version=\"1.0\"?>\n<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\">", wantCode: media.EUNSUPPORTED, wantMsg: "DASH"},
		{name: "avi", header: "RIFF\x00\x00\x00\x00AVI LIST", wantCode: media.EUNSUPPORTED, wantMsg: "AVI"},
		{name: "ogg", header: "OggS\x00\x02", wantCode: media.EUNSUPPORTED, wantMsg: "Ogg"},
		{name: "heic image", header: "\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", wantCode: media.EUNSUPPORTED, wantMsg: "HEIF or AVIF image"},
		{name: "mpeg-ts", header: "\x47" + strings.Repeat("\xff", 187) + "\x47", wantCode: media.EUNSUPPORTED, wantMsg: "MPEG transport stream"},
	}
	f := &FFmpeg{} // Sniff needs no binaries
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.Sniff([]byte(tt.header))
			assertCode(t, err, tt.wantCode)
			if got != tt.want {
				t.Errorf("Sniff = %q, want %q", got, tt.want)
			}
			if msg := media.ErrorMessage(err); !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("message = %q, want it to contain %q", msg, tt.wantMsg)
			}
			if tt.wantCode == media.EUNSUPPORTED && !strings.HasSuffix(media.ErrorMessage(err), acceptedFormats) {
				t.Errorf("message %q does not say what is accepted", media.ErrorMessage(err))
			}
		})
	}
}

// FuzzSniff: any bytes give a container we accept or a coded refusal, and
// a container only when the magic is really there. Seeds are in
// testdata/fuzz/FuzzSniff.
func FuzzSniff(f *testing.F) {
	f.Fuzz(func(t *testing.T, header []byte) {
		got, err := sniff(header)
		switch {
		case err != nil:
			if got != "" {
				t.Fatalf("Sniff = %q with error %v", got, err)
			}
			code := media.ErrorCode(err)
			if code != media.EINVALID && code != media.EUNSUPPORTED {
				t.Fatalf("code = %q", code)
			}
			if (len(header) == 0) != (code == media.EINVALID) {
				t.Fatalf("len %d, code %q", len(header), code)
			}
		case got == ContainerMatroska:
			if !bytes.HasPrefix(header, []byte{0x1a, 0x45, 0xdf, 0xa3}) {
				t.Fatalf("matroska without EBML magic: %q", header)
			}
		case got == ContainerMP4:
			if len(header) < 8 || string(header[4:8]) != "ftyp" {
				t.Fatalf("mp4 without ftyp: %q", header)
			}
		default:
			t.Fatalf("Sniff = %q, nil", got)
		}
	})
}
