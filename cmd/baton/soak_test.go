package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/mediatest"
)

// TestSoakMixedTraffic runs rounds of everything people do at once against
// one in-process server: recordings uploaded while they are converted
// (some deleted halfway), plain uploads processed by jobs, listing and
// reading videos, guests commenting, editing, reacting and unreacting, live
// event streams opened and dropped, and finished videos deleted. After a
// warm-up, what the process holds between rounds (goroutines, and heap in
// use after a collection) must stay flat: a leak of one goroutine or one
// buffer per request, upload, stream or video grows with every round.
//
// Upload upkeep, which runs once a minute, runs in every round too: the
// soak found it interrupting running uploads and spoiling their keep-alive
// connections (TestUpkeepLeavesRunningUploadsAlone).
//
// This is the CI-sized form (about 70 s); bench/soak runs the same
// kinds of traffic against the real binary for 30 minutes.
func TestSoakMixedTraffic(t *testing.T) {
	if testing.Short() {
		t.Skip("soak: skipped with -short")
	}
	const (
		warmup  = 3
		soakFor = time.Minute // of measured rounds
		window  = 3           // rounds averaged at each end
		// Tolerances: goroutines come and go with idle connections and
		// timers; the heap with caches that fill to their bounds.
		maxGoroutineGrowth = 20
		maxHeapGrowth      = 0.5
	)
	dir := t.TempDir()
	rec := filepath.Join(dir, "rec.mkv")
	mediatest.MustRecording(t, rec, 3, "320x240", "h264", "-b:v", "500k", "-minrate", "500k", "-maxrate", "500k", "-bufsize", "500k")
	mp4 := filepath.Join(dir, "phone.mp4")
	mediatest.MustMP4(t, mp4, 2, "320x240")

	cfg := testConfig(t, t.TempDir(), func(c *Config) { c.Workers = 2 })
	s := mustStartLoad(t, cfg, generous)
	target := s.mustReadyVideo(t, "the conversation")
	sk := &soaker{s: s, lc: newLoadClient(s.URL, 64), rec: rec, mp4: mp4, target: target}

	type sample struct {
		goroutines int
		heap       uint64
	}
	var samples []sample
	var prev []string // videos of the last round, deleted by the next
	start := time.Now()
	var measuring time.Time
	round := 0
	for ; round < warmup || time.Since(measuring) < soakFor || len(samples) < 3*window; round++ {
		if round == warmup {
			measuring = time.Now()
		}
		roundStart := time.Now()
		prev = sk.round(t, round, prev)
		if t.Failed() {
			t.FailNow()
		}
		s.waitJobsDone(t, 60*time.Second)
		g, h := settle(sk.lc)
		t.Logf("round %2d: %v, goroutines %d, heap in use %s", round, time.Since(roundStart).Round(time.Millisecond), g, mib(h))
		if round >= warmup {
			samples = append(samples, sample{g, h})
		}
	}
	mean := func(ss []sample) (float64, float64) {
		var g, h float64
		for _, s := range ss {
			g += float64(s.goroutines)
			h += float64(s.heap)
		}
		return g / float64(len(ss)), h / float64(len(ss))
	}
	g0, h0 := mean(samples[:window])
	g1, h1 := mean(samples[len(samples)-window:])
	t.Logf("%d rounds in %v; after warm-up: goroutines %.0f → %.0f, heap in use %s → %s; answers: %v",
		round, time.Since(start).Round(time.Second), g0, g1, mib(uint64(h0)), mib(uint64(h1)), sk.lc.counts)

	if bad := sk.lc.counts.serverErrors(); len(bad) != 0 {
		t.Errorf("server errors: %v", bad)
	}
	if g1 > g0+maxGoroutineGrowth {
		t.Errorf("goroutines grew from %.0f to %.0f over %d rounds (tolerance +%d)\n%s",
			g0, g1, len(samples), maxGoroutineGrowth, goroutineDump())
	}
	if h1 > h0*(1+maxHeapGrowth) {
		t.Errorf("heap in use grew from %s to %s over %d rounds (tolerance +%.0f%%)",
			mib(uint64(h0)), mib(uint64(h1)), len(samples), maxHeapGrowth*100)
	}
	// Deleted videos left nothing behind: the store holds the target's
	// objects and the last round's, staging holds nothing.
	var live []string
	for _, id := range append(prev, target.ID) {
		live = append(live, media.VideoPrefix(id))
	}
	for _, k := range s.objectKeys(t, "videos/") {
		if !hasAnyPrefix(k, live) {
			t.Errorf("object of a deleted video: %s", k)
		}
	}
	if left := listFiles(t, filepath.Join(cfg.DataDir, "uploads")); len(left) != 0 {
		t.Errorf("staging files left: %v", left)
	}
	if left := listFiles(t, filepath.Join(cfg.DataDir, "tmp")); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// settle closes the client's idle connections, waits for the goroutine
// count to stop falling (servers notice closed connections, streams end),
// and returns it with the heap in use after a collection.
func settle(lc *loadClient) (int, uint64) {
	lc.hc.CloseIdleConnections()
	n := goroutines()
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); {
		time.Sleep(200 * time.Millisecond)
		m := goroutines()
		if m >= n {
			break
		}
		n = m
	}
	return goroutines(), heapInuse()
}

// goroutines counts this process's goroutines except tusd's delayed
// request contexts: tusd keeps one for GracefulRequestCompletionTimeout
// (10 s) after each upload request, so their number follows the recent
// request rate, not what has accumulated.
func goroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if g != "" && !strings.Contains(g, "tusd/v2/pkg/handler.newDelayedContext") {
			count++
		}
	}
	return count
}

func goroutineDump() string {
	var b strings.Builder
	_ = pprof.Lookup("goroutine").WriteTo(&b, 1)
	return b.String()
}

// soaker drives one server with mixed traffic.
type soaker struct {
	s      *testServer
	lc     *loadClient
	rec    string // a short recording (live path)
	mp4    string // a short MP4 (job path)
	target commentedVideo
}

// round runs one round of mixed traffic: it deletes the videos of the
// previous round while making new ones, and returns the new ones that
// stay.
func (sk *soaker) round(t *testing.T, round int, prev []string) []string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		kept []string
		errs []string
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		errs = append(errs, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	owner := hdr("Authorization", "Bearer "+testToken)
	lc := sk.lc
	create := func(title string) (apiVideo, bool) {
		var v apiVideo
		status, b, _ := lc.send(ctx, "video POST", "POST", "/api/videos", map[string]string{"title": title}, owner)
		if status != http.StatusCreated || json.Unmarshal(b, &v) != nil {
			fail("create video: %d %s", status, b)
			return v, false
		}
		return v, true
	}
	waitReady := func(id string) bool {
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			var v apiVideo
			status, b, _ := lc.send(ctx, "video GET", "GET", "/api/videos/"+id, nil, owner)
			if status == http.StatusOK && json.Unmarshal(b, &v) == nil {
				switch v.Status {
				case "ready":
					return true
				case "failed":
					fail("video %s failed: %s", id, v.Error)
					return false
				}
			}
		}
		fail("video %s not ready after 60s", id)
		return false
	}

	// Uploads: recordings in chunks (converted while they upload), a plain
	// MP4 (a processing job), and a recording deleted halfway.
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, ok := create(fmt.Sprintf("round %d recording %d", round, i))
			if !ok {
				return
			}
			if err := lc.streamUpload(ctx, v.UploadURL, sk.rec, 64<<10); err != nil {
				fail("upload recording: %v", err)
				return
			}
			if waitReady(v.ID) {
				mu.Lock()
				kept = append(kept, v.ID)
				mu.Unlock()
			}
		}()
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		v, ok := create(fmt.Sprintf("round %d phone", round))
		if !ok {
			return
		}
		if err := lc.streamUpload(ctx, v.UploadURL, sk.mp4, 1<<20); err != nil {
			fail("upload mp4: %v", err)
			return
		}
		if waitReady(v.ID) {
			mu.Lock()
			kept = append(kept, v.ID)
			mu.Unlock()
		}
	}()
	go func() {
		defer wg.Done()
		v, ok := create(fmt.Sprintf("round %d abandoned", round))
		if !ok {
			return
		}
		if err := lc.streamPart(ctx, v.UploadURL, sk.rec, 32<<10, 4); err != nil {
			fail("partial upload: %v", err)
			return
		}
		if status, b, _ := lc.send(ctx, "video DELETE", "DELETE", "/api/videos/"+v.ID, nil, owner); status != http.StatusNoContent {
			fail("delete mid-upload: %d %s", status, b)
		}
	}()

	// Deletes of the previous round's videos.
	for _, id := range prev {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if status, b, _ := lc.send(ctx, "video DELETE", "DELETE", "/api/videos/"+id, nil, owner); status != http.StatusNoContent {
				fail("delete %s: %d %s", id, status, b)
			}
		}()
	}

	// Readers: the library, each video, the share page and its comments.
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				var page struct{ Videos []apiVideo }
				status, b, _ := lc.send(ctx, "videos GET", "GET", "/api/videos?limit=50", nil, owner)
				if status != http.StatusOK || json.Unmarshal(b, &page) != nil {
					fail("list videos: %d %s", status, b)
					return
				}
				for _, v := range page.Videos {
					lc.send(ctx, "video GET", "GET", "/api/videos/"+v.ID, nil, owner)
				}
				lc.send(ctx, "share GET", "GET", sk.target.Share, nil, nil)
				lc.send(ctx, "comments GET", "GET", sk.target.Share+"/comments?limit=50", nil, nil)
				lc.send(ctx, "reactions GET", "GET", sk.target.Share+"/reactions", nil, nil)
			}
		}()
	}

	// Guests: post, reply, edit, delete, react and take it back.
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			guest := hdr("X-Guest-Secret", media.NewGuestSecret())
			share := sk.target.Share
			var ids []string
			for i := 0; i < 4; i++ {
				var c apiComment
				status, b, _ := lc.send(ctx, "comment POST", "POST", share+"/comments",
					map[string]any{"body": fmt.Sprintf("round %d guest %d #%d", round, g, i), "timeMs": i * 100, "guestName": "Guest"}, guest)
				if status != http.StatusCreated || json.Unmarshal(b, &c) != nil {
					fail("comment: %d %s", status, b)
					return
				}
				ids = append(ids, c.ID)
			}
			lc.send(ctx, "comment POST", "POST", share+"/comments", map[string]any{"body": "reply", "parentId": ids[0], "guestName": "Guest"}, guest)
			lc.send(ctx, "comment PATCH", "PATCH", share+"/comments/"+ids[1], map[string]string{"body": "edited"}, guest)
			lc.send(ctx, "comment DELETE", "DELETE", share+"/comments/"+ids[2], nil, guest)
			var r struct{ Reaction struct{ ID string } }
			status, b, _ := lc.send(ctx, "reaction POST", "POST", share+"/reactions", map[string]any{"emoji": "👍", "timeMs": 10}, guest)
			if status != http.StatusCreated || json.Unmarshal(b, &r) != nil {
				fail("reaction: %d %s", status, b)
				return
			}
			lc.send(ctx, "reaction DELETE", "DELETE", share+"/reactions/"+r.Reaction.ID, nil, guest)
		}()
	}

	// Upkeep, as it runs once a minute, while all of the above goes on.
	wg.Add(1)
	go func() {
		defer wg.Done()
		time.Sleep(50 * time.Millisecond)
		sk.s.Server.SweepUploads(ctx)
	}()

	// Watchers: some read until they are caught up and leave, some leave
	// before reading anything, some stay for the round's comments.
	watchers := make(chan struct{})
	var watching sync.WaitGroup
	for w := 0; w < 12; w++ {
		watching.Add(1)
		go func() {
			defer watching.Done()
			wctx, wcancel := context.WithCancel(ctx)
			defer wcancel()
			req, _ := http.NewRequestWithContext(wctx, "GET", sk.s.URL+sk.target.Share+"/events", nil)
			resp, err := lc.hc.Do(req)
			if err != nil {
				lc.counts.add("events GET", 0)
				fail("events: %v", err)
				return
			}
			defer resp.Body.Close()
			lc.counts.add("events GET", resp.StatusCode)
			switch w % 3 {
			case 0: // gone at once
				return
			case 1: // until caught up
				sc := bufio.NewScanner(resp.Body)
				for sc.Scan() && !strings.HasPrefix(sc.Text(), "event: sync") {
				}
			case 2: // for the round
				go func() { <-watchers; wcancel() }()
				sc := bufio.NewScanner(resp.Body)
				for sc.Scan() {
				}
			}
		}()
	}

	wg.Wait()
	close(watchers)
	watching.Wait()
	for _, e := range errs {
		t.Error(e)
	}
	return kept
}

// streamPart sends the first n chunks of the file at path to a tus upload
// and leaves the upload unfinished.
func (lc *loadClient) streamPart(ctx context.Context, uploadURL, path string, chunk int64, n int) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	buf := make([]byte, chunk)
	for i := 0; i < n; i++ {
		off := int64(i) * chunk
		if _, err := f.ReadAt(buf, off); err != nil {
			return err
		}
		status, b, _ := lc.send(ctx, "upload PATCH", "PATCH", uploadURL, bytes.NewReader(buf), hdr(
			"Tus-Resumable", "1.0.0", "Content-Type", "application/offset+octet-stream",
			"Upload-Offset", fmt.Sprint(off), "Authorization", "Bearer "+testToken))
		if status != http.StatusNoContent {
			return fmt.Errorf("PATCH at %d: %d %s", off, status, b)
		}
	}
	return nil
}
