package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/gormstore"
	"github.com/baton-video/baton/media/mediatest"
)

// scaleEnv is Baton scaled out for real: Postgres, MinIO, two API
// processes without workers, two `baton worker` processes, and a
// round-robin reverse proxy in front that alternates between the APIs on
// every request (no sticky sessions).
type scaleEnv struct {
	lb      *testServer // the proxy, as clients see Baton
	apis    []*process
	workers []*process
	ffLog   string // one line per ffmpeg run: the worker's pid, then the arguments
	dbURL   string
	bin     string
	apiEnv  [][]string // to restart an API process as it was
	// lbTransport is the proxy's; its idle connections to a killed API
	// must go, as a real balancer's health checks would make them.
	lbTransport *http.Transport
}

func startScaleEnv(t *testing.T) *scaleEnv {
	t.Helper()
	requireFFmpeg(t)
	bin := buildBaton(t)
	pg := mediatest.StartPostgres(t)
	dbURL := pg.CreateDB(t)
	minio := mediatest.StartMinIO(t)

	// The first process migrates; provision the harness's admin token.
	db, err := gormstore.OpenURL(context.Background(), dbURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	provisionAuth(t, db)
	db.Close()

	env := &scaleEnv{ffLog: filepath.Join(t.TempDir(), "ffmpeg.log"), dbURL: dbURL}
	realFF, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Fatal(err)
	}
	wrapper := filepath.Join(t.TempDir(), "ffmpeg")
	script := fmt.Sprintf("#!/bin/sh\necho \"$PPID $*\" >> %q\nexec %q \"$@\"\n", env.ffLog, realFF)
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}

	var backends []*url.URL
	var next atomic.Uint64
	env.lbTransport = http.DefaultTransport.(*http.Transport).Clone()
	lb := httptest.NewUnstartedServer(&httputil.ReverseProxy{
		Transport: env.lbTransport,
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(backends[next.Add(1)%uint64(len(backends))])
			r.Out.Host = r.In.Host
			r.SetXForwarded()
		},
		FlushInterval: -1,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			t.Logf("proxy: %s %s: %v", r.Method, r.URL, err)
			w.WriteHeader(http.StatusBadGateway)
		},
	})
	lb.Start()
	t.Cleanup(lb.Close)

	common := []string{
		"BATON_DATABASE_URL=" + dbURL,
		"BATON_S3_ENDPOINT=" + minio.Endpoint, "BATON_S3_ACCESS_KEY=" + minio.AccessKey,
		"BATON_S3_SECRET_KEY=" + minio.SecretKey, "BATON_S3_BUCKET=baton-scale",
		"BATON_JOB_LEASE=2s", "BATON_LOG_LEVEL=warn", "BATON_PUBLIC_URL=" + lb.URL,
		"BATON_TRUSTED_PROXIES=127.0.0.1",
	}
	for i := range 2 {
		addr := freeAddr(t)
		apiEnv := append(slices.Clone(common),
			"BATON_ADDR="+addr, "BATON_DATA_DIR="+filepath.Join(t.TempDir(), fmt.Sprintf("api%d", i)),
			"BATON_WORKERS=0", "BATON_FFMPEG="+wrapper)
		p := startBaton(t, bin, "serve", "http://"+addr, apiEnv)
		env.apis = append(env.apis, p)
		env.apiEnv = append(env.apiEnv, apiEnv)
		u, _ := url.Parse(p.url)
		backends = append(backends, u)
	}
	env.bin = bin
	for i := range 2 {
		env.workers = append(env.workers, startBaton(t, bin, "worker", "", append(common,
			"BATON_DATA_DIR="+filepath.Join(t.TempDir(), fmt.Sprintf("worker%d", i)),
			"BATON_WORKERS=1", "BATON_FFMPEG="+wrapper)))
	}
	env.lb = &testServer{URL: lb.URL}
	return env
}

// startBaton runs the binary with args and env; a process with an HTTP
// address is ready when /readyz answers 200.
func startBaton(t *testing.T, bin, cmdName, base string, env []string) *process {
	t.Helper()
	cmd := exec.Command(bin, cmdName)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = tbWriter{t}, tbWriter{t}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, url: base, done: make(chan struct{})}
	go func() { cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.kill(t) })
	if base == "" {
		return p
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if r, err := http.Get(base + "/readyz"); err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case <-p.done:
			t.Fatalf("baton %s exited during start", cmdName)
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("baton %s did not become ready", cmdName)
	return nil
}

// ffmpegRuns reads the wrapper's log: per job scratch directory, the pids
// of the workers that ran ffmpeg in it and how many runs there were.
func (e *scaleEnv) ffmpegRuns(t *testing.T) []ffRun {
	t.Helper()
	f, err := os.Open(e.ffLog)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []ffRun
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		pid, args, _ := strings.Cut(sc.Text(), " ")
		n, _ := strconv.Atoi(pid)
		out = append(out, ffRun{pid: n, args: args, job: jobDirRE.FindString(args)})
	}
	return out
}

type ffRun struct {
	pid  int
	args string
	job  string // job-<id>-<random>, the scratch dir of one claim of one job
}

var jobDirRE = regexp.MustCompile(`job-\d+-\d+`)

// TestScaleOut drives the scaled-out deployment through the proxy: uploads
// whose chunks alternate between the APIs all end ready and each is
// processed exactly once; a comment posted on one API reaches a viewer
// connected to the other within a second; a worker killed mid-job leaves
// the other to finish it.
func TestScaleOut(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Postgres, MinIO and four Baton processes")
	}
	e := startScaleEnv(t)

	// 20 uploads in 4 chunks each; the proxy alternates every request, so
	// creation, chunks and the final PATCH land on both APIs.
	// Half are browser recordings (WebM: transcoded live by the API
	// process holding the upload), half phone videos (MP4: a processing job
	// for the workers).
	webm, mp4 := filepath.Join(t.TempDir(), "rec.webm"), filepath.Join(t.TempDir(), "phone.mp4")
	mediatest.MustWebM(t, webm, 2, "160x120")
	mediatest.MustMP4(t, mp4, 2, "160x120")
	files := [][]byte{mustRead(t, webm), mustRead(t, mp4)}
	const uploads = 20
	ids := make([]string, uploads)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i := range uploads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			v := e.lb.MustCreateVideo(t, fmt.Sprintf("scale %d", i))
			ids[i] = v.ID
			if resp, body := uploadChunks(t, v.UploadURL, files[i%2], 4); resp.StatusCode != http.StatusNoContent {
				t.Errorf("upload %d: final PATCH = %s %s", i, resp.Status, body)
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	start := time.Now()
	for i, id := range ids {
		v := e.lb.waitStatus(t, id, 3*time.Minute, "ready", "failed")
		if v.Status != "ready" {
			t.Fatalf("upload %d: %s (%s)", i, v.Status, v.Error)
		}
	}
	t.Logf("%d uploads ready %v after the last byte", uploads, time.Since(start).Round(time.Millisecond))
	waitNoJobs(t, e)

	// Exactly once. A WebM recording is transcoded live by the API
	// process that holds its upload: one ffmpeg reading pipe:0 per
	// recording. An MP4 gets a processing job: one claim (one scratch
	// directory) transcoding its original.
	runs := e.ffmpegRuns(t)
	apiPIDs := map[int]bool{e.apis[0].cmd.Process.Pid: true, e.apis[1].cmd.Process.Pid: true}
	live := map[int]int{}
	claims := map[string]map[string]bool{} // job id -> scratch dirs
	processJobs := map[string]bool{}
	byWorker := map[int]map[string]bool{}
	for _, r := range runs {
		if apiPIDs[r.pid] && strings.Contains(r.args, "-i pipe:0") {
			live[r.pid]++
		}
		if r.job == "" {
			continue
		}
		id := strings.Split(r.job, "-")[1]
		if claims[id] == nil {
			claims[id] = map[string]bool{}
		}
		claims[id][r.job] = true
		if strings.Contains(r.args, r.job+"/original ") {
			processJobs[id] = true
		}
		if byWorker[r.pid] == nil {
			byWorker[r.pid] = map[string]bool{}
		}
		byWorker[r.pid][r.job] = true
	}
	if n := live[e.apis[0].cmd.Process.Pid] + live[e.apis[1].cmd.Process.Pid]; n != uploads/2 {
		t.Fatalf("%d live transcodes, want %d (one per recording)", n, uploads/2)
	}
	if len(live) != 2 {
		t.Errorf("live transcodes ran on %d API processes, want both: %v", len(live), live)
	}
	if len(processJobs) != uploads/2 {
		t.Fatalf("%d process jobs transcoded an original, want %d (one per MP4)", len(processJobs), uploads/2)
	}
	// A process job claimed twice would be a video processed twice. (Other
	// kinds of follow-up may be retried after a failure, each retry a new
	// claim; that is not double work.)
	for id := range processJobs {
		if dirs := claims[id]; len(dirs) != 1 {
			t.Fatalf("process job %s ran in %d claims: %v", id, len(dirs), dirs)
		}
	}
	perWorker := map[int]int{}
	for pid, jobs := range byWorker {
		perWorker[pid] = len(jobs)
	}
	t.Logf("live transcodes per API pid %v; job claims per worker pid %v", live, perWorker)
	if len(perWorker) != 2 {
		t.Errorf("jobs went to %d workers, want both", len(perWorker))
	}

	parent := t
	t.Run("comment reaches the other API within a second", func(t *testing.T) {
		var v commentedVideo
		e.lb.mustCall(t, "GET", "/api/videos/"+ids[0], nil, hdr("Authorization", "Bearer "+testToken), 200, &v)
		share := "/api/share/" + v.Slug
		api1, api2 := &testServer{URL: e.apis[0].url}, &testServer{URL: e.apis[1].url}
		ch, stop := api2.openEvents(t, share, "", nil)
		defer stop()
		if ev := next(t, ch, 3*time.Second); ev.Event != "sync" {
			t.Fatalf("first event %+v, want sync", ev)
		}
		const n = 50
		lat := make([]time.Duration, 0, n)
		for i := range n {
			// One guest per comment, as 50 viewers would be; the proxy
			// address is trusted, so rate limits key on X-Forwarded-For.
			h := hdr("X-Guest-Secret", media.NewGuestSecret(), "X-Forwarded-For", fmt.Sprintf("10.1.%d.%d", i/200, i%200+1))
			t0 := time.Now()
			c := api1.mustComment(t, share, map[string]any{"body": fmt.Sprintf("c%d", i), "timeMs": 0, "guestName": "G"}, h)
			ev := decodeEvent(t, next(t, ch, 2*time.Second))
			if ev.Type != "created" || ev.Comment.ID != c.ID {
				t.Fatalf("event %d = %+v, want the comment %s", i, ev, c.ID)
			}
			lat = append(lat, time.Since(t0))
		}
		slices.Sort(lat)
		p50, p99 := lat[n/2], lat[n*99/100]
		t.Logf("post on API 1 -> SSE on API 2: p50 %v, p99 %v, max %v over %d comments",
			p50.Round(time.Microsecond), p99.Round(time.Microsecond), lat[n-1].Round(time.Microsecond), n)
		if p99 > time.Second {
			t.Fatalf("p99 %v, want under 1 s", p99)
		}
	})

	t.Run("recording paced like a browser is ready soon after Stop", func(t *testing.T) {
		// A 6 s recording sent as a recorder does, one chunk a second, every
		// chunk through the other API than the one before.
		rec := filepath.Join(t.TempDir(), "rec.mkv")
		mediatest.MustRecording(t, rec, 6, "640x360", "h264")
		data := mustRead(t, rec)
		v := e.lb.MustCreateVideo(t, "paced")
		const chunks = 6
		step := (len(data) + chunks - 1) / chunks
		var stop time.Time
		for off := 0; off < len(data); off += step {
			end := min(off+step, len(data))
			length := int64(-1)
			if end == len(data) {
				length = int64(len(data))
				time.Sleep(time.Second)
				stop = time.Now() // the recorder sends its last chunk at Stop
			}
			api := e.apis[(off/step)%2]
			u := strings.Replace(v.UploadURL, e.lb.URL, api.url, 1)
			if resp, body := patch(t, u, int64(off), data[off:end], length); resp.StatusCode != http.StatusNoContent {
				t.Fatalf("chunk at %d via %s: %s %s", off, api.url, resp.Status, body)
			}
			if end < len(data) {
				time.Sleep(time.Second)
			}
		}
		var got apiVideo
		for {
			e.lb.do(t, "GET", "/api/videos/"+v.ID, nil, &got)
			if got.Status == "ready" || got.Status == "failed" || time.Since(stop) > time.Minute {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if got.Status != "ready" {
			t.Fatalf("paced recording: %s (%s)", got.Status, got.Error)
		}
		took := time.Since(stop)
		t.Logf("paced recording ready %v after Stop (chunks alternating between the APIs)", took.Round(time.Millisecond))
		if took > 2*time.Second {
			t.Fatalf("ready %v after Stop, want within 2 s", took)
		}
	})

	t.Run("kill -9 of the API holding a live recording", func(t *testing.T) {
		rec := filepath.Join(t.TempDir(), "rec.mkv")
		mediatest.MustRecording(t, rec, 4, "320x240", "h264")
		data := mustRead(t, rec)
		// Created on API 1 directly, so API 1 holds it.
		holder := &testServer{URL: e.apis[0].url}
		v := holder.MustCreateVideo(t, "holder dies")
		viaOther := strings.Replace(v.UploadURL, e.lb.URL, e.apis[1].url, 1)
		half := len(data) / 2
		if resp, body := patch(t, viaOther, 0, data[:half], -1); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("first half via API 2: %s %s", resp.Status, body)
		}
		if err := e.apis[0].cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-e.apis[0].done
		resp, body := patch(t, viaOther, int64(half), data[half:], int64(len(data)))
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("rest while the holder is dead: %s %s, want 503", resp.Status, body)
		}
		// The holder restarts on its data dir: the rest goes through API 2,
		// and the recording, whose live session died with the process, is
		// processed as a whole by a worker.
		// Started for the whole test, not this subtest: later ones use it.
		e.apis[0] = startBaton(parent, e.bin, "serve", e.apis[0].url, e.apiEnv[0])
		e.lbTransport.CloseIdleConnections()
		if resp, body := patch(t, viaOther, int64(half), data[half:], int64(len(data))); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("rest after the holder restarted: %s %s", resp.Status, body)
		}
		got := e.lb.waitStatus(t, v.ID, 2*time.Minute, "ready", "failed")
		if got.Status != "ready" {
			t.Fatalf("after the holder was killed: %s (%s)", got.Status, got.Error)
		}
	})

	t.Run("kill -9 of a worker mid-job", func(t *testing.T) {
		// An MP4 whose video must be re-encoded: a job of a few seconds.
		long := filepath.Join(t.TempDir(), "long.mp4")
		mediatest.MustMP4(t, long, 20, "640x360", "-c:v", "mpeg4", "-q:v", "5")
		ldata, _ := os.ReadFile(long)
		before := len(e.ffmpegRuns(t))
		v := e.lb.MustCreateVideo(t, "long")
		// A viewer on API 2 watches the video: the workers' progress and
		// the final state must reach it, whoever makes them.
		watch, stopWatch := (&testServer{URL: e.apis[1].url}).openEvents(t, "/api/share/"+v.Slug, "", nil)
		defer stopWatch()
		if resp, body := uploadChunks(t, v.UploadURL, ldata, 6); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("final PATCH = %s %s", resp.Status, body)
		}
		// Wait until a worker runs ffmpeg on it, then kill that worker.
		var victim *process
		deadline := time.Now().Add(time.Minute)
		for victim == nil && time.Now().Before(deadline) {
			for _, r := range e.ffmpegRuns(t)[before:] {
				for _, w := range e.workers {
					if w.cmd.Process.Pid == r.pid && strings.Contains(r.args, "/original ") {
						victim = w
					}
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		if victim == nil {
			t.Fatal("no worker started on the long video")
		}
		if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-victim.done
		killedAt := time.Now()
		got := e.lb.waitStatus(t, v.ID, 3*time.Minute, "ready", "failed")
		if got.Status != "ready" {
			t.Fatalf("after the kill: %s (%s)", got.Status, got.Error)
		}
		t.Logf("ready %v after its worker was killed", time.Since(killedAt).Round(time.Millisecond))
		var states []string
		timeout := time.After(5 * time.Second)
	watching:
		for {
			select {
			case ev, ok := <-watch:
				if !ok {
					break watching
				}
				if ev.Event != "video" {
					continue
				}
				var sv apiVideo
				if err := json.Unmarshal([]byte(ev.Data), &sv); err != nil {
					t.Fatalf("video event %q: %v", ev.Data, err)
				}
				states = append(states, fmt.Sprintf("%s/%.0f", sv.Status, sv.Progress))
				if sv.Status == "ready" {
					break watching
				}
			case <-timeout:
				t.Fatalf("the viewer on API 2 never saw the video ready; it saw %v", states)
			}
		}
		t.Logf("states seen by a viewer on API 2: %v", states)
		var survivor bool
		for _, r := range e.ffmpegRuns(t)[before:] {
			if r.pid != victim.cmd.Process.Pid && r.job != "" {
				survivor = true
			}
		}
		if !survivor {
			t.Fatal("the surviving worker never ran the job")
		}
	})
}

// waitNoJobs waits until the shared queue is empty (follow-up jobs done).
func waitNoJobs(t *testing.T, e *scaleEnv) {
	t.Helper()
	db, err := gormstore.OpenURL(context.Background(), e.dbURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		n, err := db.ActiveJobs(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d jobs still queued or running", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
