// Package diskstore keeps Baton's objects (originals, renditions, posters,
// thumbnails) as plain files under one directory: the embedded default when
// Baton runs on a single machine without S3.
//
// A key maps to the file dir/<key> (slashes become directories), so an
// operator can inspect, back up or rsync the tree with ordinary tools.
//
// Atomicity: Put writes to a hidden temp file in the destination directory,
// fsyncs it and renames it over the final name, then fsyncs the directory. A
// rename within one directory never crosses filesystems and is atomic, so a
// reader sees the old object or the new one, never a torn mix, and a crash
// leaves at worst a stray temp file (removed with its video's prefix).
//
// Create writes an object over time through the same kind of temp file,
// published by the same fsync and rename when the writer is committed.
//
// Content types are kept in a hidden sidecar file next to each object
// (".<name>.ct") because keys such as "videos/<id>/original" have no
// extension to derive one from. The sidecar is renamed into place before the
// object, so a new object never appears without its type (the price: an
// overwrite that fails between the two renames leaves the old bytes with the
// new type).
//
// Names starting with "." are the store's own; keys may not contain such
// segments, and List never shows them.
package diskstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/baton-video/baton/media"
)

var _ media.BlobStore = (*Store)(nil)

const (
	sidecarSuffix = ".ct"   // ".<name>.ct" holds <name>'s content type
	tempMarker    = ".tmp-" // ".<name>.tmp-<random>" is an unfinished write of <name>
	defaultType   = "application/octet-stream"
	copyBufSize   = 256 << 10
)

// Store is a media.BlobStore backed by a local directory. It is safe for
// concurrent use, also by several processes sharing the directory (baton
// serve and baton worker on one machine).
type Store struct {
	root string
}

// New returns a store rooted at dir, creating the directory if needed.
func New(dir string) (*Store, error) {
	if dir == "" {
		return nil, errors.New("diskstore: empty directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("diskstore: %w", err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, translate(fmt.Errorf("diskstore: create %s: %w", abs, err))
	}
	return &Store{root: abs}, nil
}

// Path returns the file holding key, for callers that need a real file:
// ffmpeg reading an original without a copy, or http.ServeFile. The path is
// read-only to callers; an overwrite of key replaces the file by rename, so
// an already open descriptor keeps reading the old bytes. ENOTFOUND.
func (s *Store) Path(key string) (string, error) {
	p, err := s.path(key)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(p)
	if err != nil || !fi.Mode().IsRegular() {
		return "", notFound(key)
	}
	return p, nil
}

// Put stores r under key. The object appears whole or not at all: on any
// error, including ctx being cancelled while copying, the temp file is
// removed and any previous object under key is untouched. A full disk is
// ENOSPACE. When size is not -1 and r holds fewer bytes, Put fails.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) (err error) {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("diskstore: put %s: %w", key, err)
	}
	if contentType == "" {
		contentType = defaultType
	}
	dir, name := filepath.Split(p)

	tmp, err := s.createTemp(dir, name)
	if err != nil {
		return translate(fmt.Errorf("diskstore: put %s: %w", key, err))
	}
	defer func() {
		if err != nil {
			// Close may already have happened; its error here is moot.
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()

	src := &ctxReader{ctx: ctx, r: r}
	buf := make([]byte, copyBufSize)
	var n int64
	if size >= 0 {
		n, err = io.CopyBuffer(onlyWriter{tmp}, io.LimitReader(src, size), buf)
		if err == nil && n != size {
			err = fmt.Errorf("got %d bytes, want %d: %w", n, size, io.ErrUnexpectedEOF)
		}
	} else {
		_, err = io.CopyBuffer(onlyWriter{tmp}, src, buf)
	}
	if err == nil {
		err = s.publish(ctx, tmp, p, contentType)
	}
	if err != nil {
		return translate(fmt.Errorf("diskstore: put %s: %w", key, err))
	}
	return nil
}

// publish makes tmp, a complete temp file beside p that is still open, the
// object at p: it fsyncs and closes tmp, renames a content-type sidecar and
// then tmp into place, and fsyncs the directory. On error tmp is closed but
// left for the caller to remove; a sidecar temp file is removed here.
func (s *Store) publish(ctx context.Context, tmp *os.File, p, contentType string) error {
	dir, name := filepath.Split(p)
	err := tmp.Chmod(0o644)
	if err == nil {
		// Without this a crash after the rename could leave a complete-looking
		// name over blocks that never reached the disk.
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	metaTmp, err := s.writeTemp(dir, name, contentType)
	if err != nil {
		return err
	}
	// Last chance to honour a cancel before the object becomes visible.
	if err = ctx.Err(); err == nil {
		err = os.Rename(metaTmp, filepath.Join(dir, sidecarName(name)))
	}
	if err != nil {
		_ = os.Remove(metaTmp)
		return err
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return err
	}
	// The object is in place; failing to persist the directory entry only
	// weakens durability across a power cut, so it is not reported as a
	// failure (the caller would retry a write that already happened).
	_ = syncDir(dir)
	return nil
}

// createTemp makes the hidden temp file for name in dir, creating dir. A
// concurrent Delete prunes directories it leaves empty, so a directory this
// call just made (or is halfway through making) can vanish before the temp
// file lands in it; that window is retried. Once the temp file exists the
// directory is not empty and pruning leaves it alone.
func (s *Store) createTemp(dir, name string) (*os.File, error) {
	var err error
	for range 10 {
		if err = os.MkdirAll(dir, 0o755); err == nil {
			var f *os.File
			if f, err = os.CreateTemp(dir, "."+name+tempMarker+"*"); err == nil {
				return f, nil
			}
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	return nil, err
}

// writeTemp writes data to a synced temp file beside name and returns its path.
func (s *Store) writeTemp(dir, name, data string) (_ string, err error) {
	f, err := os.CreateTemp(dir, "."+name+tempMarker+"*")
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if _, err = f.WriteString(data); err != nil {
		return "", err
	}
	if err = f.Chmod(0o644); err != nil {
		return "", err
	}
	if err = f.Sync(); err != nil {
		return "", err
	}
	if err = f.Close(); err != nil {
		return "", err
	}
	return f.Name(), nil
}

// Open opens the object for reading. The returned Blob is an *os.File
// underneath, so it seeks cheaply and suits http.ServeContent. ENOTFOUND.
func (s *Store) Open(ctx context.Context, key string) (media.Blob, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("diskstore: open %s: %w", key, err)
	}
	f, err := os.Open(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return nil, notFound(key)
		}
		return nil, fmt.Errorf("diskstore: open %s: %w", key, err)
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("diskstore: open %s: %w", key, err)
	}
	if !fi.Mode().IsRegular() {
		_ = f.Close()
		return nil, notFound(key)
	}
	return &blob{File: f, info: s.info(key, p, fi)}, nil
}

// Stat describes the object. ENOTFOUND.
func (s *Store) Stat(ctx context.Context, key string) (media.BlobInfo, error) {
	p, err := s.path(key)
	if err != nil {
		return media.BlobInfo{}, err
	}
	if err := ctx.Err(); err != nil {
		return media.BlobInfo{}, fmt.Errorf("diskstore: stat %s: %w", key, err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return media.BlobInfo{}, notFound(key)
		}
		return media.BlobInfo{}, fmt.Errorf("diskstore: stat %s: %w", key, err)
	}
	if !fi.Mode().IsRegular() {
		return media.BlobInfo{}, notFound(key)
	}
	return s.info(key, p, fi), nil
}

// info builds a BlobInfo; the content type comes from the sidecar, or from
// the extension for files that arrived without one (copied in by hand).
func (s *Store) info(key, p string, fi fs.FileInfo) media.BlobInfo {
	ct := ""
	dir, name := filepath.Split(p)
	if b, err := os.ReadFile(filepath.Join(dir, sidecarName(name))); err == nil {
		ct = string(b)
	}
	if ct == "" {
		ct = mime.TypeByExtension(path.Ext(key))
	}
	if ct == "" {
		ct = defaultType
	}
	return media.BlobInfo{Key: key, Size: fi.Size(), ModTime: fi.ModTime(), ContentType: ct}
}

// Delete removes the object and its sidecar, then any directories left
// empty. A missing object is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("diskstore: delete %s: %w", key, err)
	}
	if fi, err := os.Lstat(p); err == nil && fi.IsDir() {
		return nil // a "directory" of other keys, not an object
	}
	// Object first: once it is gone the key is gone, whatever happens to
	// the sidecar.
	if err := os.Remove(p); err != nil && !isMissing(err) {
		return fmt.Errorf("diskstore: delete %s: %w", key, err)
	}
	dir, name := filepath.Split(p)
	if err := os.Remove(filepath.Join(dir, sidecarName(name))); err != nil && !isMissing(err) {
		return fmt.Errorf("diskstore: delete %s: %w", key, err)
	}
	s.pruneDirs(dir)
	return nil
}

// DeletePrefix removes every object whose key starts with prefix, with
// their sidecars and unfinished writes, then directories left empty. An
// empty prefix is refused (EINVALID) so that a bug cannot wipe the store.
func (s *Store) DeletePrefix(ctx context.Context, prefix string) error {
	if prefix == "" {
		return media.Errorf(media.EINVALID, "Refusing to delete every object.")
	}
	dir, first, err := s.prefixDir(prefix)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("diskstore: delete prefix %s: %w", prefix, err)
	}
	if first == "" {
		// "videos/<id>/": everything below the directory matches. If it is
		// a file instead, that object's key lacks the slash: no match.
		fi, err := os.Lstat(dir)
		if isMissing(err) || err == nil && !fi.IsDir() {
			return nil
		}
		if err != nil {
			return fmt.Errorf("diskstore: delete prefix %s: %w", prefix, err)
		}
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("diskstore: delete prefix %s: %w", prefix, err)
		}
		s.pruneDirs(filepath.Dir(dir))
		return nil
	}
	// "videos/<id>/thumb": only entries of dir whose name (or, for our
	// hidden files, whose owner's name) starts with first match; a matching
	// directory matches entirely.
	entries, err := os.ReadDir(dir)
	if err != nil {
		if isMissing(err) {
			return nil
		}
		return fmt.Errorf("diskstore: delete prefix %s: %w", prefix, err)
	}
	for _, e := range entries {
		if !strings.HasPrefix(ownerName(e.Name()), first) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("diskstore: delete prefix %s: %w", prefix, err)
		}
	}
	s.pruneDirs(dir)
	return nil
}

// List returns the objects whose key starts with prefix, sorted by key.
// ContentType is left empty (reading every sidecar would make listing a big
// tree slow); Stat or Open give it.
func (s *Store) List(ctx context.Context, prefix string) ([]media.BlobInfo, error) {
	dir, first, err := s.prefixDir(prefix)
	if err != nil {
		return nil, err
	}
	var out []media.BlobInfo
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			// Vanished under a concurrent delete: it is simply not listed.
			if isMissing(err) {
				if p == dir {
					return fs.SkipAll
				}
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		name := d.Name()
		if strings.HasPrefix(name, ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if filepath.Dir(p) == dir && !strings.HasPrefix(name, first) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			if isMissing(err) {
				return nil
			}
			return err
		}
		rel, err := filepath.Rel(s.root, p)
		if err != nil {
			return err
		}
		out = append(out, media.BlobInfo{Key: filepath.ToSlash(rel), Size: fi.Size(), ModTime: fi.ModTime()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("diskstore: list %s: %w", prefix, err)
	}
	// WalkDir orders names within a directory, which is not key order
	// ("a/b" is visited before "a.txt", but "a.txt" < "a/b").
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Ping checks the directory is still there and writable.
func (s *Store) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("diskstore: ping: %w", err)
	}
	f, err := os.CreateTemp(s.root, ".ping"+tempMarker+"*")
	if err != nil {
		err = fmt.Errorf("diskstore: ping: %w", err)
		if t := translate(err); t != err {
			return t
		}
		return media.WrapError(media.EUNAVAILABLE, err, "Storage is unavailable; try again shortly.")
	}
	_ = f.Close()
	_ = os.Remove(f.Name())
	return nil
}

// pruneDirs removes dir and its parents while they are empty, stopping at
// the root. Removing a non-empty directory fails harmlessly, which is what
// makes this safe against concurrent writers.
func (s *Store) pruneDirs(dir string) {
	dir = filepath.Clean(dir)
	for dir != s.root && strings.HasPrefix(dir, s.root+string(filepath.Separator)) {
		if err := os.Remove(dir); err != nil {
			return
		}
		dir = filepath.Dir(dir)
	}
}

// path validates key and returns its file.
func (s *Store) path(key string) (string, error) {
	if err := media.CheckKey(key); err != nil {
		return "", err
	}
	return filepath.Join(s.root, filepath.FromSlash(key)), nil
}

// prefixDir splits a validated prefix into the directory holding every
// match and the start of the names that match in it: "videos/a/" ->
// (root/videos/a, ""), "videos/a" -> (root/videos, "a").
func (s *Store) prefixDir(prefix string) (dir, first string, err error) {
	if prefix != "" {
		// A trailing slash is fine in a prefix; check the rest as a key.
		check := strings.TrimSuffix(prefix, "/")
		if err := media.CheckKey(check); err != nil {
			return "", "", media.Errorf(media.EINVALID, "Invalid object key prefix.")
		}
	}
	i := strings.LastIndex(prefix, "/")
	return filepath.Join(s.root, filepath.FromSlash(prefix[:i+1])), prefix[i+1:], nil
}

func sidecarName(name string) string { return "." + name + sidecarSuffix }

// ownerName returns the object name a directory entry belongs to: itself,
// or for a hidden sidecar or temp file, the object it was written for.
func ownerName(entry string) string {
	if !strings.HasPrefix(entry, ".") {
		return entry
	}
	rest := entry[1:]
	if i := strings.LastIndex(rest, tempMarker); i >= 0 {
		return rest[:i]
	}
	return strings.TrimSuffix(rest, sidecarSuffix)
}

func notFound(key string) error {
	return media.WrapError(media.ENOTFOUND, fmt.Errorf("diskstore: %s: %w", key, fs.ErrNotExist), "Object not found.")
}

func isMissing(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// translate turns a full disk into ENOSPACE, which the API shows as 507 and
// the worker retries later; everything else stays internal.
func translate(err error) error {
	if media.IsNoSpace(err) {
		return media.WrapError(media.ENOSPACE, err, "The server is out of storage space; free some space and try again.")
	}
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// blob is an open object: the file plus what Stat said when it was opened.
type blob struct {
	*os.File
	info media.BlobInfo
}

func (b *blob) Info() media.BlobInfo { return b.info }

// ctxReader stops a copy between reads once ctx is done. A Read already
// blocked in r is not interrupted; the caller's reader must honour ctx itself
// for that (an HTTP request body does).
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// onlyWriter hides *os.File's ReadFrom so io.CopyBuffer uses our (larger)
// buffer.
type onlyWriter struct{ io.Writer }
