package api

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	tus "github.com/tus/tusd/v2/pkg/handler"

	"github.com/baton-video/baton/media"
)

// atomicLengths declares deferred upload lengths for the filestore by
// writing the upload's .info file to a temp file, syncing it and renaming
// it into place, so the file holds the old length or the new one whatever
// moment the process dies. (filestore's own DeclareLength truncates the
// file and rewrites it.)
type atomicLengths struct{ dir string }

var _ tus.LengthDeferrerDataStore = atomicLengths{}

func (a atomicLengths) AsLengthDeclarableUpload(up tus.Upload) tus.LengthDeclarableUpload {
	return lengthDeclarer{Upload: up, dir: a.dir}
}

type lengthDeclarer struct {
	tus.Upload
	dir string
}

func (d lengthDeclarer) DeclareLength(ctx context.Context, length int64) error {
	info, err := d.GetInfo(ctx)
	if err != nil {
		return err
	}
	info.Size, info.SizeIsDeferred = length, false
	b, err := json.Marshal(info)
	if err != nil {
		return err
	}
	path := filepath.Join(d.dir, info.ID+".info")
	f, err := os.CreateTemp(d.dir, "."+info.ID+".info.tmp-*")
	if err != nil {
		return stagingError(err, "declare length")
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		_ = os.Remove(f.Name())
		if media.IsNoSpace(err) {
			return stagingError(err, "declare length")
		}
		return fmt.Errorf("api: declare length: %w", err)
	}
	return nil
}
