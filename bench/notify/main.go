// Command notify measures notifications on the embedded default (SQLite,
// WAL, one writer): 10,000 notifications for 1,000 people.
//
//	go run ./bench/notify [-people 1000] [-comments 1000] [-quick]
//
// 100 videos, each owned by one person and followed by nine others, get
// ten comments each from an outside commenter: every comment reaches ten
// people, so 1,000 comments make 10,000 inbox rows and 10,000 pending
// email items for 1,000 people. Measured, each against a baseline in the
// same run:
//
//   - plan + deliver to inbox: creating the comments with the planner on
//     (comment row, inbox rows, email rows with their due times, follows)
//     against creating the same comments with it off;
//   - email throughput: the outbox sender (claim per recipient, render one
//     bundle each, send over SMTP to a real server on 127.0.0.1, record the
//     attempt) against sending the same rendered messages straight through
//     the SMTP adapter, with no database;
//   - memory: Go heap after each phase and the process's peak RSS.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"
	// Zones come from the binary, not the machine, as in cmd/baton.
	_ "time/tzdata"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/gormstore"
	"github.com/baton-video/baton/media/smtpmail"
	"github.com/baton-video/baton/media/smtpmail/smtptest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

var zones = []string{"Asia/Tokyo", "Europe/Berlin", "America/Los_Angeles", "Asia/Kolkata", "Australia/Adelaide", "UTC"}

type world struct {
	db       *gormstore.DB
	people   []*media.User
	outsider *media.User
	videos   []*media.Video
}

// setup makes the people (with settings that put everyone inside working
// hours, so every email is a bundle due two minutes later), the videos and
// their followers.
func setup(ctx context.Context, dir string, people, perVideo int, n *media.Notifier) (*world, error) {
	db, err := gormstore.Open(ctx, filepath.Join(dir, "baton.db"), nil)
	if err != nil {
		return nil, err
	}
	w := &world{db: db}
	now := time.Now()
	always, _ := media.ParseWorkingHours("mon-sun 00:00-24:00")
	for i := 0; i < people+1; i++ {
		u := &media.User{ID: media.NewID(), Email: fmt.Sprintf("p%04d@example.com", i), Name: fmt.Sprintf("Person %d", i),
			Role: media.RoleMember, PasswordHash: "x", CreatedAt: now, UpdatedAt: now}
		if err := db.CreateUser(ctx, u, ""); err != nil {
			return nil, err
		}
		if i == people {
			w.outsider = u
			break
		}
		if err := db.SetPrefs(ctx, u.ID, &media.Prefs{TimeZone: zones[i%len(zones)], Hours: always, EmailMode: media.EmailWorkingHours}); err != nil {
			return nil, err
		}
		w.people = append(w.people, u)
	}
	for i := 0; i < people/perVideo; i++ {
		owner := w.people[i*perVideo]
		v := &media.Video{ID: media.NewID(), Slug: media.NewSlug(), Title: fmt.Sprintf("Update %d", i), Status: media.StatusReady, OwnerID: owner.ID, DurationMs: 600_000}
		if err := db.CreateVideo(ctx, v); err != nil {
			return nil, err
		}
		for j := 1; j < perVideo; j++ {
			if err := db.SetFollow(ctx, media.Follow{VideoID: v.ID, Recipient: media.UserRecipient(w.people[i*perVideo+j].ID)}, true, now); err != nil {
				return nil, err
			}
		}
		w.videos = append(w.videos, v)
	}
	_ = n
	return w, nil
}

func heapMiB() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / (1 << 20)
}

func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "?"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:"))
		}
	}
	return "?"
}

// createComments creates total comments one after another, as people
// posting them would, and returns the total time and the per-comment
// median and 99th percentile.
func createComments(ctx context.Context, c *media.Comments, w *world, total int) (time.Duration, time.Duration, time.Duration, error) {
	a := media.Actor{UserID: w.outsider.ID, Name: w.outsider.Name}
	lat := make([]time.Duration, 0, total)
	start := time.Now()
	for i := 0; i < total; i++ {
		v := w.videos[i%len(w.videos)]
		t0 := time.Now()
		if _, _, err := c.Create(ctx, v.ID, a, media.CommentInput{Body: fmt.Sprintf("Comment %d: the numbers on this slide look off.", i), TimeMs: int64(i%600) * 1000, HasTime: true}); err != nil {
			return 0, 0, 0, err
		}
		lat = append(lat, time.Since(t0))
	}
	d := time.Since(start)
	slices.Sort(lat)
	return d, lat[len(lat)/2], lat[len(lat)*99/100], nil
}

func main() {
	people := flag.Int("people", 1000, "people")
	total := flag.Int("comments", 1000, "comments (each reaches 10 people)")
	quick := flag.Bool("quick", false, "a smoke run: 100 people, 100 comments")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the planning phase here")
	flag.Parse()
	if *quick {
		*people, *total = 100, 100
	}
	const perVideo = 10
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "baton-bench-notify-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)

	srv, err := smtptest.Listen(smtptest.Options{})
	if err != nil {
		log.Fatal(err)
	}
	srv.Discard = true
	defer srv.Stop()
	mailer, err := smtpmail.New("smtp://"+srv.Addr+"?tls=none", "Baton <baton@example.com>")
	if err != nil {
		log.Fatal(err)
	}
	clk := &clock{t: time.Now().UTC()}
	base0 := heapMiB()

	// Baseline: the same comments with no planner.
	bw, err := setup(ctx, filepath.Join(tmp, "baseline"), *people, perVideo, nil)
	if err != nil {
		log.Fatal(err)
	}
	bc := media.NewComments(bw.db, bw.db, media.NewBroker())
	baseDur, base50, base99, err := createComments(ctx, bc, bw, *total)
	if err != nil {
		log.Fatal(err)
	}
	bw.db.Close()

	w, err := setup(ctx, filepath.Join(tmp, "notify"), *people, perVideo, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer w.db.Close()
	n := &media.Notifier{
		Store: w.db, Videos: w.db, Users: w.db, Mailer: mailer, Clock: clk.now, Key: []byte("bench"),
		Config: media.NotifyConfig{Bundle: 2 * time.Minute, PublicURL: "http://baton.test"}, Inbox: media.NewInboxHub(),
	}
	c := media.NewComments(w.db, w.db, media.NewBroker())
	c.Notify = n
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
	}
	planDur, plan50, plan99, err := createComments(ctx, c, w, *total)
	pprof.StopCPUProfile()
	if err != nil {
		log.Fatal(err)
	}
	heapPlanned := heapMiB()
	var inboxRows int
	for _, p := range w.people {
		k, err := w.db.UnreadCount(ctx, p.ID)
		if err != nil {
			log.Fatal(err)
		}
		inboxRows += k
	}
	pending, _ := w.db.PendingEmails(ctx)

	// Email: everything is due after the bundle window.
	clk.set(clk.now().Add(3 * time.Minute))
	start := time.Now()
	sent, _, err := n.SendDue(ctx)
	if err != nil {
		log.Fatal(err)
	}
	sendDur := time.Since(start)
	heapSent := heapMiB()
	if got := srv.Count(); got != sent {
		log.Fatalf("server accepted %d messages, sender reports %d", got, sent)
	}

	// Baseline: the same number of messages rendered alike, straight
	// through the adapter.
	msgs := make([]*media.EmailMessage, sent)
	for i := range msgs {
		items := make([]*media.EmailItem, 0, perVideo)
		for j := 0; j < *total/len(w.videos); j++ {
			items = append(items, &media.EmailItem{ID: int64(i*100 + j), Kind: media.NotifyComment, VideoID: "v", VideoSlug: "slug", Title: "Update", Actor: "Person", Text: "the numbers on this slide look off.", TimeMs: 83000, CreatedAt: clk.now()})
		}
		msgs[i] = n.RenderEmail(&media.EmailBatch{Recipient: "user:x", To: fmt.Sprintf("p%04d@example.com", i), Items: items})
	}
	before := srv.Count()
	start = time.Now()
	for _, m := range msgs {
		if err := mailer.Send(ctx, m); err != nil {
			log.Fatal(err)
		}
	}
	rawDur := time.Since(start)
	if srv.Count()-before != len(msgs) {
		log.Fatal("baseline messages lost")
	}

	notifs := inboxRows
	fmt.Printf("people %d, videos %d, comments %d -> inbox rows %d, email items %d, emails %d (one bundle per person)\n",
		len(w.people), len(w.videos), *total, inboxRows, pending, sent)
	fmt.Printf("plan + deliver to inbox: %v for %d comments with the planner (%.0f notifications/s; per comment p50 %v, p99 %v)\n",
		planDur.Round(time.Millisecond), *total, float64(notifs)/planDur.Seconds(), plan50.Round(10*time.Microsecond), plan99.Round(10*time.Microsecond))
	fmt.Printf("  baseline, comments without the planner: %v (p50 %v, p99 %v); total time x%.2f, p50 x%.2f\n",
		baseDur.Round(time.Millisecond), base50.Round(10*time.Microsecond), base99.Round(10*time.Microsecond),
		planDur.Seconds()/baseDur.Seconds(), plan50.Seconds()/base50.Seconds())
	fmt.Printf("email through the outbox: %d emails in %v = %.0f emails/s (%.0f items/s)\n",
		sent, sendDur.Round(time.Millisecond), float64(sent)/sendDur.Seconds(), float64(pending)/sendDur.Seconds())
	fmt.Printf("  baseline, same messages straight to SMTP: %v = %.0f emails/s; outbox / raw time x%.2f\n",
		rawDur.Round(time.Millisecond), float64(len(msgs))/rawDur.Seconds(), sendDur.Seconds()/rawDur.Seconds())
	fmt.Printf("memory: heap %.1f MiB at start, %.1f MiB after planning, %.1f MiB after sending; peak RSS %s\n",
		base0, heapPlanned, heapSent, peakRSS())
}
