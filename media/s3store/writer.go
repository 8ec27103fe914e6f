package s3store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/minio/minio-go/v7"

	"github.com/baton-video/baton/media"
)

var _ media.StreamingBlobStore = (*Store)(nil)

// maxParts is the most parts S3 accepts in one multipart upload.
const maxParts = 10_000

var (
	errCommitted = errors.New("writer already committed")
	errAborted   = errors.New("writer aborted")
)

// Create starts an object at key that is written over time, for outputs
// produced while a recording is still going.
//
// Writes fill a buffer of Config.PartSize. When it is full it goes to a
// background uploader as the next part of a multipart upload (started
// then, so an object smaller than one part never becomes one and is stored
// by a single PUT at Commit). Write blocks only when the previous part is
// still uploading as the next one fills, so a writer holds at most two
// part buffers: 2 × PartSize of memory. Commit then sends only the bytes
// not yet sent (the last, partial part, and a full one if it had not gone
// yet) and completes the upload: its cost does not grow with the object.
//
// Every request runs under the store's deadlines: a part that stops
// moving for OpTimeout fails with EUNAVAILABLE. The first failure is
// returned by the next Write or Commit, and the multipart upload is
// aborted at once, as it is on Abort and when ctx is cancelled, so no parts
// are left in the bucket. (A multipart upload that outlives a crash is
// left for the bucket's lifecycle rule on incomplete uploads.)
//
// The writer must be committed or aborted; until then it keeps a goroutine.
func (s *Store) Create(ctx context.Context, key, contentType string) (media.BlobWriter, error) {
	if err := media.CheckKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("s3store: create %s: %w", key, err)
	}
	if contentType == "" {
		contentType = defaultType
	}
	w := &writer{
		s:           s,
		core:        minio.Core{Client: s.client},
		key:         key,
		contentType: contentType,
		ctx:         ctx,
		queue:       make(chan []byte),
		free:        make(chan []byte, 1),
		upDone:      make(chan struct{}),
	}
	w.wctx, w.cancel = context.WithCancelCause(ctx)
	go w.upload()
	return w, nil
}

// writer is a media.BlobWriter over a multipart upload. Write, Commit and
// Abort serialise on mu; Abort first cancels wctx, so it never waits behind
// a Write that is waiting for the uploader.
type writer struct {
	s           *Store
	core        minio.Core
	key         string
	contentType string
	ctx         context.Context // Create's
	// wctx ends when ctx does, on Abort, after Commit, and on the first
	// failure of the uploader (with that failure as its cause).
	wctx   context.Context
	cancel context.CancelCauseFunc

	mu          sync.Mutex
	buf         []byte // the part being filled
	queueClosed bool
	// done says why the writer takes no more bytes: errCommitted,
	// errAborted, or the failure. nil while open.
	done error

	queue chan []byte // full parts, to the uploader
	free  chan []byte // part buffers, back from the uploader
	sent  int         // parts handed to the uploader
	// Set by the uploader before it closes upDone.
	upErr error                // its failure, or nil
	upID  string               // the multipart upload, once started
	parts []minio.CompletePart // uploaded so far
	// upDone is closed when the uploader has stopped: no part is in flight
	// and upErr, upID and parts are final.
	upDone chan struct{}

	discardMu sync.Mutex // serialises discard
	discarded bool       // the upload is gone (or never was)
}

// Write buffers p, handing each part to the uploader as soon as it is full.
func (w *writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done != nil {
		return 0, w.closed("write")
	}
	if w.wctx.Err() != nil {
		return 0, w.fail("write")
	}
	n := 0
	for len(p) > 0 {
		if len(w.buf) == int(w.s.partSize) {
			if err := w.handOff(); err != nil {
				return n, err
			}
		}
		w.grow(len(p))
		c := copy(w.buf[len(w.buf):cap(w.buf)], p)
		w.buf = w.buf[:len(w.buf)+c]
		p = p[c:]
		n += c
	}
	// A full part goes now rather than on the next Write: a recording's
	// writes come about a second apart.
	if len(w.buf) == int(w.s.partSize) {
		if err := w.handOff(); err != nil {
			return n, err
		}
	}
	return n, nil
}

// grow makes room in buf for up to n more bytes, without passing a part.
// Small objects get small buffers; full-size ones are reused.
func (w *writer) grow(n int) {
	size := int(w.s.partSize)
	if w.buf == nil {
		select {
		case b := <-w.free:
			w.buf = b[:0]
			return
		default:
		}
	}
	if cap(w.buf) == size || len(w.buf)+n <= cap(w.buf) {
		return
	}
	c := max(2*cap(w.buf), len(w.buf)+n, 64<<10)
	b := make([]byte, len(w.buf), min(c, size))
	copy(b, w.buf)
	w.buf = b
}

// handOff gives the full buffer to the uploader, waiting while it is busy
// with the previous part.
func (w *writer) handOff() error {
	if w.sent == maxParts {
		w.cancel(media.Errorf(media.ETOOLARGE, "The file is too large for object storage."))
		return w.fail("write")
	}
	select {
	case w.queue <- w.buf:
		w.buf = nil
		w.sent++
		return nil
	case <-w.wctx.Done():
		return w.fail("write")
	}
}

// upload runs in the background, sending parts as they come, until the
// queue is closed (Commit, Abort) or wctx ends. On failure it aborts the
// multipart upload itself: nobody may ever call Abort.
func (w *writer) upload() {
	err := w.uploadParts()
	if err != nil {
		w.upErr = err
		w.cancel(err)
	}
	close(w.upDone)
	if err != nil {
		_ = w.discard() // Abort reports (and retries) a failure
	}
}

func (w *writer) uploadParts() error {
	for {
		var buf []byte
		select {
		case b, ok := <-w.queue:
			if !ok {
				return nil
			}
			buf = b
		case <-w.wctx.Done():
			return context.Cause(w.wctx)
		}
		if err := w.uploadPart(w.wctx, buf); err != nil {
			return err
		}
		select {
		case w.free <- buf[:0]:
		default:
		}
	}
}

// uploadPart sends buf as the next part, starting the multipart upload
// first if needed. ctx is the caller's (wctx, or Commit's merged context).
func (w *writer) uploadPart(ctx context.Context, buf []byte) error {
	if w.upID == "" {
		// Not cancellable: a request cancelled after it left may still
		// create the upload, and one whose id we never learn cannot be
		// aborted. It is a small request under OpTimeout.
		opCtx, cancel := w.s.opContext(context.WithoutCancel(ctx))
		id, err := w.core.NewMultipartUpload(opCtx, w.s.bucket, w.key, minio.PutObjectOptions{ContentType: w.contentType})
		cancel()
		if err != nil {
			return w.s.translate(ctx, opCtx, "start upload", w.key, err)
		}
		w.upID = id
		if err := ctx.Err(); err != nil {
			// Whoever called aborts the upload.
			return fmt.Errorf("s3store: upload %s: %w", w.key, context.Cause(ctx))
		}
	}
	n := len(w.parts) + 1
	// An inactivity deadline, as for Put: the part may be large and the
	// link slow, but it must keep moving.
	pctx, wd := newWatchdog(ctx, w.s.opTimeout, true)
	defer wd.stop()
	part, err := w.core.PutObjectPart(pctx, w.s.bucket, w.key, w.upID, n,
		&partReader{r: bytes.NewReader(buf), wd: wd}, int64(len(buf)), minio.PutObjectPartOptions{})
	if err != nil {
		return w.s.translate(ctx, pctx, fmt.Sprintf("upload part %d of", n), w.key, err)
	}
	w.parts = append(w.parts, minio.CompletePart{PartNumber: n, ETag: part.ETag})
	return nil
}

// Commit waits for the parts handed off to finish uploading, sends the
// rest and completes the upload; an object smaller than a part is stored
// with one PUT. On failure the upload is aborted and an earlier object
// under the key is left as it was.
func (w *writer) Commit(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done != nil {
		return w.closed("commit")
	}
	defer w.release()
	// Either context ending means no object.
	cctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := context.AfterFunc(w.wctx, func() { cancel(context.Cause(w.wctx)) })
	defer stop()

	w.closeQueue()
	select {
	case <-w.upDone:
	case <-cctx.Done():
		// Commit's own context ended while parts were still going up (if
		// wctx ended, its cause is the reason). The uploader stops and
		// aborts the upload in the background; Abort waits for that.
		if w.wctx.Err() == nil {
			w.cancel(w.s.translate(ctx, cctx, "commit", w.key, context.Cause(cctx)))
		}
		// The uploader may have stopped cleanly just before: then the
		// upload is ours to abort.
		go func() {
			<-w.upDone
			_ = w.discard()
		}()
		return w.fail("commit")
	}
	if w.upErr != nil {
		return w.fail("commit")
	}
	// The uploader stopped cleanly: the upload is ours now.
	if err := w.finish(cctx); err != nil {
		// The first reason wins: Abort or Create's context ending may have
		// caused this one.
		w.cancel(err)
		err = w.fail("commit")
		// In the background, so a failure is reported as promptly as the
		// store's deadlines allow; Abort waits for (and retries) it.
		go func() { _ = w.discard() }()
		return err
	}
	w.done = errCommitted
	w.cancel(errCommitted)
	return nil
}

func (w *writer) finish(ctx context.Context) error {
	if w.upID == "" {
		// Never reached a full part: one PUT, which also covers the empty
		// object (a multipart upload needs at least one part).
		return w.s.Put(ctx, w.key, bytes.NewReader(w.buf), int64(len(w.buf)), w.contentType)
	}
	if len(w.buf) > 0 {
		if len(w.parts) == maxParts {
			return media.Errorf(media.ETOOLARGE, "The file is too large for object storage.")
		}
		if err := w.uploadPart(ctx, w.buf); err != nil {
			return err
		}
	}
	opCtx, cancel := w.s.opContext(ctx)
	defer cancel()
	_, err := w.core.CompleteMultipartUpload(opCtx, w.s.bucket, w.key, w.upID, w.parts, minio.PutObjectOptions{})
	return w.s.translate(ctx, opCtx, "complete upload", w.key, err)
}

// Abort stops the uploader and aborts the multipart upload, so no part
// stays in the bucket. After Commit it does nothing. Called again, or after
// a failure that already aborted the upload in the background, it reports
// whether the upload is gone, trying once more if it is not. ctx bounds the
// wait; the abort request itself runs under OpTimeout whatever ctx does.
func (w *writer) Abort(ctx context.Context) error {
	// Before the lock: a Write or Commit waiting on the store returns at once.
	w.cancel(errAborted)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done == errCommitted {
		return nil
	}
	if w.done == nil {
		w.done = errAborted
	}
	w.closeQueue()
	defer w.release()
	select {
	case <-w.upDone:
	case <-ctx.Done():
		return fmt.Errorf("s3store: abort %s: %w", w.key, ctx.Err())
	}
	errc := make(chan error, 1)
	go func() { errc <- w.discard() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		return fmt.Errorf("s3store: abort %s: %w", w.key, ctx.Err())
	}
}

// discard aborts the multipart upload, if one was started and is not
// already aborted. Call it only once upDone is closed (or from the
// uploader itself, as it stops).
func (w *writer) discard() error {
	w.discardMu.Lock()
	defer w.discardMu.Unlock()
	if w.upID == "" || w.discarded {
		return nil
	}
	// A cleanup: it must happen even though the contexts that led here
	// are usually dead.
	opCtx, cancel := w.s.opContext(context.WithoutCancel(w.ctx))
	defer cancel()
	err := w.core.AbortMultipartUpload(opCtx, w.s.bucket, w.key, w.upID)
	if err == nil || minio.ToErrorResponse(err).Code == "NoSuchUpload" {
		w.discarded = true
		return nil
	}
	return w.s.translate(opCtx, opCtx, "abort upload", w.key, err)
}

// release lets the part buffers go: a finished writer may be kept around.
func (w *writer) release() {
	w.buf = nil
	select {
	case <-w.free:
	default:
	}
}

func (w *writer) closeQueue() {
	if !w.queueClosed {
		close(w.queue)
		w.queueClosed = true
	}
}

// fail records why wctx ended as the writer's failure, and returns it as
// the error of op.
func (w *writer) fail(op string) error {
	if w.done == nil {
		// The cause is the first reason given: the uploader's (already
		// translated) failure, errAborted, or Create's context ending.
		w.done = context.Cause(w.wctx)
		if pc := context.Cause(w.ctx); pc != nil && errors.Is(w.done, pc) {
			w.done = fmt.Errorf("s3store: %s %s: %w", op, w.key, pc)
		}
	}
	return w.closed(op)
}

// closed is the error of a call on a writer that takes no more bytes.
func (w *writer) closed(op string) error {
	if w.done == errCommitted || w.done == errAborted {
		return fmt.Errorf("s3store: %s %s: %w", op, w.key, w.done)
	}
	return w.done
}

// partReader is a part's body. It kicks the watchdog on every read (the
// transport reads as it sends) and seeks, so minio-go can retry the part.
type partReader struct {
	r  *bytes.Reader
	wd *watchdog
}

func (p *partReader) Read(b []byte) (int, error) {
	p.wd.kick()
	return p.r.Read(b)
}

func (p *partReader) Seek(offset int64, whence int) (int64, error) {
	return p.r.Seek(offset, whence)
}
