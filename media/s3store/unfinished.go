package s3store

import (
	"context"
	"strings"

	"github.com/minio/minio-go/v7"

	"github.com/baton-video/baton/media"
)

var _ media.UnfinishedSweeper = (*Store)(nil)

// Unfinished lists the multipart uploads that were started and never
// completed or aborted: a BlobWriter or a large Put whose process died.
// Their parts take space in the bucket but are invisible to List. ModTime
// is when the upload started.
func (s *Store) Unfinished(ctx context.Context, prefix string) ([]media.Unfinished, error) {
	if prefix != "" {
		if err := checkPrefix(prefix); err != nil {
			return nil, err
		}
	}
	opCtx, cancel := s.opContext(ctx)
	defer cancel()
	var out []media.Unfinished
	// Listed whole and filtered here: MinIO lists multipart uploads by a
	// prefix only when it is a whole object name.
	for u := range s.client.ListIncompleteUploads(opCtx, s.bucket, "", true) {
		if u.Err != nil {
			return nil, s.translate(ctx, opCtx, "list unfinished", prefix, u.Err)
		}
		if strings.HasPrefix(u.Key, prefix) {
			out = append(out, media.Unfinished{Key: u.Key, ID: u.UploadID, ModTime: u.Initiated})
		}
	}
	return out, nil
}

// RemoveUnfinished aborts a multipart upload Unfinished listed.
func (s *Store) RemoveUnfinished(ctx context.Context, u media.Unfinished) error {
	if err := media.CheckKey(u.Key); err != nil {
		return err
	}
	opCtx, cancel := s.opContext(ctx)
	defer cancel()
	err := minio.Core{Client: s.client}.AbortMultipartUpload(opCtx, s.bucket, u.Key, u.ID)
	if err != nil && minio.ToErrorResponse(err).Code == "NoSuchUpload" {
		return nil
	}
	return s.translate(ctx, opCtx, "abort unfinished", u.Key, err)
}
