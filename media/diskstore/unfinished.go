package diskstore

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/baton-video/baton/media"
)

var _ media.UnfinishedSweeper = (*Store)(nil)

// Unfinished lists the temp files of writes that never reached their
// rename: what a process killed inside Put, or while a BlobWriter was open,
// leaves. ModTime is the temp file's, so a writer still writing looks
// fresh. ID is the temp file's path relative to the root.
func (s *Store) Unfinished(ctx context.Context, prefix string) ([]media.Unfinished, error) {
	dir := s.root
	if prefix != "" {
		d, _, err := s.prefixDir(prefix)
		if err != nil {
			return nil, err
		}
		dir = d
	}
	var out []media.Unfinished
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if isMissing(err) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() || !strings.HasPrefix(d.Name(), ".") || !strings.Contains(d.Name(), tempMarker) {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil // gone meanwhile: committed or aborted
		}
		rel, err := filepath.Rel(s.root, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(filepath.Join(filepath.Dir(rel), ownerName(d.Name())))
		if !strings.HasPrefix(key, prefix) {
			return nil
		}
		out = append(out, media.Unfinished{Key: key, ID: filepath.ToSlash(rel), ModTime: fi.ModTime()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("diskstore: list unfinished: %w", err)
	}
	return out, nil
}

// RemoveUnfinished removes a temp file Unfinished listed.
func (s *Store) RemoveUnfinished(ctx context.Context, u media.Unfinished) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	// The id names a file under the root, and only a temp file: never an
	// object.
	rel := filepath.FromSlash(u.ID)
	base := filepath.Base(rel)
	if !filepath.IsLocal(rel) || !strings.HasPrefix(base, ".") || !strings.Contains(base, tempMarker) {
		return media.Errorf(media.EINVALID, "Not an unfinished write.")
	}
	p := filepath.Join(s.root, rel)
	if err := os.Remove(p); err != nil && !isMissing(err) {
		return fmt.Errorf("diskstore: remove unfinished %s: %w", u.ID, err)
	}
	s.pruneDirs(filepath.Dir(p))
	return nil
}
