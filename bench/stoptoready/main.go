// Command stoptoready measures how long a viewer waits after a recording
// stops: recordings of several lengths arrive at real-time pace in 1 s
// chunks, as Baton's browser recorder sends them, and the time from the last
// chunk to status "ready" is compared, in the same run, with the naive
// pipeline (the whole file arrives after Stop, then one ffmpeg run with the
// same output settings).
//
//	go run ./bench/stoptoready -bin bin/baton -minutes 1,5,15
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
	"strconv"
	"strings"
	"time"
)

func main() {
	bin := flag.String("bin", "bin/baton", "baton binary")
	minutes := flag.String("minutes", "1,5,15", "recording lengths in minutes")
	size := flag.String("size", "1920x1080", "frame size")
	speed := flag.Float64("speed", 1, "arrival pace: 1 = real time; 2 = twice as fast (for quick runs)")
	codec := flag.String("codec", "h264", "recorded video codec: h264 (Chromium's H.264 MediaRecorder) or vp8")
	flag.Parse()

	work, err := os.MkdirTemp("", "baton-bench-")
	check(err)
	defer os.RemoveAll(work)

	fmt.Printf("Stop-to-ready, %s %s+opus screen-like recordings arriving in 1 s chunks at %.3gx real time\n", *size, *codec, *speed)
	fmt.Printf("%-8s %-14s %-14s %-8s %-18s %-14s %-14s\n", "length", "baton", "naive", "ratio", "baton cpu/min", "baton peak", "ffmpeg peak")
	for _, m := range strings.Split(*minutes, ",") {
		mins, err := strconv.ParseFloat(strings.TrimSpace(m), 64)
		check(err)
		src := filepath.Join(work, fmt.Sprintf("rec-%gm.mkv", mins))
		makeRecording(src, mins*60, *size, *codec)
		r := runBaton(*bin, work, src, mins*60, *speed)
		naive := runNaive(work, src)
		fmt.Printf("%-8s %-14s %-14s %-8s %-18s %-14s %-14s\n",
			fmt.Sprintf("%gm", mins), r.stopToReady.Round(time.Millisecond), naive.Round(time.Millisecond),
			fmt.Sprintf("%.2f", naive.Seconds()/r.stopToReady.Seconds()),
			fmt.Sprintf("%.1fs", r.cpu.Seconds()/mins), mib(r.peakRSS), mib(r.peakFFmpeg))
		os.Remove(src)
	}
}

func mib(kb int64) string { return fmt.Sprintf("%.0f MiB", float64(kb)/1024) }

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// makeRecording encodes screen-like content (mostly still, small moving
// parts, sharp edges) the way Chromium's MediaRecorder does: Matroska with no
// duration in the header, keyframes every 2 s, Opus audio.
func makeRecording(path string, seconds float64, size, codec string) {
	d := strconv.FormatFloat(seconds, 'f', -1, 64)
	vc := []string{"-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "60", "-b:v", "3M"}
	if codec == "vp8" {
		vc = []string{"-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-g", "60", "-b:v", "3M"}
	}
	args := []string{"-hide_banner", "-loglevel", "error",
		"-f", "lavfi", "-i", "testsrc2=size=" + size + ":rate=30:duration=" + d,
		"-f", "lavfi", "-i", "sine=frequency=300:sample_rate=48000:duration=" + d}
	args = append(args, vc...)
	args = append(args, "-pix_fmt", "yuv420p", "-c:a", "libopus", "-f", "matroska", "pipe:1")
	f, err := os.Create(path)
	check(err)
	defer f.Close()
	cmd := exec.Command("ffmpeg", args...)
	cmd.Stdout = f
	cmd.Stderr = os.Stderr
	check(cmd.Run())
}

type result struct {
	stopToReady time.Duration
	cpu         time.Duration
	peakRSS     int64 // KiB, baton process
	peakFFmpeg  int64 // KiB, largest ffmpeg child seen
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

func runBaton(bin, work, src string, seconds, speed float64) result {
	data := filepath.Join(work, "data")
	os.RemoveAll(data)
	addr := freeAddr()
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "BATON_ADDR="+addr, "BATON_DATA_DIR="+data, "BATON_WORKERS=1", "BATON_LOG_LEVEL=warn")
	cmd.Stderr = os.Stderr
	check(cmd.Start())
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	base := "http://" + addr
	for i := 0; ; i++ {
		if r, err := http.Get(base + "/healthz"); err == nil {
			r.Body.Close()
			break
		}
		if i > 200 {
			check(fmt.Errorf("baton did not start"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	signUp(base)
	var v struct{ ID, UploadURL, Status, Error string }
	b, _ := json.Marshal(map[string]string{"title": "bench"})
	resp, err := client.Post(base+"/api/videos", "application/json", bytes.NewReader(b))
	check(err)
	json.NewDecoder(resp.Body).Decode(&v)
	resp.Body.Close()

	raw, err := os.ReadFile(src)
	check(err)
	chunks := int(seconds)
	step := (len(raw) + chunks - 1) / chunks
	sampler := startSampler(cmd.Process.Pid, data)
	cpu0 := cpuTime(cmd.Process.Pid)
	start := time.Now()
	off := 0
	for i := 0; off < len(raw); i++ {
		// Real-time pace: chunk i is produced at i seconds.
		due := start.Add(time.Duration(float64(i) * float64(time.Second) / speed))
		time.Sleep(time.Until(due))
		end := min(off+step, len(raw))
		length := -1
		if end == len(raw) {
			length = len(raw)
			due := start.Add(time.Duration(float64(i+1) * float64(time.Second) / speed))
			time.Sleep(time.Until(due))
		}
		if length >= 0 {
			stop := time.Now()
			patch(v.UploadURL, off, raw[off:end], length)
			waitReady(base, v.ID)
			res := result{stopToReady: time.Since(stop)}
			res.cpu = cpuTime(cmd.Process.Pid) - cpu0
			res.peakRSS, res.peakFFmpeg = sampler.stop()
			return res
		}
		patch(v.UploadURL, off, raw[off:end], length)
		off = end
	}
	panic("unreachable")
}

func patch(url string, off int, chunk []byte, length int) {
	req, _ := http.NewRequest("PATCH", url, bytes.NewReader(chunk))
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	req.Header.Set("Upload-Offset", strconv.Itoa(off))
	if length >= 0 {
		req.Header.Set("Upload-Length", strconv.Itoa(length))
	}
	resp, err := client.Do(req)
	check(err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		check(fmt.Errorf("PATCH: %s %s", resp.Status, body))
	}
}

func waitReady(base, id string) {
	for {
		var v struct{ Status, Error string }
		resp, err := client.Get(base + "/api/videos/" + id)
		check(err)
		json.NewDecoder(resp.Body).Decode(&v)
		resp.Body.Close()
		switch v.Status {
		case "ready":
			return
		case "failed":
			check(fmt.Errorf("video failed: %s", v.Error))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// runNaive is the pipeline without progressive processing: after Stop the
// whole file is copied (the upload, at disk speed here, which flatters it)
// and transcoded with the same output settings Baton uses for H.264 input.
func runNaive(work, src string) time.Duration {
	dst := filepath.Join(work, "naive-upload.mkv")
	out := filepath.Join(work, "naive.mp4")
	start := time.Now()
	in, err := os.Open(src)
	check(err)
	f, err := os.Create(dst)
	check(err)
	_, err = io.Copy(f, in)
	check(err)
	f.Close()
	in.Close()
	cmd := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
		"-f", "matroska", "-i", dst, "-map", "0:v:0", "-map", "0:a:0?",
		"-c:v", "copy", "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", out)
	cmd.Stderr = os.Stderr
	check(cmd.Run())
	d := time.Since(start)
	os.Remove(dst)
	os.Remove(out)
	return d
}
