// Command process measures Baton's processing of an uploaded file against
// plain ffmpeg with the same output settings, in the same run: a 60-second
// 1080p30 screen-like VP8/Opus WebM as Chrome records it (no duration in the
// header), so Baton must re-encode to H.264.
//
//	go run ./bench/process -bin bin/baton [-seconds 60] [-runs 3]
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

func main() {
	bin := flag.String("bin", "bin/baton", "baton binary")
	secs := flag.Float64("seconds", 60, "length of the test video")
	size := flag.String("size", "1920x1080", "frame size")
	runs := flag.Int("runs", 3, "runs of each")
	flag.Parse()

	work, err := os.MkdirTemp("", "baton-bench-")
	check(err)
	defer os.RemoveAll(work)
	src := filepath.Join(work, "rec.webm")
	d := strconv.FormatFloat(*secs, 'f', -1, 64)
	gen := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error",
		"-f", "lavfi", "-i", "testsrc2=size="+*size+":rate=30:duration="+d,
		"-f", "lavfi", "-i", "sine=frequency=300:sample_rate=48000:duration="+d,
		"-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "3M", "-g", "60",
		"-c:a", "libopus", "-f", "webm", "pipe:1")
	f, err := os.Create(src)
	check(err)
	gen.Stdout, gen.Stderr = f, os.Stderr
	check(gen.Run())
	f.Close()

	addr := freeAddr()
	data := filepath.Join(work, "data")
	srv := exec.Command(*bin, "serve")
	srv.Env = append(os.Environ(), "BATON_ADDR="+addr, "BATON_DATA_DIR="+data, "BATON_WORKERS=1", "BATON_LOG_LEVEL=warn")
	srv.Stderr = os.Stderr
	check(srv.Start())
	defer func() { srv.Process.Kill(); srv.Wait() }()
	base := "http://" + addr
	waitUp(base)
	signUp(base)
	raw, err := os.ReadFile(src)
	check(err)

	var baton, plain []time.Duration
	for i := 0; i < *runs; i++ {
		baton = append(baton, processOnce(base, raw))
		plain = append(plain, plainFFmpeg(work, src, *secs))
	}
	bm, pm := median(baton), median(plain)
	fmt.Printf("processing a %gs %s VP8/Opus WebM to H.264/AAC MP4, %d runs each (median, min..max)\n", *secs, *size, *runs)
	fmt.Printf("  baton (upload complete -> ready): %v (%v..%v)\n", bm.Round(time.Millisecond), slices.Min(baton).Round(time.Millisecond), slices.Max(baton).Round(time.Millisecond))
	fmt.Printf("  plain ffmpeg, same settings:      %v (%v..%v)\n", pm.Round(time.Millisecond), slices.Min(plain).Round(time.Millisecond), slices.Max(plain).Round(time.Millisecond))
	fmt.Printf("  ratio baton/ffmpeg:               %.2f\n", bm.Seconds()/pm.Seconds())
	fmt.Printf("  realtime factor (baton):          %.2fx\n", *secs/bm.Seconds())
}

func processOnce(base string, raw []byte) time.Duration {
	var v struct{ ID, UploadURL string }
	resp, err := client.Post(base+"/api/videos", "application/json", bytes.NewReader([]byte(`{"title":"bench"}`)))
	check(err)
	json.NewDecoder(resp.Body).Decode(&v)
	resp.Body.Close()
	req, _ := http.NewRequest("PATCH", v.UploadURL, bytes.NewReader(raw))
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	req.Header.Set("Upload-Offset", "0")
	req.Header.Set("Upload-Length", strconv.Itoa(len(raw)))
	start := time.Now()
	resp, err = client.Do(req)
	check(err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		check(fmt.Errorf("upload: %s %s", resp.Status, body))
	}
	for {
		var st struct{ Status, Error string }
		r, err := client.Get(base + "/api/videos/" + v.ID)
		check(err)
		json.NewDecoder(r.Body).Decode(&st)
		r.Body.Close()
		if st.Status == "ready" {
			return time.Since(start)
		}
		if st.Status == "failed" {
			check(fmt.Errorf("failed: %s", st.Error))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// plainFFmpeg runs the command line Baton's transcoder uses for this input
// (see transcode/testdata/transcode_reencode.golden), without the
// safeguards that do not change the work.
func plainFFmpeg(work, src string, secs float64) time.Duration {
	out := filepath.Join(work, "plain.mp4")
	start := time.Now()
	cmd := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
		"-f", "matroska", "-i", src,
		"-filter_complex", "[0:0]crop=trunc(iw/2)*2:trunc(ih/2)*2[s0];[s0]format=yuv420p[s1]",
		"-map", "[s1]", "-map", "0:1", "-ac", "2", "-ar", "48000", "-b:a", "128k", "-c:a", "aac",
		"-c:v", "libx264", "-crf", "23", "-preset:v", "veryfast", "-profile:v", "high",
		"-force_key_frames", "expr:gte(t,n_forced*2)", "-fps_mode:v", "vfr",
		"-map_chapters", "-1", "-map_metadata", "-1", "-movflags", "+faststart", "-f", "mp4", out)
	cmd.Stderr = os.Stderr
	check(cmd.Run())
	d := time.Since(start)
	os.Remove(out)
	return d
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// client carries the benchmark account's session cookie.
var client = func() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar}
}()

// signUp creates the first account (an admin) and signs in as it.
func signUp(base string) {
	b := []byte(`{"email":"bench@example.com","name":"Bench","password":"bench-password-123"}`)
	resp, err := client.Post(base+"/api/auth/signup", "application/json", bytes.NewReader(b))
	check(err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		check(fmt.Errorf("sign up: %s %s", resp.Status, body))
	}
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	defer l.Close()
	return l.Addr().String()
}

func waitUp(base string) {
	for i := 0; i < 200; i++ {
		if r, err := http.Get(base + "/healthz"); err == nil {
			r.Body.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	check(fmt.Errorf("baton did not start"))
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
