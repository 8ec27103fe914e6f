// Command soak runs mixed traffic against the real binary for a long time
// (30 minutes by default) and prints its memory, threads and open files as
// it goes, to show they stay flat: recordings uploaded while they are
// converted (one in each round deleted halfway), plain uploads processed by
// jobs, finished videos deleted, the library and each video read, guests
// commenting, replying, editing, deleting, reacting and unreacting, and
// live event streams opened and dropped. The server's own upload upkeep
// runs once a minute throughout.
//
//	go run ./bench/soak -bin bin/baton [-duration 30m] [-every 1m]
//	go run ./bench/soak -quick
//
// A Go process's resident memory follows its garbage collector and SQLite
// its page cache, so RSS settles rather than staying exactly level; what
// must not happen is steady growth. The verdict compares the first samples
// after a warm-up with the last ones: threads and open files within +20,
// RSS within +50%, and no 5xx. Goroutines are not visible from outside the
// process; TestSoakMixedTraffic (cmd/baton) counts them in-process.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	h "github.com/baton-video/baton/bench/internal/harness"
	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/mediatest"
)

func main() {
	bin := flag.String("bin", "bin/baton", "baton binary")
	duration := flag.Duration("duration", 30*time.Minute, "how long to run traffic")
	every := flag.Duration("every", time.Minute, "print a sample this often")
	roundEvery := flag.Duration("round", 5*time.Second, "start a round of traffic at most this often")
	quick := flag.Bool("quick", false, "a smoke run: 2 minutes, a sample every 15 s")
	flag.Parse()
	if *quick {
		*duration, *every = 2*time.Minute, 15*time.Second
	}

	work, err := os.MkdirTemp("", "baton-soak-")
	h.Check(err)
	defer os.RemoveAll(work)
	rec := filepath.Join(work, "rec.mkv")
	mp4 := filepath.Join(work, "phone.mp4")
	ctx := context.Background()
	h.Check(mediatest.FFmpeg(ctx, mediatest.Join(mediatest.TestSrc("320x240", 30, 3), mediatest.Tone(500, 3),
		mediatest.H264(), []string{"-g", "60", "-c:a", "libopus", "-f", "matroska", rec})...))
	h.Check(mediatest.FFmpeg(ctx, mediatest.Join(mediatest.TestSrc("320x240", 30, 2), mediatest.Tone(440, 2),
		mediatest.H264(), []string{"-c:a", "aac", mp4})...))

	// Guests name themselves with X-Forwarded-For (127.0.0.1 is a trusted
	// proxy), so the per-client comment limits apply per guest; rounds are
	// paced to stay near the per-video limit (2 comments a second).
	srv := h.Start(*bin, work, "BATON_TRUSTED_PROXIES=127.0.0.1")
	defer srv.Stop()
	c := h.SignUp(srv.Base)
	target := c.CreateVideo("the conversation")
	h.Check(c.Upload(target.UploadURL, mp4, 1<<20, 0))
	target, err = c.WaitReady(target.ID, time.Now().Add(time.Minute))
	h.Check(err)

	fmt.Printf("Soak: mixed traffic against %s for %v (a round at most every %v); embedded default (SQLite + disk)\n", *bin, *duration, *roundEvery)
	fmt.Printf("%-9s %-7s %-9s %-10s %-10s %-8s %-6s %-8s %-9s %-6s\n",
		"elapsed", "rounds", "requests", "rss", "peak rss", "threads", "fds", "ffmpeg", "cpu", "5xx")
	type sample struct {
		rss, threads, fds int64
	}
	var samples []sample
	warmup := max(*duration/10, 2**every)
	start := time.Now()
	nextPrint := start.Add(*every)
	var prev []string
	var errs []string
	rounds := 0
	print := func() {
		self, children := h.CPUTimes(srv.PID)
		s := sample{h.Status(srv.PID, "VmRSS"), h.Status(srv.PID, "Threads"), int64(h.OpenFiles(srv.PID))}
		if time.Since(start) >= warmup {
			samples = append(samples, s)
		}
		fmt.Printf("%-9s %-7d %-9d %-10s %-10s %-8d %-6d %-8d %-9s %-6d\n",
			time.Since(start).Round(time.Second), rounds, c.Counts.Total(), h.MiB(s.rss), h.MiB(h.Status(srv.PID, "VmHWM")),
			s.threads, s.fds, len(h.Children(srv.PID)), (self + children).Round(time.Second), len(c.ServerErrors()))
	}
	for time.Since(start) < *duration {
		t0 := time.Now()
		var e []string
		prev, e = round(c, srv, target, rec, mp4, rounds, prev)
		errs = append(errs, e...)
		rounds++
		if time.Now().After(nextPrint) {
			print()
			nextPrint = nextPrint.Add(*every)
		}
		time.Sleep(*roundEvery - time.Since(t0))
	}
	// Let the last jobs finish and the connections go idle.
	time.Sleep(5 * time.Second)
	c.HC.CloseIdleConnections()
	time.Sleep(2 * time.Second)
	print()

	fail := append(errs, c.ServerErrors()...)
	fail = append(fail, srv.ErrorLines()...)
	if n := len(samples); n >= 4 {
		w := min(3, n/2)
		mean := func(ss []sample) (rss, th, fds float64) {
			for _, s := range ss {
				rss += float64(s.rss)
				th += float64(s.threads)
				fds += float64(s.fds)
			}
			k := float64(len(ss))
			return rss / k, th / k, fds / k
		}
		r0, t0, f0 := mean(samples[:w])
		r1, t1, f1 := mean(samples[n-w:])
		fmt.Printf("after warm-up (%v): RSS %s → %s (%+.0f%%), threads %.0f → %.0f, open files %.0f → %.0f\n",
			warmup.Round(time.Second), h.MiB(int64(r0)), h.MiB(int64(r1)), 100*(r1-r0)/r0, t0, t1, f0, f1)
		if r1 > 1.5*r0 {
			fail = append(fail, fmt.Sprintf("RSS grew from %s to %s", h.MiB(int64(r0)), h.MiB(int64(r1))))
		}
		if t1 > t0+20 {
			fail = append(fail, fmt.Sprintf("threads grew from %.0f to %.0f", t0, t1))
		}
		if f1 > f0+20 {
			fail = append(fail, fmt.Sprintf("open files grew from %.0f to %.0f", f0, f1))
		}
	}
	fmt.Printf("answers: %s\n", c.Counts)
	if len(fail) > 0 {
		fmt.Println("FAILED:")
		for i, f := range fail {
			if i == 20 {
				fmt.Printf("  ... and %d more\n", len(fail)-20)
				break
			}
			fmt.Println("  " + f)
		}
		h.Check(fmt.Errorf("%d checks failed", len(fail)))
	}
	fmt.Println("checks: passed: no 5xx, every upload ready, deleted videos gone, memory, threads and open files flat")
}

// round runs one round of traffic. It deletes prev (the last round's
// videos) and returns this round's videos that stay, and what went wrong.
func round(c *h.Client, srv *h.Server, target h.Video, rec, mp4 string, n int, prev []string) ([]string, []string) {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		kept []string
		errs []string
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		errs = append(errs, fmt.Sprintf("round %d: ", n)+fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	keep := func(id string) {
		mu.Lock()
		kept = append(kept, id)
		mu.Unlock()
	}
	deadline := time.Now().Add(2 * time.Minute)

	// Uploads: two recordings in 64 KiB chunks (converted while they
	// upload), a plain MP4 (a processing job), a recording abandoned after
	// its first chunks and deleted.
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v := c.CreateVideo(fmt.Sprintf("round %d recording %d", n, i))
			if err := c.Upload(v.UploadURL, rec, 64<<10, 0); err != nil {
				fail("upload: %v", err)
				return
			}
			if _, err := c.WaitReady(v.ID, deadline); err != nil {
				fail("%v", err)
				return
			}
			keep(v.ID)
		}()
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		v := c.CreateVideo(fmt.Sprintf("round %d phone", n))
		if err := c.Upload(v.UploadURL, mp4, 1<<20, 0); err != nil {
			fail("upload: %v", err)
			return
		}
		if _, err := c.WaitReady(v.ID, deadline); err != nil {
			fail("%v", err)
			return
		}
		keep(v.ID)
	}()
	go func() {
		defer wg.Done()
		v := c.CreateVideo(fmt.Sprintf("round %d abandoned", n))
		if err := c.Upload(v.UploadURL, rec, 32<<10, 96<<10); err != nil {
			fail("partial upload: %v", err)
			return
		}
		if status, b := c.Do("video DELETE", "DELETE", "/api/videos/"+v.ID, nil, nil); status != http.StatusNoContent {
			fail("delete mid-upload: %d %s", status, b)
		}
		if _, err := os.Stat(filepath.Join(srv.Data, "objects", filepath.FromSlash(media.VideoPrefix(v.ID)))); err == nil {
			if left, _ := os.ReadDir(filepath.Join(srv.Data, "objects", filepath.FromSlash(media.VideoPrefix(v.ID)))); len(left) > 0 {
				fail("objects of a deleted video: %d", len(left))
			}
		}
	}()
	for _, id := range prev {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if status, b := c.Do("video DELETE", "DELETE", "/api/videos/"+id, nil, nil); status != http.StatusNoContent {
				fail("delete %s: %d %s", id, status, b)
			}
		}()
	}

	// Readers: the library, each video, the share page, its comments and
	// reactions.
	share := "/api/share/" + target.Slug
	for r := 0; r < 3; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 3; i++ {
				var page struct{ Videos []h.Video }
				status, b := c.Do("videos GET", "GET", "/api/videos?limit=50", nil, nil)
				if status != http.StatusOK || json.Unmarshal(b, &page) != nil {
					fail("list videos: %d %s", status, b)
					return
				}
				for _, v := range page.Videos {
					c.Do("video GET", "GET", "/api/videos/"+v.ID, nil, nil)
				}
				c.Do("share GET", "GET", share, nil, nil)
				c.Do("comments GET", "GET", share+"/comments?limit=50", nil, nil)
				c.Do("reactions GET", "GET", share+"/reactions", nil, nil)
			}
		}()
	}

	// Guests: post, reply, edit, delete, react and take it back. Three
	// guests a round, three comments each: under the video's limit of
	// 2 a second at one round per 5 s, so most writes are real.
	for g := 0; g < 3; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hd := http.Header{
				"X-Forwarded-For": {fmt.Sprintf("10.%d.%d.%d", n>>8&255, n&255, g)},
				"X-Guest-Secret":  {media.NewGuestSecret()},
			}
			var ids []string
			for i := 0; i < 2; i++ {
				var cm struct{ ID string }
				status, b := c.Do("comment POST", "POST", share+"/comments",
					map[string]any{"body": fmt.Sprintf("round %d guest %d #%d", n, g, i), "timeMs": i * 100, "guestName": "Guest"}, hd)
				if status == http.StatusCreated && json.Unmarshal(b, &cm) == nil {
					ids = append(ids, cm.ID)
				}
			}
			if len(ids) == 2 {
				c.Do("comment POST", "POST", share+"/comments", map[string]any{"body": "reply", "parentId": ids[0], "guestName": "Guest"}, hd)
				c.Do("comment PATCH", "PATCH", share+"/comments/"+ids[1], map[string]string{"body": "edited"}, hd)
				c.Do("comment DELETE", "DELETE", share+"/comments/"+ids[1], nil, hd)
			}
			var r struct{ Reaction struct{ ID string } }
			if status, b := c.Do("reaction POST", "POST", share+"/reactions", map[string]any{"emoji": "👍", "timeMs": 10}, hd); status == http.StatusCreated && json.Unmarshal(b, &r) == nil {
				c.Do("reaction DELETE", "DELETE", share+"/reactions/"+r.Reaction.ID, nil, hd)
			}
		}()
	}

	// Watchers: some leave at once, some when caught up, some stay for the
	// round's events.
	ctx, cancel := context.WithCancel(context.Background())
	var watching sync.WaitGroup
	for w := 0; w < 9; w++ {
		watching.Add(1)
		go func() {
			defer watching.Done()
			req, _ := http.NewRequestWithContext(ctx, "GET", srv.Base+share+"/events", nil)
			resp, err := c.HC.Do(req)
			if err != nil {
				if ctx.Err() == nil {
					c.Counts.Add("events GET", 0)
				}
				return
			}
			defer resp.Body.Close()
			c.Counts.Add("events GET", resp.StatusCode)
			sc := bufio.NewScanner(resp.Body)
			switch w % 3 {
			case 0:
			case 1:
				for sc.Scan() && !strings.HasPrefix(sc.Text(), "event: sync") {
				}
			case 2:
				for sc.Scan() {
				}
			}
		}()
	}
	wg.Wait()
	cancel()
	watching.Wait()
	return kept, errs
}
