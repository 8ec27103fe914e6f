package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// WorkerConfig tunes the worker pool.
type WorkerConfig struct {
	Workers      int           // concurrent jobs; 0 means 1
	Lease        time.Duration // how long a claim lasts without renewal
	Poll         time.Duration // how often idle workers look for work
	ReapInterval time.Duration // how often expired leases are collected
	BackoffBase  time.Duration // first retry delay; doubles per attempt
	BackoffMax   time.Duration
	// TempDir is where jobs get their private scratch directories: this
	// process's own (see Scratch), never a directory another process
	// cleans.
	TempDir string
	Owner   string // lease owner name, unique per process
	// Budget, if set, is the slot budget the jobs share with live sessions
	// (admission.go): the pool then runs up to Budget.Slots() jobs at once,
	// Workers of them on the jobs' own slots and the rest on live slots no
	// recording holds.
	Budget *Admission
}

func (c *WorkerConfig) defaults() {
	if c.Workers <= 0 {
		c.Workers = 1
	}
	if c.Lease <= 0 {
		c.Lease = 30 * time.Second
	}
	if c.Poll <= 0 {
		c.Poll = time.Second
	}
	if c.ReapInterval <= 0 {
		c.ReapInterval = c.Lease / 2
	}
	if c.BackoffBase <= 0 {
		c.BackoffBase = 2 * time.Second
	}
	if c.BackoffMax <= 0 {
		c.BackoffMax = 5 * time.Minute
	}
	if c.TempDir == "" {
		c.TempDir = os.TempDir()
	}
	if c.Owner == "" {
		host, _ := os.Hostname()
		c.Owner = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), NewSlug()[:6])
	}
}

// Pool runs processing jobs from the durable queue.
type Pool struct {
	svc  *Service
	cfg  WorkerConfig
	log  *slog.Logger
	wake chan struct{}
	wg   sync.WaitGroup
	// outage counts jobs in a row that failed because a dependency was
	// unavailable (see waitsOut); it sets their shared backoff.
	outage atomic.Int64
}

// NewPool returns a pool; Run starts it.
func NewPool(svc *Service, cfg WorkerConfig) *Pool {
	cfg.defaults()
	log := svc.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Pool{svc: svc, cfg: cfg, log: log, wake: make(chan struct{}, 1)}
	if b := cfg.Budget; b != nil {
		b.lend(cfg.Workers, p.Wake)
	}
	return p
}

// Wake makes an idle worker look for work now.
func (p *Pool) Wake() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Run processes jobs until ctx is cancelled, then waits for running jobs to
// stop. A job interrupted by shutdown is released back to the queue at once
// (not left to the reaper), so another process can take it immediately.
func (p *Pool) Run(ctx context.Context) {
	workers := p.cfg.Workers
	if p.cfg.Budget != nil {
		workers = p.cfg.Budget.Slots()
	}
	for i := 0; i < workers; i++ {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.loop(ctx)
		}()
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.reapLoop(ctx)
	}()
	p.wg.Wait()
}

func (p *Pool) loop(ctx context.Context) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-p.wake:
		}
		for ctx.Err() == nil {
			// The slot first, so that no job is claimed that cannot run.
			slot, ok := p.cfg.Budget.TakeJob()
			if !ok {
				break // woken when a slot frees up
			}
			job, err := p.svc.Jobs.ClaimJob(ctx, p.cfg.Owner, p.cfg.Lease)
			if err != nil {
				slot.Release()
				if ctx.Err() == nil {
					p.log.Warn("claim job", "err", err)
				}
				break
			}
			if job == nil {
				slot.Release()
				break
			}
			// More work may wait: another idle worker looks, if a slot is
			// free for it.
			p.Wake()
			p.runJob(ctx, job, slot)
			slot.Release()
		}
		t.Reset(p.cfg.Poll)
	}
}

func (p *Pool) reapLoop(ctx context.Context) {
	t := time.NewTicker(p.cfg.ReapInterval)
	defer t.Stop()
	for {
		p.Reap(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Reap returns expired leases to the queue and fails videos whose jobs have
// run out of attempts.
func (p *Pool) Reap(ctx context.Context) {
	ids, err := p.svc.Jobs.ReapJobs(ctx, time.Now(), "Processing stopped unexpectedly several times. Try uploading the video again.")
	if err != nil {
		if ctx.Err() == nil {
			p.log.Warn("reap jobs", "err", err)
		}
		return
	}
	for _, id := range ids {
		p.log.Info("reaped expired job", "video_id", id)
		if v, err := p.svc.Videos.Video(ctx, id); err == nil {
			p.svc.Events.Publish(v)
		}
	}
	if len(ids) > 0 {
		p.Wake()
	}
}

// runJob runs one claimed job while renewing its lease. Losing the lease
// (the video was deleted, or the reaper gave the job away during a stall)
// cancels the work.
func (p *Pool) runJob(ctx context.Context, job *Job, slot *JobSlot) {
	log := p.log.With("job_id", job.ID, "video_id", job.VideoID, "attempt", job.Attempts)
	jctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	slot.Held(func() { cancel(ErrSlotReclaimed) })
	errLost := errors.New("lease lost")
	go func() {
		t := time.NewTicker(p.cfg.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-jctx.Done():
				return
			case <-t.C:
				if err := p.svc.Jobs.ExtendLease(jctx, job, p.cfg.Lease); err != nil {
					if ErrorCode(err) == ECONFLICT {
						cancel(errLost)
						return
					}
					log.Warn("extend lease", "err", err)
				}
			}
		}
	}()

	start := time.Now()
	err := p.process(jctx, job)
	// Bookkeeping must happen even when shutdown cancelled ctx.
	bctx, bcancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer bcancel()
	switch {
	case err == nil:
		p.outage.Store(0)
		log.Info("job done", "took", time.Since(start).Round(time.Millisecond))
	case errors.Is(context.Cause(jctx), errLost):
		log.Warn("job abandoned: lease lost")
	case errors.Is(context.Cause(jctx), ErrSlotReclaimed):
		// A recording took back the live slot this job borrowed (see
		// Admission). Not the job's fault: no attempt spent, and it runs
		// again as soon as a slot is free.
		job.Attempts--
		if rerr := p.svc.Jobs.RetryJob(bctx, job, time.Now(), "gave its slot to a live recording"); rerr != nil {
			log.Warn("requeue job", "err", rerr)
		}
		log.Info("job gave its slot to a live recording; requeued")
	case ctx.Err() != nil:
		// Shutting down: hand the job back now, without counting it as an
		// attempt: a deploy must not bring a video closer to failing.
		job.Attempts--
		if rerr := p.svc.Jobs.RetryJob(bctx, job, time.Now(), "interrupted by shutdown"); rerr != nil {
			log.Warn("release job", "err", rerr)
		}
		log.Info("job released for shutdown")
	case waitsOut(err):
		// The object store is down or the disk is full. That is not the
		// video's fault, so it does not spend one of the job's attempts (an
		// outage longer than the retries would otherwise fail every video
		// in flight). The backoff is the pool's, not the job's: an outage
		// hits every job alike, and each failure in a row waits longer.
		delay := p.backoff(int(p.outage.Add(1)))
		job.Attempts--
		log.Warn("job waits for a dependency", "err", err, "in", delay.Round(time.Millisecond))
		if rerr := p.svc.Jobs.RetryJob(bctx, job, time.Now().Add(delay), err.Error()); rerr != nil {
			log.Warn("requeue job", "err", rerr)
		}
		p.wakeAfter(delay)
	case job.Kind == JobFaststart && (IsPermanent(err) || job.Attempts >= job.MaxAttempts):
		// An improvement to a video that is already ready and playable:
		// giving up leaves the video as it is, never failed.
		log.Warn("faststart given up; the video keeps its MP4", "err", err)
		if cerr := p.svc.Jobs.CompleteJob(bctx, job, func(*Video) error { return nil }); cerr != nil {
			log.Warn("drop job", "err", cerr)
		}
	case IsPermanent(err) || job.Attempts >= job.MaxAttempts:
		msg := ErrorMessage(err)
		if !IsPermanent(err) {
			msg = fmt.Sprintf("Processing failed after %d attempts: %s", job.Attempts, msg)
		}
		log.Warn("job failed", "err", err)
		ferr := p.svc.Jobs.FailJob(bctx, job, func(v *Video) error {
			v.Status, v.ErrorCode, v.Error = StatusFailed, ErrorCode(err), msg
			return nil
		})
		if ferr != nil {
			log.Error("record job failure", "err", ferr)
		}
		p.publish(bctx, job.VideoID)
	default:
		delay := p.backoff(job.Attempts)
		log.Warn("job will retry", "err", err, "in", delay.Round(time.Millisecond))
		if rerr := p.svc.Jobs.RetryJob(bctx, job, time.Now().Add(delay), err.Error()); rerr != nil {
			log.Warn("requeue job", "err", rerr)
		}
		p.wakeAfter(delay)
	}
}

// wakeAfter wakes a worker when a job put back for d is due, so a short
// backoff is not rounded up to the poll interval.
func (p *Pool) wakeAfter(d time.Duration) {
	if d < p.cfg.Poll {
		time.AfterFunc(d, p.Wake)
	}
}

// waitsOut reports whether err means a dependency is missing (object store
// unreachable, no disk space) rather than that the job went wrong.
func waitsOut(err error) bool {
	switch ErrorCode(err) {
	case EUNAVAILABLE, ENOSPACE:
		return true
	}
	return false
}

func (p *Pool) backoff(attempt int) time.Duration {
	d := float64(p.cfg.BackoffBase) * math.Pow(2, float64(attempt-1))
	d = math.Min(d, float64(p.cfg.BackoffMax))
	// Jitter spreads retries of jobs that failed together (store outage).
	return time.Duration(d * (0.75 + rand.Float64()/2))
}

func (p *Pool) publish(ctx context.Context, id string) {
	if v, err := p.svc.Videos.Video(ctx, id); err == nil {
		p.svc.Events.Publish(v)
	}
}

// process turns the stored original into outputs, stores them and marks the
// video ready. Every step is idempotent, so a retry after a crash at any
// point just does the work again.
func (p *Pool) process(ctx context.Context, job *Job) error {
	if job.Kind == JobFaststart {
		return p.faststart(ctx, job)
	}
	if p.svc.Record.Handles(job.Kind) {
		// Follow-ups of the written record (transcript.go).
		return p.svc.Record.Run(ctx, job, p.cfg.TempDir)
	}
	svc := p.svc
	v, err := svc.Videos.Video(ctx, job.VideoID)
	if err != nil {
		return err
	}
	dir, err := p.scratchDir(job)
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// The original where a local store keeps it, else downloaded; what the
	// hand-off's probe found, so the transcoder probes once and never
	// rescans a recording for its duration (localfiles.go).
	in, err := svc.localObject(ctx, OriginalKey(v.ID), filepath.Join(dir, "original"), p.download)
	if err != nil {
		return err
	}
	info := storedInfo(v)
	if info == nil {
		if info, err = svc.Transcoder.Inspect(ctx, in); err != nil {
			return vanished(err, in)
		}
	}
	outDir := filepath.Join(dir, "out")
	if err := os.Mkdir(outDir, 0o700); err != nil {
		return err
	}
	var lastPct float64
	var lastWrite time.Time
	res, err := svc.Transcoder.Process(ctx, ProcessRequest{
		Input: in, Info: info, OutDir: outDir, MaxDuration: v.LengthLimit(),
		Progress: func(pct float64) {
			// The database sees progress once a second; watchers see it
			// through the same update.
			if time.Since(lastWrite) < time.Second || pct-lastPct < 1 {
				return
			}
			lastWrite, lastPct = time.Now(), pct
			if nv, err := svc.Videos.UpdateVideo(ctx, v.ID, "", func(v *Video) error {
				v.Progress = math.Min(pct, 99)
				return nil
			}); err == nil {
				svc.Events.Publish(nv)
			}
		},
	})
	if err != nil {
		// A scratch file that vanished is not the input's fault.
		return vanished(err, in, outDir)
	}
	if err := p.upload(ctx, res.MP4Path, MP4Key(v.ID), "video/mp4"); err != nil {
		return err
	}
	hasPoster := false
	if res.PosterPath != "" {
		if err := p.upload(ctx, res.PosterPath, PosterKey(v.ID), "image/jpeg"); err != nil {
			return err
		}
		hasPoster = true
	}
	if v.Live {
		// A live session that died left its rendition; this MP4 replaces it.
		if err := svc.Blobs.DeletePrefix(ctx, LivePrefix(v.ID)); err != nil {
			return err
		}
	}
	err = svc.Jobs.CompleteJob(ctx, job, func(v *Video) error {
		v.Status, v.Progress, v.Live = StatusReady, 100, false
		v.ErrorCode, v.Error = "", ""
		v.DurationMs, v.Width, v.Height = res.Info.DurationMs, res.Info.Width, res.Info.Height
		v.SizeBytes = res.Info.SizeBytes
		v.HasMP4, v.HasPoster = true, hasPoster
		return nil
	})
	if ErrorCode(err) == ENOTFOUND {
		// Deleted while we worked: take the outputs back out.
		_ = svc.Blobs.DeletePrefix(context.WithoutCancel(ctx), VideoPrefix(v.ID))
		return nil
	}
	if err != nil {
		return err
	}
	p.publish(ctx, v.ID)
	svc.notifyReady(ctx, v) // v as read when processing began
	return nil
}

// scratchDir makes the job's private directory. Missing scratch (someone
// removed it) is an internal error, retried; only a full disk is ENOSPACE.
func (p *Pool) scratchDir(job *Job) (string, error) {
	dir, err := os.MkdirTemp(p.cfg.TempDir, fmt.Sprintf("job-%d-", job.ID))
	if err != nil {
		if IsNoSpace(err) {
			return "", WrapError(ENOSPACE, err, "No space for temporary files.")
		}
		return "", fmt.Errorf("media: scratch dir: %w", err)
	}
	return dir, nil
}

func (p *Pool) download(ctx context.Context, key, path string) error {
	b, err := p.svc.Blobs.Open(ctx, key)
	if err != nil {
		if ErrorCode(err) == ENOTFOUND {
			return Errorf(ENOTFOUND, "The original upload is missing.")
		}
		return err
	}
	defer b.Close()
	f, err := os.Create(path)
	if err != nil {
		if IsNoSpace(err) {
			return WrapError(ENOSPACE, err, "No space for temporary files.")
		}
		return fmt.Errorf("media: scratch file: %w", err)
	}
	if _, err := io.Copy(f, b); err != nil {
		f.Close()
		if IsNoSpace(err) {
			return WrapError(ENOSPACE, err, "No space for temporary files.")
		}
		return fmt.Errorf("media: download original: %w", err)
	}
	return f.Close()
}

func (p *Pool) upload(ctx context.Context, path, key, contentType string) error {
	// Linked, not copied, where the store is local (localfiles.go).
	return p.svc.putFile(ctx, key, path, -1, contentType)
}

// faststart replaces a ready video's MP4 with a faststart remux of itself.
// The video stays ready and playable throughout: the store swaps the object
// whole.
func (p *Pool) faststart(ctx context.Context, job *Job) error {
	svc := p.svc
	rm, ok := svc.Transcoder.(Remuxer)
	v, err := svc.Videos.Video(ctx, job.VideoID)
	if err != nil {
		return err
	}
	if v.Status == StatusReady {
		// Watch pages move from the live rendition to the MP4 when the video
		// turns ready, so the rendition's segments are only a second copy
		// of the recording now.
		if err := svc.Blobs.DeletePrefix(ctx, LivePrefix(v.ID)); err != nil {
			return err
		}
	}
	if !ok || v.Status != StatusReady || !v.HasMP4 {
		// Nothing to do (or nothing we can do): the video keeps its MP4.
		return svc.Jobs.CompleteJob(ctx, job, func(*Video) error { return nil })
	}
	dir, err := p.scratchDir(job)
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	in, out := filepath.Join(dir, "in.mp4"), filepath.Join(dir, "video.mp4")
	if err := p.download(ctx, MP4Key(v.ID), in); err != nil {
		return err
	}
	if err := rm.Faststart(ctx, in, out); err != nil {
		return vanished(err, in, dir)
	}
	if err := p.upload(ctx, out, MP4Key(v.ID), "video/mp4"); err != nil {
		return err
	}
	st, err := os.Stat(out)
	if err != nil {
		return err
	}
	err = svc.Jobs.CompleteJob(ctx, job, func(v *Video) error {
		v.SizeBytes = st.Size()
		return nil
	})
	if ErrorCode(err) == ENOTFOUND {
		_ = svc.Blobs.DeletePrefix(context.WithoutCancel(ctx), VideoPrefix(v.ID))
		return nil
	}
	return err
}
