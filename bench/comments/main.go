// Command comments measures the comment API on the embedded default (the
// real API handler over SQLite, served on 127.0.0.1) and compares it with
// the same machine's ceiling in the same run: a bare Gin handler returning a
// constant, and raw SQLite inserts through the same driver and settings.
//
//	go run ./bench/comments [-quick] [-d 5s] [-watchers 1000] [-posts 40]
//
// It prints reads (list threads) and writes (create) per second with p50
// and p99 latency at 50 and 200 concurrent clients, and the time from a
// POST to its delivery to every one of the connected SSE watchers. Rate
// limits are disabled: this measures capacity, not policy.
package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"
	_ "github.com/mattn/go-sqlite3"

	"github.com/baton-video/baton/api"
	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/argon2id"
	"github.com/baton-video/baton/media/gormstore"
)

func main() {
	quick := flag.Bool("quick", false, "short runs, fewer watchers (smoke test)")
	dur := flag.Duration("d", 5*time.Second, "length of each load run")
	watchers := flag.Int("watchers", 1000, "SSE watchers for the fan-out run")
	posts := flag.Int("posts", 40, "comments posted during the fan-out run")
	only := flag.String("only", "", "run only these parts, comma-separated: bare, read, write, raw, fanout")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run here")
	notify := flag.Bool("notify", false, "wire notifications as baton serve does (the planner loop plans every comment after it commits; no mail server, so email is off)")
	dbURL := flag.String("db", "", "database: empty for SQLite in a temp dir (the default), or postgres://... (an empty database); on Postgres the fan-out watchers connect to a second server process-alike on the same database, so the events cross processes")
	flag.Parse()
	want := func(part string) bool { return *only == "" || slices.Contains(strings.Split(*only, ","), part) }
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		check(err)
		check(pprof.StartCPUProfile(f))
		defer pprof.StopCPUProfile()
	}
	if *quick {
		*dur, *watchers, *posts = time.Second, 200, 10
	}
	raiseFileLimit()

	work, err := os.MkdirTemp("", "baton-bench-comments-")
	check(err)
	defer os.RemoveAll(work)
	ctx := context.Background()

	// The real thing: the API handler over SQLite, as `baton serve` wires it.
	target := *dbURL
	if target == "" {
		target = filepath.Join(work, "baton.db")
	}
	pg := gormstore.IsPostgresURL(target)
	dbName := "SQLite (WAL, one writer)"
	if pg {
		dbName = "Postgres"
	}
	// server is one API process over its own connections to the database.
	server := func(dir string) (string, *media.Service, *media.Comments, func()) {
		db, err := gormstore.OpenURL(ctx, target, nil)
		check(err)
		svc := &media.Service{Videos: db, Jobs: db, Events: media.NewBroker(), Log: slog.New(slog.DiscardHandler)}
		db.OnVideoChange(svc.Events.Publish)
		comments := media.NewComments(db, db, svc.Events)
		var stopNotify func()
		if *notify {
			n := &media.Notifier{Store: db, Videos: db, Users: db, Inbox: media.NewInboxHub(), Notices: db, Log: svc.Log,
				Config: media.NotifyConfig{Bundle: 2 * time.Minute, PublicURL: "http://127.0.0.1"}}
			n.Listen()
			comments.Notify, svc.Notify = n, n
			nctx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { n.Run(nctx, 5*time.Second); close(done) }()
			stopNotify = func() { cancel(); <-done }
		}
		srv, err := api.New(api.Options{
			Service: svc, Comments: comments, RateLimits: api.RateLimits{Disabled: true},
			Accounts:   &media.Accounts{Users: db, Hasher: argon2id.Hasher{}},
			StagingDir: filepath.Join(work, dir), PublicURL: "http://127.0.0.1",
		})
		check(err)
		base, stop := listen(srv.Handler())
		return base, svc, comments, func() {
			srv.CloseStreams()
			stop()
			if stopNotify != nil {
				stopNotify()
			}
			db.Close()
		}
	}
	base, svc, comments, stop := server("uploads")
	defer stop()

	// The ceiling: a bare Gin handler returning a constant.
	gin.SetMode(gin.ReleaseMode)
	bare := gin.New()
	constant := []byte(`{"ok":true}`)
	bare.GET("/const", func(c *gin.Context) { c.Data(http.StatusOK, "application/json", constant) })
	bareURL, stopBare := listen(bare)
	defer stopBare()

	// A video with a realistic conversation to list, and one to write to.
	// Viewers reach a video through its share link, as the watch page does.
	readVideo, readSlug := newVideo(ctx, svc, 120_000)
	seed(ctx, comments, readVideo, 150, 2) // 150 threads with 2 replies: 3 pages of 50
	_, writeSlug := newVideo(ctx, svc, 120_000)

	notifications := "notifications not wired"
	if *notify {
		notifications = "notification planner running"
	}
	fmt.Printf("Comments API benchmark — %s, GOMAXPROCS=%d, %v per run, %s, %s, client and server on this machine\n\n",
		time.Now().Format("2006-01-02"), runtime.GOMAXPROCS(0), *dur, dbName, notifications)
	fmt.Printf("%-40s %8s %10s %9s %9s %9s\n", "", "clients", "req/s", "p50", "p99", "CPU/req")

	results := map[string]result{}
	for _, n := range []int{50, 200} {
		if want("bare") {
			results[key("bare", n)] = run("bare Gin handler (constant)", n, *dur, func(c *http.Client, i int) error {
				return expect(c.Get(bareURL + "/const"))(http.StatusOK)
			})
		}
		listURL := base + "/api/share/" + readSlug + "/comments?limit=50"
		if want("read") {
			results[key("read", n)] = run("list threads (50 threads + replies)", n, *dur, func(c *http.Client, i int) error {
				return expect(c.Get(listURL))(http.StatusOK)
			})
		}
		postURL := base + "/api/share/" + writeSlug + "/comments"
		secret := media.NewGuestSecret()
		if want("write") {
			results[key("write", n)] = run("create comment", n, *dur, func(c *http.Client, i int) error {
				body := fmt.Sprintf(`{"body":"load %d","timeMs":%d,"guestName":"Bench"}`, i, i%120_000)
				req, _ := http.NewRequest("POST", postURL, strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Guest-Secret", secret)
				return expect(c.Do(req))(http.StatusCreated)
			})
		}
		if want("raw") && !pg { // the raw baseline is SQLite's
			results[key("raw", n)] = rawInserts(filepath.Join(work, "raw.db"), n, *dur)
		}
	}

	fmt.Println()
	for _, n := range []int{50, 200} {
		if *only != "" {
			break
		}
		b, r, w, raw := results[key("bare", n)], results[key("read", n)], results[key("write", n)], results[key("raw", n)]
		if pg {
			fmt.Printf("%d clients: reads %.0f/s = %.2f× bare Gin; writes %.0f/s = %.2f× bare Gin; p99 reads %v (bare %v), writes %v\n",
				n, r.rps, r.rps/b.rps, w.rps, w.rps/b.rps, ms(r.p99), ms(b.p99), ms(w.p99))
			continue
		}
		fmt.Printf("%d clients: reads %.0f/s = %.2f× bare Gin; writes %.0f/s = %.2f× raw SQLite inserts; p99 reads %v (bare %v), writes %v; CPU per create %v, per raw insert %v\n",
			n, r.rps, r.rps/b.rps, w.rps, w.rps/raw.rps, ms(r.p99), ms(b.p99), ms(w.p99), w.cpu, raw.cpu)
	}
	if r200, w200 := results[key("read", 200)], results[key("write", 200)]; *only == "" {
		fmt.Printf("target p99 < 50 ms at 200 clients: reads %v, writes %v — %s\n\n", ms(r200.p99), ms(w200.p99),
			verdict(r200.p99 < 50*time.Millisecond && w200.p99 < 50*time.Millisecond))
	}
	if want("fanout") {
		id, slug := newVideo(ctx, svc, 120_000)
		if pg {
			// Watchers on a second server: every event crosses processes
			// through the database's change feed.
			watchBase, _, watchComments, stopWatch := server("uploads-b")
			defer stopWatch()
			fmt.Println("fan-out across processes: comments posted to server A, watchers on server B")
			fanout(base, watchBase, watchComments, id, slug, *watchers, *posts)
		} else {
			fanout(base, base, comments, id, slug, *watchers, *posts)
		}
	}
}

func key(what string, n int) string { return fmt.Sprintf("%s/%d", what, n) }

type result struct {
	rps      float64
	p50, p99 time.Duration
	errors   int64
	// cpu is the process's CPU time (server and load generator, both
	// cores) per request: unlike req/s it hardly moves with what else the
	// machine runs.
	cpu time.Duration
}

// processCPU is the CPU time this process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// run drives fn from n concurrent clients for d (closed loop: each client
// sends its next request when the last one is answered) and prints a row.
func run(name string, n int, d time.Duration, fn func(c *http.Client, i int) error) result {
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: n}, Timeout: 30 * time.Second}
	defer c.CloseIdleConnections()
	// Warm the connections and caches.
	warm(n, func(i int) { _ = fn(c, i) })
	cpu0 := processCPU()
	lat, errs, elapsed := load(n, d, func(i int) error { return fn(c, i) })
	res := summarize(lat, elapsed)
	res.errors = errs
	res.cpu = perRequest(processCPU()-cpu0, len(lat))
	printRow(name, n, res)
	if errs > 0 {
		check(fmt.Errorf("%s: %d requests failed; these figures mean nothing", name, errs))
	}
	return res
}

func warm(n int, fn func(i int)) {
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) { defer wg.Done(); fn(-1 - i) }(i)
	}
	wg.Wait()
}

// load runs fn from n goroutines for d and returns every latency.
func load(n int, d time.Duration, fn func(i int) error) ([]time.Duration, int64, time.Duration) {
	var (
		mu     sync.Mutex
		all    []time.Duration
		errs   atomic.Int64
		seq    atomic.Int64
		wg     sync.WaitGroup
		start  = time.Now()
		cutoff = start.Add(d)
	)
	for g := 0; g < n; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for time.Now().Before(cutoff) {
				t0 := time.Now()
				if err := fn(int(seq.Add(1))); err != nil {
					if errs.Add(1) == 1 {
						fmt.Fprintln(os.Stderr, "error:", err)
					}
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return all, errs.Load(), time.Since(start)
}

func perRequest(cpu time.Duration, n int) time.Duration {
	if n == 0 {
		return 0
	}
	return (cpu / time.Duration(n)).Round(time.Microsecond)
}

func summarize(lat []time.Duration, elapsed time.Duration) result {
	slices.Sort(lat)
	return result{rps: float64(len(lat)) / elapsed.Seconds(), p50: pct(lat, 50), p99: pct(lat, 99)}
}

func printRow(name string, n int, r result) {
	extra := ""
	if r.errors > 0 {
		extra = fmt.Sprintf("  (%d errors)", r.errors)
	}
	fmt.Printf("%-40s %8d %10.0f %9v %9v %9v%s\n", name, n, r.rps, ms(r.p50), ms(r.p99), r.cpu, extra)
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[min(max(i-1, 0), len(sorted)-1)]
}

func ms(d time.Duration) time.Duration {
	if d < 10*time.Millisecond {
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(100 * time.Microsecond)
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

// rawInserts is the database's ceiling for the same work shape: one
// transaction per comment-sized row, through the same driver with the same
// settings as gormstore (WAL, synchronous=NORMAL, immediate transactions,
// one writer connection), from n goroutines.
func rawInserts(path string, n int, d time.Duration) result {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_txlock", "immediate")
	q.Set("_busy_timeout", "10000")
	q.Set("_synchronous", "NORMAL")
	db, err := sql.Open("sqlite3", "file:"+path+"?"+q.Encode())
	check(err)
	defer db.Close()
	db.SetMaxOpenConns(1)
	_, err = db.Exec(`CREATE TABLE IF NOT EXISTS c (id TEXT PRIMARY KEY, video_id TEXT NOT NULL, time_ms INTEGER NOT NULL, body TEXT NOT NULL, author_name TEXT NOT NULL, created_at INTEGER NOT NULL)`)
	check(err)
	insert := func(i int) error {
		tx, err := db.Begin()
		if err != nil {
			return err
		}
		_, err = tx.Exec(`INSERT INTO c VALUES (?, ?, ?, ?, ?, ?)`, media.NewID(), "v", i, fmt.Sprintf("load %d", i), "Bench", time.Now().UnixMilli())
		if err != nil {
			tx.Rollback()
			return err
		}
		return tx.Commit()
	}
	warm(n, func(i int) { _ = insert(i) })
	cpu0 := processCPU()
	lat, errs, elapsed := load(n, d, insert)
	res := summarize(lat, elapsed)
	res.errors = errs
	res.cpu = perRequest(processCPU()-cpu0, len(lat))
	printRow("raw SQLite insert (same driver)", n, res)
	return res
}

// fanout connects watchers to a video's event stream on watchBase, posts
// comments one at a time to base, and measures from just before each POST to each watcher's
// receipt of the event.
func fanout(base, watchBase string, comments *media.Comments, videoID, slug string, watchers, posts int) {
	var (
		sent    = make([]atomic.Int64, posts) // unix ns before each POST
		mu      sync.Mutex
		lat     []time.Duration
		missing atomic.Int64
		wg      sync.WaitGroup
	)
	tr := &http.Transport{MaxIdleConnsPerHost: watchers + 10}
	client := &http.Client{Transport: tr}
	streamCtx, cancel := context.WithCancel(context.Background())
	connectStart := time.Now()
	for w := 0; w < watchers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(streamCtx, "GET", watchBase+"/api/share/"+slug+"/events", nil)
			resp, err := client.Do(req)
			if err != nil {
				if streamCtx.Err() == nil {
					fmt.Fprintln(os.Stderr, "watcher:", err)
				}
				missing.Add(int64(posts))
				return
			}
			defer resp.Body.Close()
			r := bufio.NewReaderSize(resp.Body, 8192)
			got, event := 0, ""
			var mine []time.Duration
			defer func() {
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
				missing.Add(int64(posts - got))
			}()
			for got < posts {
				line, err := r.ReadSlice('\n')
				if err != nil {
					return
				}
				switch {
				case bytes.HasPrefix(line, []byte("event: ")):
					event = string(bytes.TrimSpace(line[7:]))
				case bytes.HasPrefix(line, []byte("data: ")) && event == "comment":
					now := time.Now()
					var ev struct{ Comment struct{ Body string } }
					if json.Unmarshal(line[6:], &ev) != nil {
						continue
					}
					var i int
					if _, err := fmt.Sscanf(ev.Comment.Body, "fanout %d", &i); err == nil && i >= 0 && i < posts {
						mine = append(mine, now.Sub(time.Unix(0, sent[i].Load())))
						got++
					}
				}
			}
		}()
	}
	for comments.Hub.Subscribers(videoID) < watchers {
		if time.Since(connectStart) > time.Minute {
			fmt.Fprintf(os.Stderr, "only %d of %d watchers connected\n", comments.Hub.Subscribers(videoID), watchers)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	connected := time.Since(connectStart)

	poster := &http.Client{}
	var postLat []time.Duration
	for i := 0; i < posts; i++ {
		body := fmt.Sprintf(`{"body":"fanout %d","timeMs":0,"guestName":"Bench"}`, i)
		t0 := time.Now()
		sent[i].Store(t0.UnixNano())
		check(expect(poster.Post(base+"/api/share/"+slug+"/comments", "application/json", strings.NewReader(body)))(http.StatusCreated))
		postLat = append(postLat, time.Since(t0))
		time.Sleep(100 * time.Millisecond) // let each fan-out finish: this measures latency, not backlog
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
	}
	cancel()
	<-done

	slices.Sort(lat)
	slices.Sort(postLat)
	fmt.Printf("SSE fan-out: %d watchers connected in %v; %d comments posted 100 ms apart; %d deliveries\n",
		watchers, connected.Round(time.Millisecond), posts, len(lat))
	fmt.Printf("  POST -> delivered to a watcher: p50 %v, p99 %v, max %v; missed %d\n",
		ms(pct(lat, 50)), ms(pct(lat, 99)), ms(pct(lat, 100)), missing.Load())
	fmt.Printf("  the POST itself: p50 %v, p99 %v\n", ms(pct(postLat, 50)), ms(pct(postLat, 99)))
	fmt.Printf("target fan-out p99 < 250 ms at %d watchers: %s\n", watchers, verdict(pct(lat, 99) < 250*time.Millisecond && missing.Load() == 0))
}

// newVideo makes a video shared by link, with a known duration.
func newVideo(ctx context.Context, svc *media.Service, durationMs int64) (id, slug string) {
	v, err := svc.CreateVideo(ctx, "bench")
	check(err)
	_, err = svc.Videos.UpdateVideo(ctx, v.ID, "", func(v *media.Video) error {
		v.DurationMs = durationMs
		return nil
	})
	check(err)
	return v.ID, v.Slug
}

func seed(ctx context.Context, comments *media.Comments, videoID string, threads, replies int) {
	a := media.Actor{GuestSecret: media.NewGuestSecret()}
	for i := 0; i < threads; i++ {
		body := fmt.Sprintf("Thread %d: a question about this part of the video, long enough to look like a real comment.", i)
		th, _, err := comments.Create(ctx, videoID, a, media.CommentInput{Body: body, TimeMs: int64(i * 700), HasTime: true, GuestName: "Seed"})
		check(err)
		for j := 0; j < replies; j++ {
			_, _, err := comments.Create(ctx, videoID, a, media.CommentInput{Body: "A reply with an answer.", ParentID: th.ID, GuestName: "Seed"})
			check(err)
		}
	}
}

func listen(h http.Handler) (string, func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	s := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go s.Serve(ln)
	return "http://" + ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	}
}

// expect reads and closes a response and checks its status.
func expect(resp *http.Response, err error) func(status int) error {
	return func(status int) error {
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != status {
			b, _ := io.ReadAll(resp.Body)
			return fmt.Errorf("%s %s: %s %s", resp.Request.Method, resp.Request.URL.Path, resp.Status, b)
		}
		// Read to the end without keeping it: the load generator shares
		// the cores with the server, and growing a buffer for every 35 KB
		// list was a visible share of the run's CPU.
		_, err := io.Copy(io.Discard, resp.Body)
		return err
	}
}

// raiseFileLimit lifts the open-files limit to its maximum: the fan-out run
// holds two sockets per watcher in this process.
func raiseFileLimit() {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) == nil && l.Cur < l.Max {
		l.Cur = l.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
