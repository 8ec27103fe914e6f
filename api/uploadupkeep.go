package api

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/baton-video/baton/media"
)

// upkeep hands off uploads that completed while a hand-off could not run
// (crash, store outage), removes staging files nobody needs, expires
// uploads that have been idle too long, and sweeps what crashed writers
// left. Its first pass runs at once, so a restarted server reconciles
// before its first request is long done.
func (u *uploads) upkeep(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		u.sweep(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (u *uploads) sweep(ctx context.Context) {
	svc := u.s.svc
	// Videos an older version left processing without a job first: those
	// whose upload is still staged go back to uploading, and the pass
	// below hands them off again.
	rescued, err := svc.RescueStranded(ctx, func(id string) bool {
		_, ok := u.info(ctx, id)
		return ok
	})
	if err != nil && ctx.Err() == nil {
		u.s.log.Warn("rescue stranded videos", "err", err)
	}
	infos, _ := filepath.Glob(filepath.Join(u.dir, "*.info"))
	for _, p := range infos {
		if ctx.Err() != nil {
			return
		}
		id := strings.TrimSuffix(filepath.Base(p), ".info")
		if !media.ValidID(id) {
			continue
		}
		u.sweepOne(ctx, id)
	}
	age := u.s.opt.OrphanAge
	if age <= 0 {
		age = DefaultOrphanAge
	}
	strays := u.sweepStrays(ctx, age)
	orphans, err := svc.SweepOrphans(ctx, age)
	if err != nil && ctx.Err() == nil {
		u.s.log.Warn("sweep unfinished objects", "err", err)
	}
	replies := u.s.sweepReplies(ctx, age) // replies.go
	if rescued+strays+orphans.Objects+orphans.Scratch+replies > 0 {
		u.s.log.Info("upkeep swept orphans", "unfinished_objects", orphans.Objects,
			"scratch_dirs", orphans.Scratch, "staging_files", strays, "stranded_videos", rescued, "stray_replies", replies)
	}
}

// DefaultOrphanAge is how long an unfinished write or a stray staging file
// must sit untouched before upkeep removes it, when Options.OrphanAge is 0.
const DefaultOrphanAge = time.Hour

// sweepStrays removes staging files that belong to no readable upload and
// have not been touched for age: the data file of an upload whose creation
// died before its .info was written, an .info that cannot be read, and
// anything else that is not an upload. It returns how many it removed.
func (u *uploads) sweepStrays(ctx context.Context, age time.Duration) int {
	entries, err := os.ReadDir(u.dir)
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range entries {
		if ctx.Err() != nil {
			return n
		}
		name := e.Name()
		id := strings.TrimSuffix(name, ".info")
		if media.ValidID(id) {
			if _, ok := u.info(ctx, id); ok {
				continue
			}
		}
		st, err := e.Info()
		if err != nil || e.IsDir() || time.Since(st.ModTime()) < age {
			continue
		}
		lock := &uploadLock{l: u.locker, id: id}
		if !lock.TryLock() {
			continue
		}
		if os.Remove(filepath.Join(u.dir, name)) == nil {
			n++
			if media.ValidID(id) && name == id+".info" {
				// An upload nobody can read again: its video will never get
				// its bytes.
				if _, err := u.s.svc.ExpireUpload(ctx, id); err != nil && media.ErrorCode(err) != media.ENOTFOUND {
					u.s.log.Warn("expire unreadable upload", "video_id", id, "err", err)
				}
			}
		}
		lock.Unlock()
	}
	return n
}

func (u *uploads) sweepOne(ctx context.Context, id string) {
	lock := &uploadLock{l: u.locker, id: id}
	if !lock.TryLock() {
		return // a request is using it right now; taking it would interrupt it
	}
	defer lock.Unlock()
	v, err := u.s.svc.Video(ctx, id)
	if media.ErrorCode(err) == media.ENOTFOUND {
		u.terminate(ctx, id)
		return
	}
	if err != nil {
		return
	}
	info, ok := u.info(ctx, id)
	if !ok {
		return
	}
	switch {
	case media.UploadDone(v):
		u.terminate(ctx, id)
	case complete(info):
		nv, err := u.finish(ctx, id, info.Size)
		switch {
		case err != nil && !media.IsPermanent(err):
			u.s.log.Warn("hand off staged upload", "video_id", id, "err", err)
		case err != nil || media.UploadDone(nv):
			u.terminate(ctx, id)
		}
	case u.s.opt.UploadExpiry > 0:
		st, err := os.Stat(u.path(id))
		if err == nil && time.Since(st.ModTime()) > u.s.opt.UploadExpiry {
			if _, err := u.s.svc.ExpireUpload(ctx, id); err != nil {
				u.s.log.Warn("expire upload", "video_id", id, "err", err)
				return
			}
			u.terminate(ctx, id)
		}
	}
}
