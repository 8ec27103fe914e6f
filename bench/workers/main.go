// Command workers measures processing throughput with one and with two
// `baton worker` processes behind one API process, on Postgres and an
// S3-compatible store (scaled out as README "Scaling out" describes), in
// the same run: N uploaded MP4s whose video must be re-encoded are queued
// at once and the time from the last upload to the last video ready gives
// videos per minute. The database and the store are the caller's:
//
//	go run ./bench/workers -bin bin/baton -db postgres://... \
//	  -s3 127.0.0.1:9000 -s3-key KEY -s3-secret SECRET [-videos 6] [-seconds 10]
//
// Each run gets a fresh bucket; the database must be empty (both runs share
// it; the second run's videos are new).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	h "github.com/baton-video/baton/bench/internal/harness"
	"github.com/baton-video/baton/media/mediatest"
)

func main() {
	bin := flag.String("bin", "bin/baton", "baton binary")
	db := flag.String("db", "", "Postgres URL (an empty database)")
	s3 := flag.String("s3", "", "S3 endpoint host:port (MinIO)")
	key := flag.String("s3-key", "", "S3 access key")
	secret := flag.String("s3-secret", "", "S3 secret key")
	videos := flag.Int("videos", 6, "videos per run")
	secs := flag.Float64("seconds", 10, "length of each video")
	flag.Parse()
	if *db == "" || *s3 == "" {
		h.Check(fmt.Errorf("-db and -s3 are required (see the package comment)"))
	}
	work, err := os.MkdirTemp("", "baton-bench-workers-")
	h.Check(err)
	h.AtExit(func() { os.RemoveAll(work) })
	defer os.RemoveAll(work)
	src := filepath.Join(work, "clip.mp4")
	// MPEG-4 Part 2 video: Baton re-encodes it (H.264 would only be copied).
	h.Check(mediatest.FFmpeg(context.Background(), mediatest.Join(mediatest.TestSrc("640x360", 30, *secs),
		mediatest.Tone(440, *secs), []string{"-c:v", "mpeg4", "-q:v", "5", "-c:a", "aac", src})...))

	env := []string{"BATON_DATABASE_URL=" + *db, "BATON_S3_ENDPOINT=" + *s3, "BATON_S3_ACCESS_KEY=" + *key,
		"BATON_S3_SECRET_KEY=" + *secret, "BATON_S3_BUCKET=baton-bench-workers", "BATON_LOG_LEVEL=warn"}
	h.Check(os.MkdirAll(filepath.Join(work, "api"), 0o755))
	api := h.Start(*bin, filepath.Join(work, "api"), append(env, "BATON_WORKERS=0")...)
	defer api.Stop()
	c := h.SignUp(api.Base)

	fmt.Printf("processing throughput, %d x %gs 640x360 MPEG-4 -> H.264 per run, 1 API (BATON_WORKERS=0) + N baton worker (1 job each), %s\n",
		*videos, *secs, time.Now().Format("2006-01-02"))
	var base float64
	for _, n := range []int{1, 2} {
		var ws []*exec.Cmd
		for i := range n {
			w := exec.Command(*bin, "worker")
			w.Env = append(os.Environ(), append(env, "BATON_WORKERS=1",
				"BATON_DATA_DIR="+filepath.Join(work, fmt.Sprintf("w%d-%d", n, i)))...)
			h.Check(w.Start())
			h.AtExit(func() { _ = w.Process.Kill() })
			ws = append(ws, w)
		}
		ids := make([]string, *videos)
		var wg sync.WaitGroup
		for i := range *videos {
			wg.Add(1)
			go func() {
				defer wg.Done()
				v := c.CreateVideo(fmt.Sprintf("run %d video %d", n, i))
				h.Check(c.Upload(v.UploadURL, src, 8<<20, 0))
				ids[i] = v.ID
			}()
		}
		wg.Wait()
		start := time.Now()
		for _, id := range ids {
			v, err := c.WaitReady(id, time.Now().Add(10*time.Minute))
			h.Check(err)
			if v.Status != "ready" {
				h.Check(fmt.Errorf("video %s: %s %s", id, v.Status, v.Error))
			}
		}
		took := time.Since(start)
		perMin := float64(*videos) / took.Minutes()
		if n == 1 {
			base = perMin
		}
		fmt.Printf("  %d worker(s): %d videos ready %v after the last upload: %.1f videos/min (%.2fx one worker)\n",
			n, *videos, took.Round(time.Millisecond), perMin, perMin/base)
		for _, w := range ws {
			_ = w.Process.Signal(os.Interrupt)
			_ = w.Wait()
		}
	}
}
