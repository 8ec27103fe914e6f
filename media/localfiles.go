package media

import (
	"context"
	"fmt"
	"os"
)

// FileBlobStore is a BlobStore whose objects are local files (the embedded
// default, diskstore). Processing uses it to skip the round trips an object
// store needs: the staged upload becomes the stored original without a
// copy, a job reads that original where it lies instead of downloading it
// to scratch, and the outputs are stored the same way. With S3 the same
// steps copy (upload, download, upload), which bench/README.md measures.
type FileBlobStore interface {
	BlobStore
	// Path returns the file holding key, read-only to callers; an
	// overwrite of key replaces it by rename, so an open descriptor keeps
	// the old bytes. ENOTFOUND.
	Path(key string) (string, error)
	// PutFile stores the file at path under key as Put would, by a hard
	// link where it can. The caller must not write to path afterwards.
	PutFile(ctx context.Context, key, path, contentType string) error
}

// putFile stores the file at path (size bytes) under key, without copying
// it where the store is local.
func (s *Service) putFile(ctx context.Context, key, path string, size int64, contentType string) error {
	if fs, ok := s.Blobs.(FileBlobStore); ok {
		return fs.PutFile(ctx, key, path, contentType)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("media: open %s: %w", path, err)
	}
	defer f.Close()
	if size < 0 {
		st, err := f.Stat()
		if err != nil {
			return err
		}
		size = st.Size()
	}
	return s.Blobs.Put(ctx, key, f, size, contentType)
}

// localObject returns a local file with the object key's bytes for reading:
// the store's own file where the store is local, else a download into
// scratch (the path given).
func (s *Service) localObject(ctx context.Context, key, scratch string, download func(ctx context.Context, key, path string) error) (string, error) {
	if fs, ok := s.Blobs.(FileBlobStore); ok {
		p, err := fs.Path(key)
		if ErrorCode(err) == ENOTFOUND {
			return "", Errorf(ENOTFOUND, "The original upload is missing.")
		}
		return p, err
	}
	if err := download(ctx, key, scratch); err != nil {
		return "", err
	}
	return scratch, nil
}

// storedInfo is what the hand-off's Inspect found, as kept on the video:
// the job needs no second probe to know the duration of a recording whose
// header has none. Nil when the video predates it.
func storedInfo(v *Video) *MediaInfo {
	if v.DurationMs <= 0 || v.OriginalFormat == "" {
		return nil
	}
	return &MediaInfo{Container: v.OriginalFormat, DurationMs: v.DurationMs, Width: v.Width, Height: v.Height, SizeBytes: v.OriginalSize}
}
