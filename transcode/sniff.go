package transcode

import (
	"bytes"
	"unicode/utf8"

	"github.com/baton-video/baton/media"
)

// Containers Sniff names, as stored in media.MediaInfo.Container.
const (
	ContainerMatroska = "matroska" // WebM and MKV
	ContainerMP4      = "mp4"      // MP4 and QuickTime MOV
)

// SniffLen is how many leading bytes Sniff wants to see to name impostors
// well; it decides the container from the first 8.
const SniffLen = 512

const acceptedFormats = "Baton accepts WebM, Matroska, MP4 and MOV."

// sniff is FFmpeg.Sniff without a receiver, so it can be fuzzed alone.
func sniff(header []byte) (string, error) {
	if len(header) == 0 {
		return "", media.Errorf(media.EINVALID, "The file is empty.")
	}
	if bytes.HasPrefix(header, []byte{0x1A, 0x45, 0xDF, 0xA3}) {
		return ContainerMatroska, nil
	}
	if len(header) >= 8 && string(header[4:8]) == "ftyp" {
		if len(header) >= 12 && isImageBrand(string(header[8:12])) {
			return "", refuse("a HEIF or AVIF image")
		}
		return ContainerMP4, nil
	}
	if what := impostor(header); what != "" {
		return "", refuse(what)
	}
	return "", media.Errorf(media.EUNSUPPORTED, "This file is not a video we can read. %s", acceptedFormats)
}

func refuse(what string) error {
	return media.Errorf(media.EUNSUPPORTED, "This file is %s, not a video we can read. %s", what, acceptedFormats)
}

// isImageBrand reports whether an ISO BMFF major brand is a still image
// format; ffmpeg's mov demuxer would read them, but they are not videos.
func isImageBrand(brand string) bool {
	switch brand {
	case "avif", "heic", "heix", "mif1", "msf1", "heim", "heis":
		return true
	}
	return false
}

// impostor names what header probably is, or "". Only for the message: the
// file is refused whatever this says.
func impostor(h []byte) string {
	magic := []struct {
		prefix string
		what   string
	}{
		{"\x89PNG\r\n\x1a\n", "a PNG image"},
		{"\xff\xd8\xff", "a JPEG image"},
		{"GIF87a", "a GIF image"},
		{"GIF89a", "a GIF image"},
		{"%PDF-", "a PDF document"},
		{"PK\x03\x04", "a ZIP archive"},
		{"\x1f\x8b", "a gzip archive"},
		{"OggS", "an Ogg file"},
		{"fLaC", "a FLAC audio file"},
		{"ID3", "an MP3 audio file"},
		{"FLV\x01", "a Flash video (FLV)"},
		{"\x30\x26\xb2\x75\x8e\x66\xcf\x11", "a Windows Media file"},
	}
	for _, m := range magic {
		if bytes.HasPrefix(h, []byte(m.prefix)) {
			return m.what
		}
	}
	if len(h) >= 12 && string(h[:4]) == "RIFF" {
		switch string(h[8:12]) {
		case "AVI ":
			return "an AVI video"
		case "WAVE":
			return "a WAV audio file"
		case "WEBP":
			return "a WebP image"
		}
	}
	if len(h) >= 189 && h[0] == 0x47 && h[188] == 0x47 {
		return "an MPEG transport stream"
	}
	// Text formats that make ffmpeg open other files or the network: the
	// reason the demuxer is always forced.
	text := bytes.TrimLeft(bytes.TrimPrefix(h, []byte("\xef\xbb\xbf")), " \t\r\n")
	switch {
	case bytes.HasPrefix(text, []byte("#EXTM3U")):
		return "an HLS playlist (a list of links to other files)"
	case bytes.HasPrefix(text, []byte("ffconcat version")):
		return "an ffmpeg concat script"
	case bytes.HasPrefix(text, []byte("v=0")):
		return "an SDP session description"
	case bytes.HasPrefix(text, []byte("<MPD")), bytes.Contains(text, []byte("<MPD ")):
		return "a DASH manifest"
	}
	if isText(h) {
		return "a text file"
	}
	return ""
}

// isText reports whether h looks like UTF-8 text. A multi-byte character cut
// off at the end of the header does not count against it.
func isText(h []byte) bool {
	for i := 0; i < 3 && len(h) > 0 && !utf8.Valid(h); i++ {
		h = h[:len(h)-1]
	}
	if len(h) == 0 || !utf8.Valid(h) {
		return false
	}
	for _, c := range h {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
			return false
		}
	}
	return true
}
