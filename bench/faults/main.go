// Command faults kills the real Baton server with SIGKILL at random moments
// of uploads' lives, restarts it on the same data, lets the client resume
// as the browser recorder does, and counts what was lost: the long,
// randomised counterpart of cmd/baton's TestCrashAnywhere.
//
// Each trial creates a video and uploads either a WebM recording (chunks a
// few hundred milliseconds apart, length declared on the last one, so a
// live session transcodes it while it arrives) or an MP4 that a processing
// job must re-encode. At a random moment within the upload, its hand-off,
// the processing or the faststart rewrite that follows, the server is
// killed. Then it is restarted, the client asks HEAD where to resume and
// sends the rest, and the trial waits for the video to end.
//
// Per store it prints: trials; bytes lost (source bytes missing from the
// stored original, or all of them for a video that did not end ready);
// stuck (not ready within two minutes, or seen processing without a job);
// orphans (unfinished object writes, staging files and scratch left after
// the orphan sweep of a later start), next to how many leftovers the kills
// made, which the sweep removed.
//
//	go run ./bench/faults [-bin bin/baton] [-trials 50] [-store disk,minio] [-seed 1] [-quick]
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/baton-video/baton/bench/internal/harness"
	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/diskstore"
	"github.com/baton-video/baton/media/gormstore"
	"github.com/baton-video/baton/media/s3store"
)

const orphanAge = 2 * time.Second

func main() {
	bin := flag.String("bin", "bin/baton", "baton binary")
	trials := flag.Int("trials", 50, "kills per store")
	stores := flag.String("store", "disk,minio", "stores to run against")
	seed := flag.Uint64("seed", uint64(time.Now().UnixNano()), "random seed")
	quick := flag.Bool("quick", false, "a smoke run: 5 kills per store")
	flag.Parse()
	if *quick {
		*trials = 5
	}
	rng := rand.New(rand.NewPCG(*seed, 1))
	work, err := os.MkdirTemp("", "baton-faults-")
	harness.Check(err)
	harness.AtExit(func() { os.RemoveAll(work) })

	rec := filepath.Join(work, "rec.webm")
	ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30:duration=5",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=5",
		"-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "600k",
		"-c:a", "libopus", "-f", "webm", rec)
	clip := filepath.Join(work, "clip.mp4")
	ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30:duration=4",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=4",
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv444p", "-c:a", "aac", clip)
	recData, err := os.ReadFile(rec)
	harness.Check(err)
	clipData, err := os.ReadFile(clip)
	harness.Check(err)

	fmt.Printf("bench/faults: %d SIGKILLs per store at random moments (seed %d)\n", *trials, *seed)
	fmt.Printf("%-6s %7s %11s %6s %8s %10s %s\n", "store", "trials", "bytes lost", "stuck", "orphans", "swept", "where the kills landed")
	for _, store := range strings.Split(*stores, ",") {
		var env []string
		var blobs func(bucket, dataDir string) media.BlobStore
		switch store {
		case "disk":
			blobs = func(_, dataDir string) media.BlobStore {
				s, err := diskstore.New(filepath.Join(dataDir, "objects"))
				harness.Check(err)
				return s
			}
		case "minio":
			endpoint, key, secret := startMinIO(work)
			env = []string{"BATON_S3_ENDPOINT=" + endpoint, "BATON_S3_ACCESS_KEY=" + key, "BATON_S3_SECRET_KEY=" + secret}
			blobs = func(bucket, _ string) media.BlobStore {
				s, err := s3store.New(context.Background(), s3store.Config{Endpoint: endpoint, Bucket: bucket,
					AccessKey: key, SecretKey: secret, PathStyle: true})
				harness.Check(err)
				return s
			}
		default:
			harness.Check(fmt.Errorf("unknown store %q", store))
		}
		var tot total
		for i := range *trials {
			recording := rng.IntN(10) < 7
			data := clipData
			if recording {
				data = recData
			}
			// Anywhere from the first chunk to the end of the faststart
			// rewrite of a recording, or of a clip's processing.
			at := time.Duration(rng.Float64() * float64(6*time.Second))
			bucket := fmt.Sprintf("faults-%d", i)
			r := trial(*bin, filepath.Join(work, store, strconv.Itoa(i)), append(env, "BATON_S3_BUCKET="+bucket),
				func(dataDir string) media.BlobStore { return blobs(bucket, dataDir) }, data, recording, at)
			tot.add(r)
			if r.note != "" {
				fmt.Fprintf(os.Stderr, "trial %d (%s, kill at %v): %s\n", i, store, at.Round(time.Millisecond), r.note)
			}
		}
		var phases []string
		for _, p := range []string{"upload", "hand-off", "processing", "faststart", "ready", "failed"} {
			if tot.phases[p] > 0 {
				phases = append(phases, fmt.Sprintf("%s %d", p, tot.phases[p]))
			}
		}
		fmt.Printf("%-6s %7d %11d %6d %8d %10d %s\n", store, tot.trials, tot.lost, tot.stuck, tot.orphans, tot.swept,
			strings.Join(phases, ", "))
	}
}

type result struct {
	phase   string // where the kill landed
	lost    int64  // source bytes not in the stored original
	stuck   bool
	orphans int // left after the sweep
	swept   int // leftovers the kill made
	note    string
}

type total struct {
	trials, stuck, orphans, swept int
	lost                          int64
	phases                        map[string]int
}

func (t *total) add(r result) {
	if t.phases == nil {
		t.phases = map[string]int{}
	}
	t.phases[r.phase]++
	t.trials++
	t.lost += r.lost
	t.orphans += r.orphans
	t.swept += r.swept
	if r.stuck {
		t.stuck++
	}
}

// trial runs one upload, kills the server at `at`, recovers and measures.
func trial(bin, work string, env []string, blobs func(dataDir string) media.BlobStore, data []byte, recording bool, at time.Duration) (res result) {
	env = append(env, "BATON_WORKERS=1", "BATON_JOB_LEASE=2s", "BATON_ORPHAN_AGE="+orphanAge.String())
	harness.Check(os.MkdirAll(work, 0o750))
	srv := harness.Start(bin, work, env...)
	c := harness.SignUp(srv.Base)
	v := c.CreateVideo("fault trial")
	id := v.ID
	n := int64(len(data))

	// The client: chunks as a recorder sends them, until the kill.
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		chunks, pause := 10, 300*time.Millisecond
		if !recording {
			chunks, pause = 3, 0
		}
		step := (n + int64(chunks) - 1) / int64(chunks)
		for off := int64(0); off < n; off += step {
			end := min(off+step, n)
			length := int64(-1)
			if end == n {
				length = n
			}
			if st, _ := patch(c, srv.Base, id, off, data[off:end], length); st != http.StatusNoContent {
				return // killed
			}
			time.Sleep(pause)
		}
	}()
	time.Sleep(at)
	_ = srv.Cmd.Process.Kill()
	srv.Stop() // waits for the exit
	<-sent

	dataDir := srv.Data
	store := blobs(dataDir)
	left := leftovers(store, dataDir)
	res.phase = phaseOf(dataDir, id, n)

	srv = harness.Start(bin, work, env...)
	c.Base = srv.Base
	// Resume as the recorder does: HEAD, then the rest.
	deadline := time.Now().Add(15 * time.Second)
	for {
		st, off := head(c, srv.Base, id)
		if st == http.StatusOK && off < n {
			for off < n {
				end := min(off+n/5+1, n)
				length := int64(-1)
				if end == n {
					length = n
				}
				if st, body := patch(c, srv.Base, id, off, data[off:end], length); st != http.StatusNoContent {
					res.note = fmt.Sprintf("resume PATCH at %d: %d %s", off, st, body)
					break
				}
				off = end
			}
			break
		}
		if st == http.StatusOK || time.Now().After(deadline) {
			if st != http.StatusOK {
				res.note = fmt.Sprintf("HEAD after restart: %d", st)
			}
			break
		}
		time.Sleep(100 * time.Millisecond)
	}

	db, err := gormstore.Open(context.Background(), filepath.Join(dataDir, "baton.db"), nil)
	harness.Check(err)
	defer db.Close()
	status := ""
	deadline = time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		got, err := db.Video(context.Background(), id)
		harness.Check(err)
		status = string(got.Status)
		if status == "ready" || status == "failed" {
			break
		}
		if status == "processing" && !hasJob(db, id) {
			if again, _ := db.Video(context.Background(), id); again.Status == media.StatusProcessing {
				res.stuck = true
				res.note += " processing without a job;"
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if status != "ready" {
		res.stuck = res.stuck || status != "failed"
		res.note += " ended " + status + ";"
	}
	res.lost = lostBytes(store, id, data)
	if status != "ready" {
		res.lost = n
	}
	// Let the follow-up jobs finish, then sweep at a later start.
	for time.Now().Before(deadline) && hasJob(db, id) {
		time.Sleep(100 * time.Millisecond)
	}
	srv.Stop()
	time.Sleep(orphanAge)
	srv = harness.Start(bin, work, env...)
	time.Sleep(1500 * time.Millisecond)
	srv.Stop()
	res.orphans = leftovers(store, dataDir)
	res.swept = left
	if res.orphans > 0 {
		res.note += fmt.Sprintf(" %d leftovers after the sweep;", res.orphans)
	}
	_ = store.DeletePrefix(context.Background(), media.VideoPrefix(id))
	return res
}

// phaseOf names where a kill landed, from what the dead server left.
func phaseOf(dataDir, id string, n int64) string {
	db, err := gormstore.Open(context.Background(), filepath.Join(dataDir, "baton.db"), nil)
	harness.Check(err)
	defer db.Close()
	v, err := db.Video(context.Background(), id)
	harness.Check(err)
	switch v.Status {
	case media.StatusCreated, media.StatusUploading:
		if st, err := os.Stat(filepath.Join(dataDir, "uploads", id)); err == nil && st.Size() == n {
			return "hand-off"
		}
		return "upload"
	case media.StatusReady:
		if hasJob(db, id) {
			return "faststart"
		}
	}
	return string(v.Status)
}

// leftovers counts what a crash can leave: unfinished object writes,
// staged files and scratch entries (a stopped server leaves none of its
// own).
func leftovers(store media.BlobStore, dataDir string) int {
	n := 0
	if sw, ok := store.(media.UnfinishedSweeper); ok {
		u, err := sw.Unfinished(context.Background(), "")
		harness.Check(err)
		n += len(u)
	}
	for _, sub := range []string{"uploads", "tmp"} {
		entries, _ := os.ReadDir(filepath.Join(dataDir, sub))
		n += len(entries)
	}
	return n
}

// lostBytes is how many of the source's bytes the stored original lacks.
func lostBytes(store media.BlobStore, id string, data []byte) int64 {
	b, err := store.Open(context.Background(), media.OriginalKey(id))
	if err != nil {
		return int64(len(data))
	}
	defer b.Close()
	got, err := io.ReadAll(b)
	if err != nil {
		return int64(len(data))
	}
	if sha256.Sum256(got) == sha256.Sum256(data) {
		return 0
	}
	same := 0
	for same < len(got) && same < len(data) && got[same] == data[same] {
		same++
	}
	return int64(len(data) - same)
}

func hasJob(db *gormstore.DB, id string) bool {
	jobs, err := db.Jobs(context.Background())
	harness.Check(err)
	for _, j := range jobs {
		if j.VideoID == id {
			return true
		}
	}
	return false
}

func patch(c *harness.Client, base, id string, off int64, chunk []byte, length int64) (int, string) {
	req, _ := http.NewRequest("PATCH", base+"/api/uploads/"+id, bytes.NewReader(chunk))
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	req.Header.Set("Upload-Offset", strconv.FormatInt(off, 10))
	if length >= 0 {
		req.Header.Set("Upload-Length", strconv.FormatInt(length, 10))
	}
	resp, err := c.HC.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func head(c *harness.Client, base, id string) (int, int64) {
	req, _ := http.NewRequest("HEAD", base+"/api/uploads/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Tus-Resumable", "1.0.0")
	resp, err := c.HC.Do(req)
	if err != nil {
		return 0, 0
	}
	resp.Body.Close()
	off, _ := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
	return resp.StatusCode, off
}

func ffmpeg(args ...string) {
	out, err := exec.Command("ffmpeg", append([]string{"-hide_banner", "-loglevel", "error", "-y"}, args...)...).CombinedOutput()
	if err != nil {
		harness.Check(fmt.Errorf("ffmpeg: %v\n%s", err, out))
	}
}

// startMinIO runs a MinIO server on a free local port for the run:
// $BATON_MINIO_BIN, ~/.cache/baton/bin/minio (where make test puts it) or
// minio on PATH.
func startMinIO(work string) (endpoint, key, secret string) {
	bin := os.Getenv("BATON_MINIO_BIN")
	if bin == "" {
		home, _ := os.UserHomeDir()
		bin = filepath.Join(home, ".cache", "baton", "bin", "minio")
	}
	if _, err := os.Stat(bin); err != nil {
		p, err := exec.LookPath("minio")
		harness.Check(err)
		bin = p
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	harness.Check(err)
	endpoint = l.Addr().String()
	l.Close()
	key, secret = "batonfaults", "batonfaults-secret"
	cmd := exec.Command(bin, "server", "--quiet", "--address", endpoint, filepath.Join(work, "minio"))
	cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+key, "MINIO_ROOT_PASSWORD="+secret, "MINIO_BROWSER=off", "MINIO_UPDATE=off")
	harness.Check(cmd.Start())
	harness.AtExit(func() { cmd.Process.Kill(); cmd.Wait() })
	for range 200 {
		if r, err := http.Get("http://" + endpoint + "/minio/health/live"); err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				return endpoint, key, secret
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	harness.Check(fmt.Errorf("minio did not start"))
	return
}
