package media

import (
	"errors"
	"sync"
)

// Admission decides which recordings are converted live (see LiveSessions)
// and which wait for an ordinary processing job after Stop, and how many
// jobs run beside them, so that a burst of recordings (a company all-hands
// where everyone records at 09:00) cannot start more ffmpeg processes than
// the machine holds, and a backlog of uploaded files cannot push recordings
// out of live processing, or the reverse.
//
// One budget of slots serves both, MaxLive + Jobs in all; each live session
// and each running job holds one (a slot is one conversion at work):
//   - Live sessions may hold at most MaxLive slots (BATON_MAX_LIVE, by
//     default two per core). A live session of a browser recording copies
//     its H.264 video and converts only the audio: a few percent of a core
//     at real-time pace, so the bound is about memory and the burst at Stop
//     (each session's tail, probe and poster) more than about steady CPU.
//     Recordings beyond the bound upload exactly as before (the link works
//     at once, every byte is kept) and are processed by a job after Stop.
//   - Jobs own Jobs slots (BATON_WORKERS) that no live session takes, so
//     uploaded files always move, however many people record.
//   - Jobs also borrow the live slots no session holds: after an all-hands
//     every recording stops at once and the live slots are idle, so the
//     recordings that were not admitted are processed MaxLive + Jobs at a
//     time rather than one after another.
//   - Live sessions come first on their own slots: a recording that needs a
//     live slot a job has borrowed takes it back at once. That job (the one
//     that started last) is cancelled and put back in the queue without
//     spending an attempt (ErrSlotReclaimed), and runs again when a slot is
//     free. Its ffmpeg exits within its stop grace, so for that moment one
//     process more than the budget may run.
//   - Jobs' ffmpeg runs at a lower CPU priority (nice JobNice): a person
//     waiting for a live recording at Stop comes before a backlog of
//     uploaded files, yet jobs are never starved, because the kernel still
//     gives niced work what is left (about a tenth of the CPU under full
//     contention, all of it otherwise).
//   - Each live session's ffmpeg may use at most MaxRSS bytes of memory;
//     one that grows past it is stopped and its recording falls back to a
//     job, with the reason shown (ErrLiveOverMemory). So Baton's ffmpeg
//     children are at most MaxLive + Jobs at work, live ones bounded by
//     MaxRSS each, plus the hand-off inspections (bounded by the
//     Transcoder).
//
// A recording refused at its first bytes is asked again at every later
// chunk: when a slot has freed meanwhile and the recording is still short
// (at most PromoteBytes so far), it is promoted to live. That is sound
// because a session always reads the staged upload from its first byte: it
// catches up at ffmpeg's speed (many times real time when the video is
// copied) and then follows the recording as usual.
//
// State is this process's: on Postgres with several API processes, the
// process holding the upload admits it (uploads are forwarded to it), and
// each process's jobs share that process's budget; a `baton worker` has no
// live sessions, so its jobs have its Jobs slots.
type Admission struct {
	// MaxLive bounds concurrent live sessions; 0 or less admits none.
	MaxLive int
	// Jobs is the number of slots that are the jobs' own (see Pool); jobs
	// borrow idle live slots beyond it.
	Jobs int
	// MaxRSS bounds one live session's ffmpeg resident memory in bytes; 0
	// for no bound.
	MaxRSS int64
	// PromoteBytes is the most a refused recording may have uploaded and
	// still be promoted to live when a slot frees up; 0 never promotes.
	PromoteBytes int64

	mu      sync.Mutex
	running map[string]bool   // video ids holding a slot
	after   map[string]string // video ids processed after Stop -> why ("" when the box was busy)
	jobs    []*JobSlot        // slots held by running jobs, oldest first
	freed   func()            // called when a slot frees up (Pool.Wake)
}

// JobSlot is one running job's hold on the budget (Admission.TakeJob).
type JobSlot struct {
	a         *Admission
	cancel    func()
	reclaimed bool // given to a live session; the job must stop
	released  bool
}

// ErrSlotReclaimed is the cause of a job's context when a live session took
// back the slot the job had borrowed; the job goes back to the queue.
var ErrSlotReclaimed = errors.New("media: a live recording took back the slot this job borrowed")

// JobNice is the CPU priority (nice value) of processing jobs' ffmpeg, below
// live sessions' (0). See Admission.
const JobNice = 10

// DefaultPromoteBytes is Admission.PromoteBytes unless configured: about
// three minutes of a 1080p screen recording, which a copied-video session
// catches up on in a second or two.
const DefaultPromoteBytes = 64 << 20

// ErrLiveOverMemory is in the chain of a live session's error when its
// ffmpeg grew past Admission.MaxRSS and was stopped.
var ErrLiveOverMemory = errors.New("live processing used more memory than this server allows per recording")

// LiveMode says how a recording that is uploading will be processed; the
// recorder and the watch page tell the person which applies.
type LiveMode string

const (
	// LiveModeNone: not a recording being uploaded to this process (an
	// uploaded file, a finished video, or not known here).
	LiveModeNone LiveMode = ""
	// LiveModeLive: converted while it uploads; ready about a second
	// after Stop.
	LiveModeLive LiveMode = "live"
	// LiveModeAfterUpload: the box is busy (or live processing stopped);
	// processed by a job after Stop, ready a little after.
	LiveModeAfterUpload LiveMode = "after-upload"
)

// acquire takes a slot for video id, whose upload holds uploaded bytes so
// far. It refuses when every slot is taken, or when the recording was
// refused before and is now too long to catch up; a refusal is remembered
// (Mode reports LiveModeAfterUpload). A nil Admission admits everything.
func (a *Admission) acquire(id string, uploaded int64) bool {
	if a == nil {
		return true
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.running[id] {
		return true
	}
	why, refused := a.after[id]
	switch {
	case refused && why != "":
		return false // live processing failed once: not again
	case refused && uploaded > a.PromoteBytes:
		return false
	case len(a.running) >= a.MaxLive:
		if !refused {
			if a.after == nil {
				a.after = map[string]string{}
			}
			a.after[id] = ""
		}
		return false
	}
	if len(a.running)+len(a.jobs) >= a.MaxLive+max(a.Jobs, 0) {
		// Every slot is taken, so jobs hold some of the live ones: the
		// newest job gives its slot back (it has done the least work).
		s := a.jobs[len(a.jobs)-1]
		a.jobs = a.jobs[:len(a.jobs)-1]
		s.reclaimed = true
		if s.cancel != nil {
			s.cancel()
		}
	}
	if a.running == nil {
		a.running = map[string]bool{}
	}
	a.running[id] = true
	delete(a.after, id)
	return true
}

// TakeJob takes a slot for one job, or reports false when the budget is
// spent: Jobs slots are the jobs' own, and live slots that no session
// holds are lent. A nil Admission has no bound.
func (a *Admission) TakeJob() (*JobSlot, bool) {
	if a == nil {
		return &JobSlot{}, true
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.jobs) >= max(a.Jobs, 0)+max(a.MaxLive-len(a.running), 0) {
		return nil, false
	}
	s := &JobSlot{a: a}
	a.jobs = append(a.jobs, s)
	return s, true
}

// Slots is the most slots there are: the pool runs this many workers.
func (a *Admission) Slots() int {
	return max(a.Jobs, 0) + max(a.MaxLive, 0)
}

// lend sets how many slots are the jobs' own, and wake as what is called
// when a slot frees up, so that a job waiting for one is claimed at once
// (NewPool).
func (a *Admission) lend(jobs int, wake func()) {
	a.mu.Lock()
	a.Jobs, a.freed = jobs, wake
	a.mu.Unlock()
}

// Held sets cancel as the way to stop the slot's job when a live session
// takes the slot back; if that already happened, cancel runs now.
func (s *JobSlot) Held(cancel func()) {
	if s.a == nil {
		return
	}
	s.a.mu.Lock()
	s.cancel = cancel
	reclaimed := s.reclaimed
	s.a.mu.Unlock()
	if reclaimed {
		cancel()
	}
}

// Release gives the slot back when its job is done.
func (s *JobSlot) Release() {
	a := s.a
	if a == nil {
		return
	}
	a.mu.Lock()
	if s.released {
		a.mu.Unlock()
		return
	}
	s.released, s.cancel = true, nil
	freed := false
	if !s.reclaimed { // a reclaimed slot is a live session's by now
		for i, o := range a.jobs {
			if o == s {
				a.jobs = append(a.jobs[:i], a.jobs[i+1:]...)
				freed = true
				break
			}
		}
	}
	f := a.freed
	a.mu.Unlock()
	if freed && f != nil {
		f()
	}
}

// release gives back the slot of video id (its session's ffmpeg is done).
// A session that ended with an error before the recording did falls back
// to a job; why says so to the person.
func (a *Admission) release(id string, err error) {
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.running[id] {
		return
	}
	delete(a.running, id)
	if err != nil && !errors.Is(err, errAbandoned) && !IsPermanent(err) {
		if a.after == nil {
			a.after = map[string]string{}
		}
		a.after[id] = liveStoppedReason(err)
	}
	if f := a.freed; f != nil {
		// Called locked: Pool.Wake never blocks or takes this lock.
		f()
	}
}

// forget drops what is remembered of video id (its upload is handed off,
// deleted or expired), so the maps hold only uploads in progress.
func (a *Admission) forget(id string) {
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.after, id)
	// running is left to release: the session's ffmpeg may still run.
}

// Running returns the live sessions holding a slot and the bound.
func (a *Admission) Running() (n, max int) {
	if a == nil {
		return 0, 0
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.running), a.MaxLive
}

// RunningJobs returns the jobs holding a slot.
func (a *Admission) RunningJobs() int {
	if a == nil {
		return 0
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.jobs)
}

func (a *Admission) maxRSS() int64 {
	if a == nil {
		return 0
	}
	return a.MaxRSS
}

func liveStoppedReason(err error) string {
	if errors.Is(err, ErrLiveOverMemory) {
		return "Live processing stopped: it needed more memory than this server allows per recording. The video is processed when the upload ends."
	}
	return "Live processing stopped. The video is processed when the upload ends."
}

// Mode reports how the recording of video id, if it is uploading to this
// process, will be processed, and why when live processing stopped.
func (ls *LiveSessions) Mode(id string) (LiveMode, string) {
	if ls == nil {
		return LiveModeNone, ""
	}
	if a := ls.Admission; a != nil {
		a.mu.Lock()
		why, after := a.after[id]
		a.mu.Unlock()
		if after {
			return LiveModeAfterUpload, why
		}
	}
	if ls.Active(id) {
		return LiveModeLive, ""
	}
	return LiveModeNone, ""
}
