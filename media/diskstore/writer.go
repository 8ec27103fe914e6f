package diskstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/baton-video/baton/media"
)

var _ media.StreamingBlobStore = (*Store)(nil)

var (
	errCommitted = errors.New("writer already committed")
	errAborted   = errors.New("writer aborted")
)

// Create starts an object at key that is written over time, for outputs
// produced while a recording is still going. The bytes go to a hidden temp
// file in key's directory, exactly as Put's do, so Commit only has to fsync
// what the kernel has not yet written back and rename: its cost does not
// grow with the object. Nothing is visible under key until Commit returns.
//
// Cancelling ctx discards the object (the temp file is removed at once,
// even if the writer is never touched again). The writer must be committed
// or aborted. A full disk is ENOSPACE, from Create, Write or Commit; the
// temp file is removed as soon as any write fails, so a failed writer holds
// no space.
func (s *Store) Create(ctx context.Context, key, contentType string) (media.BlobWriter, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("diskstore: create %s: %w", key, err)
	}
	if contentType == "" {
		contentType = defaultType
	}
	dir, name := filepath.Split(p)
	tmp, err := s.createTemp(dir, name)
	if err != nil {
		return nil, translate(fmt.Errorf("diskstore: create %s: %w", key, err))
	}
	w := &writer{s: s, key: key, path: p, contentType: contentType, ctx: ctx, f: tmp}
	// Under mu: a ctx cancelled at once runs the func on another goroutine,
	// and its discard reads w.stop.
	w.mu.Lock()
	w.stop = context.AfterFunc(ctx, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.done == nil {
			w.discard(fmt.Errorf("diskstore: write %s: %w", key, ctx.Err()))
		}
	})
	w.mu.Unlock()
	return w, nil
}

// writer is a media.BlobWriter over a temp file. Its methods serialise on
// mu, so Abort (or ctx's cancellation) may come from another goroutine.
type writer struct {
	s           *Store
	key         string
	path        string // the object's file
	contentType string
	ctx         context.Context // Create's; cancelling it discards
	stop        func() bool     // unregisters the discard on ctx

	mu sync.Mutex
	f  *os.File
	// done says why the writer takes no more bytes: errCommitted,
	// errAborted, or the failure that discarded it. nil while open.
	done error
}

// Write appends p to the temp file. After a failure every call returns it.
func (w *writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done != nil {
		return 0, w.closed("write")
	}
	// The discard on cancellation runs in its own goroutine; checking here
	// too makes a Write right after the cancel fail reliably.
	if err := w.ctx.Err(); err != nil {
		w.discard(fmt.Errorf("diskstore: write %s: %w", w.key, err))
		return 0, w.done
	}
	n, err := w.f.Write(p)
	if err != nil {
		w.discard(translate(fmt.Errorf("diskstore: write %s: %w", w.key, err)))
		return n, w.done
	}
	return n, nil
}

// Commit fsyncs the temp file and renames it (after its content-type
// sidecar) over the object, as Put does. On failure the temp file is
// removed and an earlier object under the key is left as it was.
func (w *writer) Commit(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done != nil {
		return w.closed("commit")
	}
	// Either context ending before the rename means no object.
	cctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := context.AfterFunc(w.ctx, func() { cancel(context.Cause(w.ctx)) })
	defer stop()

	if err := w.s.publish(cctx, w.f, w.path, w.contentType); err != nil {
		w.discard(translate(fmt.Errorf("diskstore: commit %s: %w", w.key, err)))
		return w.done
	}
	w.f = nil
	w.done = errCommitted
	w.stop()
	return nil
}

// Abort removes the temp file. After Commit, or a second time, it does
// nothing.
func (w *writer) Abort(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done != nil {
		return nil
	}
	return w.discard(errAborted)
}

// discard closes and removes the temp file, then the directories Create
// made for it if they are left empty, and records why. Call with mu held.
func (w *writer) discard(why error) error {
	w.done = why
	w.stop()
	// Close may already have happened (a failed publish); its error is moot.
	_ = w.f.Close()
	err := os.Remove(w.f.Name())
	w.f = nil
	w.s.pruneDirs(filepath.Dir(w.path))
	// A DeletePrefix of the video's prefix may have removed it first.
	if err != nil && !isMissing(err) {
		return fmt.Errorf("diskstore: abort %s: %w", w.key, err)
	}
	return nil
}

// closed is the error of a call on a writer that takes no more bytes.
func (w *writer) closed(op string) error {
	if w.done == errCommitted || w.done == errAborted {
		return fmt.Errorf("diskstore: %s %s: %w", op, w.key, w.done)
	}
	return w.done
}
