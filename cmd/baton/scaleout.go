package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/gormstore"
)

// openDatabase opens the metadata database and enforces who may share it:
// on SQLite one process (the file lock), so `baton worker` is refused;
// on Postgres any number of `baton serve` and `baton worker` processes.
func (m *Main) openDatabase(ctx context.Context) error {
	cfg := m.Config
	if !cfg.Postgres() {
		if m.WorkerOnly {
			return errors.New("baton worker needs a database that several processes share: set BATON_DATABASE_URL=postgres://... (on SQLite, `baton serve` runs the workers itself; see README, Scaling out)")
		}
		unlock, err := lockSQLite(cfg.DatabasePath())
		if err != nil {
			return err
		}
		m.unlockDB = unlock
		if cfg.Workers == 0 {
			m.Log.Warn("BATON_WORKERS=0 on SQLite: no process will process videos (baton worker needs Postgres)")
		}
	}
	if m.WorkerOnly && cfg.Workers == 0 {
		return errors.New("BATON_WORKERS=0 leaves baton worker nothing to do: set it to 1 or more")
	}
	db, err := gormstore.OpenURL(ctx, cfg.DatabaseTarget(), m.Log)
	if err != nil {
		return err
	}
	m.DB = db
	return nil
}

// lockSQLite takes a lock beside the SQLite file for the life of the
// process. SQLite is Baton's one-process mode: a second process would have
// its own live events, caches and upload staging, and viewers would see
// half of what happens. The kernel drops the lock when the process dies.
// (The data dir's own lock covers only the default path; a sqlite:// URL
// may point elsewhere.)
func lockSQLite(dbPath string) (func(), error) {
	l, err := media.LockFile(dbPath + ".lock")
	if media.ErrorCode(err) == media.ECONFLICT {
		return nil, fmt.Errorf("another Baton process is using the SQLite database %s (%s). SQLite runs Baton as one process: stop the other one, or move to Postgres (BATON_DATABASE_URL=postgres://...) to run several API and worker processes", dbPath, media.ErrorMessage(err))
	}
	if err != nil {
		return nil, err
	}
	return func() { _ = l.Release() }, nil
}

// uploadOwners is set when uploads may reach another process than the one
// holding them (Postgres); nil keeps every request local.
func (m *Main) uploadOwners() media.UploadOwners {
	if !m.Config.Postgres() {
		return nil
	}
	return m.DB
}

// singletonEvery is the period of the periodic tasks that one process runs
// for all of them.
const singletonEvery = time.Minute

// startSingletons runs the periodic tasks that must happen once per period
// across all processes sharing the database, whichever process wins each
// period (media.Ticks). On SQLite there is one process and the API's own
// upkeep covers uploads.
func (m *Main) startSingletons(ctx context.Context) {
	if !m.Config.Postgres() {
		return
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		t := time.NewTicker(singletonEvery)
		defer t.Stop()
		for {
			m.runSingletons(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// runSingletons runs each task whose period this process wins.
func (m *Main) runSingletons(ctx context.Context) {
	if ok, err := m.DB.ClaimTick(ctx, "expire-uploads", singletonEvery); err != nil {
		if ctx.Err() == nil {
			m.Log.Warn("claim tick", "task", "expire-uploads", "err", err)
		}
	} else if ok {
		m.expireIdleUploads(ctx)
	}
}

// expireIdleUploads fails uploads nobody has sent bytes to for
// BATON_UPLOAD_EXPIRY, wherever they are held: the API process holding one
// does the same for its own, but it may be gone for good. The holder, if it
// comes back, drops its staging when it finds the video failed.
func (m *Main) expireIdleUploads(ctx context.Context) {
	vs, err := m.DB.ExpireIdleUploads(ctx, time.Now().Add(-m.Config.UploadExpiry), "The upload expired before it was finished.")
	if err != nil {
		if ctx.Err() == nil {
			m.Log.Warn("expire idle uploads", "err", err)
		}
		return
	}
	for _, v := range vs {
		m.Log.Info("upload expired", "video_id", v.ID)
		m.Service.Events.Publish(v)
	}
}
