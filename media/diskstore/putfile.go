package diskstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/baton-video/baton/media"
)

var _ media.FileBlobStore = (*Store)(nil)

// PutFile stores the file at path under key like Put, but by a hard link
// where it can: the staged upload becomes the original, and a job's output
// becomes the stored MP4, without a copy of their bytes. Across
// filesystems (EXDEV) or where links are refused, it copies.
//
// Foot-gun: with a link the object and the file at path share their
// bytes. The caller must not write to path afterwards (it may remove it;
// the object stays).
func (s *Store) PutFile(ctx context.Context, key, path, contentType string) (err error) {
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
	// A temp name beside the object (createTemp makes the directory and
	// survives a concurrent prune), then the link in its place.
	tmp, err := s.createTemp(dir, name)
	if err != nil {
		return translate(fmt.Errorf("diskstore: put %s: %w", key, err))
	}
	tmpName := tmp.Name()
	_ = tmp.Close()
	if err := os.Remove(tmpName); err != nil {
		return translate(fmt.Errorf("diskstore: put %s: %w", key, err))
	}
	if lerr := os.Link(path, tmpName); lerr != nil {
		// Only the copy is left: same result, slower.
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("diskstore: put %s: %w", key, err)
		}
		defer f.Close()
		return s.Put(ctx, key, f, -1, contentType)
	}
	linked, err := os.OpenFile(tmpName, os.O_RDWR, 0)
	if err == nil {
		// publish fsyncs it: the bytes may still be only in the page cache.
		err = s.publish(ctx, linked, p, contentType)
	}
	if err != nil {
		_ = os.Remove(tmpName)
		return translate(fmt.Errorf("diskstore: put %s: %w", key, err))
	}
	return nil
}
