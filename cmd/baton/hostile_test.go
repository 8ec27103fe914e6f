package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/mediatest"
)

// TestHostileUploads treats uploads as attacks. Files that would make
// ffmpeg read other files or open connections (playlists and concat
// scripts, bare or behind a video container's magic bytes, an MP4 whose
// track lives in another file) are uploaded while a loopback listener
// counts connections and FIFOs sit where those files would be opened: the
// listener must see no connection and no FIFO may be opened. Decompression
// bombs (huge frames, absurd durations and frame rates) are refused
// quickly; truncated files are flagged, never accepted as a shorter video
// when the file says how long it should be; corrupt, mislabelled, audio-only
// and many-stream files are handled with a status and a reason. Every case
// ends in a definite state, with only its own objects stored, and nothing
// the client sent becomes a path.
func TestHostileUploads(t *testing.T) {
	dir := t.TempDir()
	dataDir := t.TempDir()
	secret := "BATON-SECRET-" + randomHex(8)

	// A service that must never be contacted.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	remote := "http://" + ln.Addr().String() + "/seg.ts"

	// Files that must never be opened: a secret, and FIFOs that report any
	// open. They sit beside the staged upload, beside the processing
	// scratch directories, and one level above each.
	secretFile := filepath.Join(dir, "secret.txt")
	if err := os.WriteFile(secretFile, []byte(secret+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"uploads", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dataDir, d), 0o750); err != nil {
			t.Fatal(err)
		}
	}
	traps := []*fifoTrap{
		newFIFOTrap(t, filepath.Join(dir, "trap"), secret),
		newFIFOTrap(t, filepath.Join(dataDir, "trap"), secret),
		newFIFOTrap(t, filepath.Join(dataDir, "uploads", "trap"), secret),
		newFIFOTrap(t, filepath.Join(dataDir, "tmp", "trap"), secret),
	}

	playlist := "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n" +
		"#EXTINF:10,\n" + remote + "\n" +
		"#EXTINF:10,\nfile://" + secretFile + "\n" +
		"#EXTINF:10,\n" + traps[0].path + "\n" +
		"#EXTINF:10,\n../trap\n#EXTINF:10,\ntrap\n#EXT-X-ENDLIST\n"
	concat := "ffconcat version 1.0\nfile '" + secretFile + "'\nfile '" + remote + "'\nfile '" + traps[0].path + "'\nfile '../trap'\nfile 'trap'\n"
	ebml := []byte{0x1A, 0x45, 0xDF, 0xA3}
	ftyp := append([]byte{0, 0, 0, 0x18}, []byte("ftypisom\x00\x00\x02\x00isomiso2")...)

	mp4 := filepath.Join(dir, "clip.mp4")
	mediatest.MustMP4(t, mp4, 2, "160x120")
	mp4Data := mustRead(t, mp4)
	// moov after mdat (no faststart), so the boxes can grow without
	// moving the media data; video only, so the one track is external.
	plain := filepath.Join(dir, "plain.mp4")
	mediatest.MustFFmpeg(t, mediatest.Join(mediatest.TestSrc("160x120", 30, 2), mediatest.H264(), []string{plain})...)
	drefSibling := craftDrefMP4(t, mustRead(t, plain), "trap", 1)
	drefParent := craftDrefMP4(t, mustRead(t, plain), "trap", 2)
	// Control: with data references enabled, plain ffprobe does open the
	// file the crafted MP4 names. Without this the test could pass on a
	// file ffmpeg never found dangerous.
	control := filepath.Join(dir, "control")
	if err := os.Mkdir(control, 0o755); err != nil {
		t.Fatal(err)
	}
	controlTrap := newFIFOTrap(t, filepath.Join(control, "trap"), secret)
	if err := os.WriteFile(filepath.Join(control, "dref.mp4"), drefSibling, 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command("ffprobe", "-v", "error", "-enable_drefs", "1", "-show_streams",
		"-f", "mov", "file:"+filepath.Join(control, "dref.mp4")).CombinedOutput()
	eventually(t, 5*time.Second, "the crafted dref MP4 does not make ffprobe open its file: "+string(out), controlTrap.wasOpened)

	bomb := filepath.Join(dir, "bomb.mp4")
	// 67 megapixels per frame in about 200 KB.
	mediatest.MustFFmpeg(t, "-f", "lavfi", "-i", "color=black:size=8192x8192:rate=1:duration=1", "-frames:v", "1",
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", bomb)
	fast := filepath.Join(dir, "fast.mp4")
	// 60 frames a microsecond apart: ffprobe reports 1,000,000 frames a
	// second (r_frame_rate) and about 1,800 on average. 4:4:4, so it is
	// re-encoded, where a pipeline that made constant-rate output at the
	// stated rate would duplicate frames by the million.
	mediatest.MustFFmpeg(t, mediatest.Join(mediatest.TestSrc("64x64", 30, 2),
		[]string{"-vf", "settb=1/1000000,setpts=N", "-fps_mode", "passthrough", "-video_track_timescale", "1000000",
			"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv444p", fast})...)
	webmFile := filepath.Join(dir, "withduration.webm")
	// Written to a file, so the header states the duration (4 s).
	mediatest.MustFFmpeg(t, mediatest.Join(mediatest.TestSrc("160x120", 30, 4), mediatest.Tone(440, 4), mediatest.VP8(),
		[]string{"-c:a", "libopus", webmFile})...)
	webmData := mustRead(t, webmFile)
	recFile := filepath.Join(dir, "rec.webm")
	mediatest.MustWebM(t, recFile, 4, "160x120")
	recData := mustRead(t, recFile)
	faststart := filepath.Join(dir, "faststart.mp4")
	mediatest.MustMP4(t, faststart, 4, "160x120", "-movflags", "+faststart")
	audioOnly := filepath.Join(dir, "audio.mp4")
	mediatest.MustFFmpeg(t, "-f", "lavfi", "-i", "sine=duration=2", "-c:a", "aac", audioOnly)
	streams := filepath.Join(dir, "streams.mkv")
	args := mediatest.TestSrc("160x120", 30, 2)
	for i := range 20 {
		args = append(args, mediatest.Tone(300+20*i, 2)...)
	}
	for i := range 21 {
		args = append(args, "-map", strconv.Itoa(i))
	}
	args = append(args, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "libopus", streams)
	mediatest.MustFFmpeg(t, args...)

	type outcome int
	const (
		refused outcome = iota // the final PATCH is answered with an error
		failed                 // accepted, then processing fails with a reason
		ready                  // accepted and processed
		settles                // either failed with a reason or ready; it must not hang
	)
	tests := []struct {
		name  string
		data  []byte
		want  outcome
		codes []string // acceptable error codes (refused, failed)
		// within bounds how long the final PATCH may take (refusals) or
		// processing (the rest).
		within time.Duration
		gone   bool // the refusal removes the video
		check  func(t *testing.T, s *testServer, v apiVideo)
	}{
		{name: "HLS playlist", data: []byte(playlist), want: refused, gone: true, codes: []string{media.EUNSUPPORTED}, within: 2 * time.Second},
		{name: "HLS playlist behind Matroska magic", data: cat(ebml, []byte(playlist)), want: refused, codes: []string{media.EINVALID, media.EUNSUPPORTED}, within: 5 * time.Second},
		{name: "HLS playlist behind an ftyp box", data: cat(ftyp, []byte(playlist)), want: refused, codes: []string{media.EINVALID, media.EUNSUPPORTED}, within: 5 * time.Second},
		{name: "ffconcat script", data: []byte(concat), want: refused, gone: true, codes: []string{media.EUNSUPPORTED}, within: 2 * time.Second},
		{name: "ffconcat script behind Matroska magic", data: cat(ebml, []byte(concat)), want: refused, codes: []string{media.EINVALID, media.EUNSUPPORTED}, within: 5 * time.Second},
		{name: "MP4 with its track in a sibling file", data: drefSibling, want: settles, codes: []string{media.EINVALID, media.EUNSUPPORTED}, within: 30 * time.Second},
		{name: "MP4 with its track in the parent directory", data: drefParent, want: settles, codes: []string{media.EINVALID, media.EUNSUPPORTED}, within: 30 * time.Second},
		{name: "67-megapixel frame", data: mustRead(t, bomb), want: refused, codes: []string{media.ETOOLARGE}, within: 5 * time.Second},
		{name: "100-hour duration in the header", data: patchMatroskaDuration(t, webmData, 100*3600), want: refused, codes: []string{media.ETOOLARGE}, within: 5 * time.Second},
		{
			name: "a million frames per second", data: mustRead(t, fast), want: settles, codes: []string{media.EINVALID, media.ETOOLARGE}, within: 20 * time.Second,
			check: func(t *testing.T, s *testServer, v apiVideo) {
				if v.Status != "ready" {
					return
				}
				out := writeTemp(t, s.readObject(t, media.MP4Key(v.ID)))
				b, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets",
					"-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", out).Output()
				if n, _ := strconv.Atoi(strings.TrimSpace(string(b))); err != nil || n > 60 {
					t.Fatalf("output has %s frames (%v), want no more than the 60 stored", b, err)
				}
			},
		},
		{name: "truncated MP4, index at the end", data: mp4Data[:len(mp4Data)*6/10], want: refused, codes: []string{media.EINVALID}, within: 5 * time.Second},
		{
			name: "truncated MP4, index first", data: truncate(mustRead(t, faststart), 0.5), want: failed, codes: []string{media.EINVALID}, within: 30 * time.Second,
			check: func(t *testing.T, s *testServer, v apiVideo) {
				if !strings.Contains(v.Error, "could be converted") {
					t.Fatalf("reason %q does not say the video is cut short", v.Error)
				}
			},
		},
		{
			name: "truncated WebM that states its duration", data: truncate(webmData, 0.5), want: failed, codes: []string{media.EINVALID}, within: 30 * time.Second,
			check: func(t *testing.T, s *testServer, v apiVideo) {
				if !strings.Contains(v.Error, "could be converted") {
					t.Fatalf("reason %q does not say the video is cut short", v.Error)
				}
			},
		},
		{
			// A recording's header has no duration, so a cut one is just
			// shorter; it must say so, not claim the full length.
			name: "truncated recording", data: truncate(recData, 0.5), want: ready, within: 30 * time.Second,
			check: func(t *testing.T, s *testServer, v apiVideo) {
				if v.DurationMs <= 0 || v.DurationMs > 3000 {
					t.Fatalf("durationMs = %d for about 2 s of a 4 s recording", v.DurationMs)
				}
			},
		},
		{name: "corrupted recording", data: corrupt(recData), want: settles, codes: []string{media.EINVALID, media.EUNSUPPORTED}, within: 30 * time.Second},
		{name: "zero-length", data: nil, want: refused, codes: []string{media.EINVALID}, within: 2 * time.Second},
		{name: "audio only", data: mustRead(t, audioOnly), want: refused, codes: []string{media.EUNSUPPORTED}, within: 5 * time.Second},
		{
			name: "MP4 named .webm with a hostile file name", data: mp4Data, want: ready, within: 30 * time.Second,
			check: func(t *testing.T, s *testServer, v apiVideo) {
				if v.Width != 160 || v.Height != 120 {
					t.Fatalf("video = %dx%d", v.Width, v.Height)
				}
			},
		},
		{
			name: "20 audio streams", data: mustRead(t, streams), want: ready, within: 30 * time.Second,
			check: func(t *testing.T, s *testServer, v apiVideo) {
				p := MustProbe(t, writeTemp(t, s.readObject(t, media.MP4Key(v.ID))))
				if len(p.Streams) != 2 || p.codec("video") != "h264" || p.codec("audio") != "aac" {
					t.Fatalf("output streams = %+v, want one H.264 and one AAC", p.Streams)
				}
			},
		},
	}

	s := MustStart(t, testConfig(t, dataDir, nil))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A title and a tus file name that try to be paths.
			v := s.MustCreateVideo(t, "../../"+tt.name+"/../etc/passwd")
			start := time.Now()
			resp, body := uploadHostile(t, v.UploadURL, tt.data)
			handoff := time.Since(start)
			var got apiVideo
			switch tt.want {
			case refused:
				var e apiErr
				if resp.StatusCode < 400 || resp.StatusCode >= 500 || json.Unmarshal(body, &e) != nil ||
					!slices.Contains(tt.codes, e.Error.Code) || e.Error.Message == "" {
					t.Fatalf("final PATCH = %s %s, want a 4xx with one of %v", resp.Status, body, tt.codes)
				}
				if handoff > tt.within {
					t.Fatalf("refusal took %v, want under %v", handoff, tt.within)
				}
				if tt.gone {
					// Not a video at all: no video (and no library card) is kept.
					if resp := s.do(t, "GET", "/api/videos/"+v.ID, nil, nil); resp.StatusCode != http.StatusNotFound {
						t.Fatalf("GET refused video = %s, want 404 (removed)", resp.Status)
					}
				} else {
					s.do(t, "GET", "/api/videos/"+v.ID, nil, &got)
					if got.Status != "failed" || got.ErrorCode != e.Error.Code {
						t.Fatalf("video = %s %q, want failed with the refusal", got.Status, got.ErrorCode)
					}
				}
				if keys := s.objectKeys(t, media.VideoPrefix(v.ID)); len(keys) != 0 {
					t.Fatalf("objects stored for refused input: %v", keys)
				}
			case failed, settles:
				// Refusing at once is as good as failing later; recordings
				// processed while they upload are judged by the last PATCH.
				var e apiErr
				if resp.StatusCode >= 400 && resp.StatusCode < 500 && json.Unmarshal(body, &e) == nil {
					if !slices.Contains(tt.codes, e.Error.Code) || e.Error.Message == "" {
						t.Fatalf("final PATCH = %s %s, want one of %v", resp.Status, body, tt.codes)
					}
					t.Logf("refused: %s %q", e.Error.Code, e.Error.Message)
					got = s.waitStatus(t, v.ID, time.Second, "failed")
					if keys := s.objectKeys(t, media.VideoPrefix(v.ID)); len(keys) != 0 {
						t.Fatalf("objects stored for refused input: %v", keys)
					}
					break
				}
				fallthrough
			default:
				if resp.StatusCode != http.StatusNoContent {
					t.Fatalf("final PATCH = %s %s, want accepted", resp.Status, body)
				}
				got = s.waitStatus(t, v.ID, tt.within, "ready", "failed")
				switch {
				case tt.want == ready && got.Status != "ready":
					t.Fatalf("video = %s %q, want ready", got.Status, got.Error)
				case tt.want == failed && got.Status != "failed":
					t.Fatalf("video = %s, want failed", got.Status)
				case got.Status == "failed" && (!slices.Contains(tt.codes, got.ErrorCode) || got.Error == ""):
					t.Fatalf("failed with %q %q, want one of %v and a reason", got.ErrorCode, got.Error, tt.codes)
				}
				t.Logf("%s %q %q after %v", got.Status, got.ErrorCode, got.Error, time.Since(start).Round(time.Millisecond))
				if got.Status == "ready" {
					assertReadyOutputs(t, s, v.ID)
					if mp4 := s.readObject(t, media.MP4Key(v.ID)); bytes.Contains(mp4, []byte(secret)) {
						t.Fatal("the output contains the secret file")
					}
				} else if keys := s.objectKeys(t, media.VideoPrefix(v.ID)); !slices.Equal(keys, []string{media.OriginalKey(v.ID)}) {
					t.Fatalf("objects of a failed video = %v, want only the original", keys)
				}
			}
			if tt.check != nil && got.Status != "" {
				tt.check(t, s, got)
			}
			if n := conns.Load(); n != 0 {
				t.Fatalf("%d connections to the loopback listener", n)
			}
			for _, trap := range traps {
				if trap.wasOpened() {
					t.Fatalf("%s was opened", trap.path)
				}
			}
			// Nothing from the client became a path.
			assertOnlyServerPaths(t, s, dataDir)
		})
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, trap := range traps {
		trap.close(t)
	}
	assertNoLeftovers(t, dataDir)
}

// uploadHostile uploads data in two chunks with a tus file name that tries
// to climb out of any directory.
func uploadHostile(tb testing.TB, url string, data []byte) (*http.Response, []byte) {
	tb.Helper()
	meta := "filename " + base64.StdEncoding.EncodeToString([]byte("../../../etc/passwd.webm")) +
		",title " + base64.StdEncoding.EncodeToString([]byte("/tmp/x\x00y"))
	half := int64(len(data) / 2)
	var resp *http.Response
	var body []byte
	for i, part := range []struct {
		off, end, length int64
	}{{0, half, -1}, {half, int64(len(data)), int64(len(data))}} {
		req, _ := http.NewRequest("PATCH", url, bytes.NewReader(data[part.off:part.end]))
		authorize(req)
		req.Header.Set("Tus-Resumable", "1.0.0")
		req.Header.Set("Content-Type", "application/offset+octet-stream")
		req.Header.Set("Upload-Offset", strconv.FormatInt(part.off, 10))
		req.Header.Set("Upload-Metadata", meta)
		authorize(req)
		if part.length >= 0 {
			req.Header.Set("Upload-Length", strconv.FormatInt(part.length, 10))
		}
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			tb.Fatal(err)
		}
		b, _ := readAllClose(r)
		resp, body = r, b
		if i == 0 && r.StatusCode != http.StatusNoContent {
			break
		}
	}
	return resp, body
}

// assertOnlyServerPaths checks that every file Baton keeps is named by a
// server id: staging holds <id> and <id>.info (and the test's trap),
// scratch holds only job-*/live-* directories (and the trap), and every
// object key is one the media package builds.
func assertOnlyServerPaths(tb testing.TB, s *testServer, dataDir string) {
	tb.Helper()
	for _, f := range listFiles(tb, filepath.Join(dataDir, "uploads")) {
		id := strings.TrimSuffix(f, ".info")
		if f != "trap" && !media.ValidID(id) {
			tb.Fatalf("staging holds %q", f)
		}
	}
	for _, f := range listFiles(tb, filepath.Join(dataDir, "tmp")) {
		if f != "trap" && !strings.HasPrefix(f, "job-") && !strings.HasPrefix(f, "live-") {
			tb.Fatalf("scratch holds %q", f)
		}
	}
	for _, k := range s.objectKeys(tb, "") {
		parts := strings.SplitN(k, "/", 3)
		if len(parts) != 3 || parts[0] != "videos" || !media.ValidID(parts[1]) {
			tb.Fatalf("object key %q is not built from a video id", k)
		}
		id := parts[1]
		name, isLive := strings.CutPrefix(k, media.LivePrefix(id))
		if k != media.OriginalKey(id) && k != media.MP4Key(id) && k != media.PosterKey(id) && !(isLive && media.ValidLiveName(name)) {
			tb.Fatalf("unexpected object key %q", k)
		}
	}
	for _, f := range listFiles(tb, filepath.Join(dataDir, "objects")) {
		if strings.Contains(f, "passwd") || strings.Contains(f, "..") {
			tb.Fatalf("object file %q carries a client-sent name", f)
		}
	}
}

// fifoTrap is a named pipe that records whether anyone opened it for
// reading: opening a FIFO for writing blocks until a reader opens it.
type fifoTrap struct {
	path    string
	opened  atomic.Bool
	closing atomic.Bool
	done    chan struct{}
}

func newFIFOTrap(tb testing.TB, path, content string) *fifoTrap {
	tb.Helper()
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		tb.Fatalf("mkfifo: %v", err)
	}
	f := &fifoTrap{path: path, done: make(chan struct{})}
	go func() {
		defer close(f.done)
		w, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		if !f.closing.Load() {
			f.opened.Store(true)
			_, _ = w.Write([]byte(content))
		}
		w.Close()
	}()
	tb.Cleanup(func() { f.close(tb) })
	return f
}

func (f *fifoTrap) wasOpened() bool { return f.opened.Load() }

// close releases the writer (by opening the read end itself) and removes
// the FIFO.
func (f *fifoTrap) close(tb testing.TB) {
	if f.closing.Swap(true) {
		return
	}
	if r, err := os.OpenFile(f.path, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
		select {
		case <-f.done:
		case <-time.After(5 * time.Second):
			tb.Errorf("FIFO writer for %s did not finish", f.path)
		}
		r.Close()
	}
	_ = os.Remove(f.path)
}

// craftDrefMP4 rewrites an MP4 (moov after mdat, one track) so that its
// track's media lives in another file: the data reference becomes a
// Macintosh alias record naming file name, nlvlFrom directory levels up
// from the MP4 (1: beside it, 2: in its parent). ffmpeg's mov demuxer
// follows such references only with -enable_drefs 1.
func craftDrefMP4(tb testing.TB, data []byte, name string, nlvlFrom uint16) []byte {
	tb.Helper()
	alias := make([]byte, 0, 256)
	alias = append(alias, make([]byte, 10)...)
	vol := []byte("vol")
	alias = append(alias, byte(len(vol)))
	alias = append(alias, padTo(vol, 27)...)
	alias = append(alias, make([]byte, 12)...)
	alias = append(alias, 1)
	alias = append(alias, padTo([]byte("x"), 63)...)
	alias = append(alias, make([]byte, 16)...)
	alias = binary.BigEndian.AppendUint16(alias, nlvlFrom)
	alias = binary.BigEndian.AppendUint16(alias, 1) // nlvl_to
	alias = append(alias, make([]byte, 16)...)
	path := []byte("vol:" + name) // absolute path record; "vol" is stripped
	alias = binary.BigEndian.AppendUint16(alias, 2)
	alias = binary.BigEndian.AppendUint16(alias, uint16(len(path)))
	if len(path)%2 == 1 {
		path = append(path, 0)
	}
	alias = append(alias, path...)
	alias = append(alias, 0xFF, 0xFF, 0, 0) // end of records
	entry := box("alis", append([]byte{0, 0, 0, 0}, alias...))
	dref := box("dref", append([]byte{0, 0, 0, 0, 0, 0, 0, 1}, entry...))

	found := false
	var rewrite func(b []byte) []byte
	rewrite = func(b []byte) []byte {
		var out []byte
		for len(b) >= 8 {
			size := int(binary.BigEndian.Uint32(b))
			typ := string(b[4:8])
			if size < 8 || size > len(b) {
				tb.Fatalf("craft dref: bad box %q size %d", typ, size)
			}
			switch typ {
			case "moov", "trak", "mdia", "minf", "dinf":
				out = append(out, box(typ, rewrite(b[8:size]))...)
			case "dref":
				found = true
				out = append(out, dref...)
			default:
				out = append(out, b[:size]...)
			}
			b = b[size:]
		}
		return out
	}
	out := rewrite(data)
	if !found {
		tb.Fatal("craft dref: no dref box")
	}
	// moov must come after mdat, or its growth would move the media data.
	if bytes.Index(out, []byte("moov")) < bytes.Index(out, []byte("mdat")) {
		tb.Fatal("craft dref: moov precedes mdat")
	}
	return out
}

func box(typ string, payload []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(8+len(payload)))
	return append(append(b, typ...), payload...)
}

func padTo(b []byte, n int) []byte { return append(append([]byte{}, b...), make([]byte, n-len(b))...) }

// patchMatroskaDuration rewrites the Duration element (ID 0x4489, an
// 8-byte float in milliseconds) of a Matroska file.
func patchMatroskaDuration(tb testing.TB, data []byte, seconds float64) []byte {
	tb.Helper()
	i := bytes.Index(data, []byte{0x44, 0x89, 0x88})
	if i < 0 {
		tb.Fatal("no 8-byte Duration element")
	}
	out := slices.Clone(data)
	binary.BigEndian.PutUint64(out[i+3:], math.Float64bits(seconds*1000))
	return out
}

func truncate(b []byte, frac float64) []byte { return b[:int(float64(len(b))*frac)] }

// corrupt overwrites 4 KB in the middle of b with random bytes.
func corrupt(b []byte) []byte {
	out := slices.Clone(b)
	mid := len(out) / 2
	_, _ = rand.Read(out[mid : mid+min(4096, len(out)/4)])
	return out
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func writeTemp(tb testing.TB, data []byte) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), "out.mp4")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

func readAllClose(r *http.Response) ([]byte, error) {
	defer r.Body.Close()
	var buf bytes.Buffer
	_, err := buf.ReadFrom(r.Body)
	return buf.Bytes(), err
}
