// Package s3store keeps Baton's objects in an S3-compatible bucket (MinIO,
// AWS S3, R2, Garage, SeaweedFS...) through minio-go. It is the only package
// that imports minio-go: every minio error is translated here, at the edge,
// into a media error (NoSuchKey -> ENOTFOUND, a store that cannot be reached
// or answers 5xx -> EUNAVAILABLE) so the rest of Baton never sees S3 types.
//
// Deadlines. A store that hangs must not hang Baton, so every call runs under
// Config.OpTimeout. For metadata calls (Stat, Delete, List, Ping...) that is
// a plain deadline. Bodies are different: a multi-gigabyte Put or a slow
// viewer reading an Open blob can legitimately take far longer than any fixed
// deadline, so those use an inactivity deadline instead: the call fails with
// EUNAVAILABLE when the store has not moved a byte for OpTimeout. Time spent
// waiting on the caller (reading Put's source, or between a Blob's Reads)
// does not count against the store.
//
// Streaming. Create takes an object while it is produced, as a multipart
// upload whose parts go up in the background as they fill, so committing
// a long recording costs only its tail (see Create).
//
// Retries. minio-go retries failed requests with backoff; we cap it at a few
// attempts so a store that is down is reported within about a second instead
// of after ten attempts.
package s3store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/url"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/baton-video/baton/media"
)

var (
	_ media.BlobStore = (*Store)(nil)
	_ media.Presigner = (*Store)(nil)
)

const (
	// DefaultOpTimeout bounds each call (or each stall of a streaming call)
	// when Config.OpTimeout is zero.
	DefaultOpTimeout = 30 * time.Second
	// DefaultPartSize is the multipart part size when Config.PartSize is
	// zero. An upload of unknown size buffers one part in memory, so this is
	// the memory cost of each concurrent Put; 16 MiB keeps that modest while
	// allowing objects up to 16 MiB × 10,000 parts ≈ 156 GiB.
	DefaultPartSize = 16 << 20
	// maxAttempts is how many times minio-go tries a request in total.
	maxAttempts = 3
	defaultType = "application/octet-stream"
	// maxPresignTTL is the longest validity S3 signature V4 allows.
	maxPresignTTL = 7 * 24 * time.Hour
)

var (
	errTimeout = errors.New("object storage did not answer in time")
	errStalled = errors.New("object storage stopped transferring data")
)

// Config says where the bucket is and how to reach it.
type Config struct {
	// Endpoint is host[:port]. A URL ("https://host:port") is accepted too,
	// and then its scheme decides TLS instead of UseTLS.
	Endpoint  string
	Bucket    string
	AccessKey string
	SecretKey string
	// Region is the bucket's region. Empty asks the server (AWS) or means
	// us-east-1 (MinIO and most others).
	Region string
	UseTLS bool
	// PathStyle forces https://host/bucket/key URLs. When false minio-go
	// picks: virtual-host style (https://bucket.host/key) for the providers
	// it knows support it (AWS, GCS, a few others), path style for any other
	// host, which is what MinIO, Garage and SeaweedFS want.
	PathStyle bool
	// PublicURL, when set, is the base URL ("https://media.example.com")
	// clients use to reach the store, for example through a proxy or from
	// outside a container network. Presigned URLs are signed for that host,
	// since the signature covers the Host header. No path is allowed.
	PublicURL string
	// OpTimeout bounds every call; for Put bodies and Open blobs it is an
	// inactivity limit (see the package doc). Zero means DefaultOpTimeout.
	OpTimeout time.Duration
	// PartSize is the multipart part size in bytes, at least 5 MiB. Zero
	// means DefaultPartSize.
	PartSize uint64
}

// Store is a media.BlobStore and media.Presigner backed by one bucket. It is
// safe for concurrent use.
type Store struct {
	client    *minio.Client
	public    *minio.Client // signs presigned URLs for Config.PublicURL; nil means client
	bucket    string
	opTimeout time.Duration
	partSize  uint64
}

// New connects to the store described by cfg and creates the bucket if it
// is missing. It fails with EUNAVAILABLE when the store cannot be reached
// within cfg.OpTimeout.
func New(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.OpTimeout <= 0 {
		cfg.OpTimeout = DefaultOpTimeout
	}
	if cfg.PartSize == 0 {
		cfg.PartSize = DefaultPartSize
	}
	if cfg.PartSize < 5<<20 {
		return nil, fmt.Errorf("s3store: part size %d is below the S3 minimum of 5 MiB", cfg.PartSize)
	}
	s := &Store{bucket: cfg.Bucket, opTimeout: cfg.OpTimeout, partSize: cfg.PartSize}
	if cfg.Bucket == "" {
		return nil, errors.New("s3store: no bucket configured")
	}
	host, secure, err := parseEndpoint(cfg.Endpoint, cfg.UseTLS)
	if err != nil {
		return nil, err
	}
	s.client, err = newClient(host, secure, cfg, cfg.Region)
	if err != nil {
		return nil, err
	}

	opCtx, cancel := s.opContext(ctx)
	defer cancel()
	if err := s.ensureBucket(opCtx, cfg.Region); err != nil {
		return nil, s.translate(ctx, opCtx, "create bucket", cfg.Bucket, err)
	}

	if cfg.PublicURL != "" {
		host, secure, err := parsePublicURL(cfg.PublicURL)
		if err != nil {
			return nil, err
		}
		// Presigning is offline only when the region is known; otherwise
		// minio-go would ask the public host for it, which the server
		// often cannot reach.
		region := cfg.Region
		if region == "" {
			if region, err = s.client.GetBucketLocation(opCtx, cfg.Bucket); err != nil {
				return nil, s.translate(ctx, opCtx, "bucket location", cfg.Bucket, err)
			}
		}
		if s.public, err = newClient(host, secure, cfg, region); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func newClient(host string, secure bool, cfg Config, region string) (*minio.Client, error) {
	lookup := minio.BucketLookupAuto
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	tr, err := minio.DefaultTransport(secure)
	if err != nil {
		return nil, fmt.Errorf("s3store: %w", err)
	}
	// Our contexts bound every call, except the one minio-go uses to abort
	// a failed multipart upload, which ignores cancellation and allows a
	// minute. This keeps a hung store from holding that one for long.
	tr.ResponseHeaderTimeout = cfg.OpTimeout
	c, err := minio.New(host, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:       secure,
		Transport:    tr,
		Region:       region,
		BucketLookup: lookup,
		MaxRetries:   maxAttempts,
	})
	if err != nil {
		return nil, fmt.Errorf("s3store: %s: %w", host, err)
	}
	return c, nil
}

func parseEndpoint(endpoint string, useTLS bool) (host string, secure bool, err error) {
	if endpoint == "" {
		return "", false, errors.New("s3store: no endpoint configured")
	}
	if !strings.Contains(endpoint, "://") {
		if strings.ContainsAny(endpoint, "/?#") {
			return "", false, fmt.Errorf("s3store: endpoint %q: want host[:port]", endpoint)
		}
		return endpoint, useTLS, nil
	}
	return parseBaseURL("endpoint", endpoint)
}

func parsePublicURL(raw string) (host string, secure bool, err error) {
	return parseBaseURL("public URL", raw)
}

func parseBaseURL(what, raw string) (host string, secure bool, err error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", false, fmt.Errorf("s3store: %s: %w", what, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return "", false, fmt.Errorf("s3store: %s %q: want http(s)://host[:port]", what, raw)
	}
	// minio-go signs for a bare host; a path prefix would break signatures.
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.User != nil {
		return "", false, fmt.Errorf("s3store: %s %q: only scheme, host and port are allowed", what, raw)
	}
	return u.Host, u.Scheme == "https", nil
}

func (s *Store) ensureBucket(ctx context.Context, region string) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil || ok {
		return err
	}
	err = s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: region})
	// Another Baton process starting at the same moment may have won.
	if code := minio.ToErrorResponse(err).Code; code == minio.BucketAlreadyOwnedByYou {
		return nil
	}
	return err
}

// Put stores r under key. The object appears whole or not at all: a single
// PUT is atomic, and a multipart upload becomes visible only when completed
// (minio-go aborts it on failure). With size -1 the body is streamed in
// parts of Config.PartSize, buffering one part at a time. EUNAVAILABLE when
// the store stops taking bytes for OpTimeout.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	if err := media.CheckKey(key); err != nil {
		return err
	}
	if contentType == "" {
		contentType = defaultType
	}
	wctx, wd := newWatchdog(ctx, s.opTimeout, true)
	defer wd.stop()
	src := &sourceReader{ctx: wctx, r: r, wd: wd}
	done := make(chan error, 1)
	go func() {
		_, err := s.client.PutObject(wctx, s.bucket, key, src, size, minio.PutObjectOptions{
			ContentType: contentType,
			PartSize:    s.partSize,
			// Called as part bodies go out on the wire: proof the store is
			// still taking bytes while a buffered part uploads.
			Progress: progressKicker{wd},
		})
		done <- err
	}()
	var err error
	select {
	case err = <-done:
	case <-wctx.Done():
		// On failure minio-go aborts the multipart upload under a context
		// that ignores ours; against a hung store that takes until the
		// transport gives up. The caller asked for a prompt answer, so the
		// abort finishes in the background, and only r, which the caller
		// owns again once we return, is taken back first.
		src.detach()
		select {
		case err = <-done:
		default:
			err = context.Cause(wctx)
		}
	}
	if err != nil {
		// The caller's reader failing, or ending short of size, is not the
		// store being unavailable, whatever minio-go made of it.
		if serr := src.failure(size); serr != nil {
			return fmt.Errorf("s3store: put %s: %w", key, serr)
		}
	}
	return s.translate(ctx, wctx, "put", key, err)
}

// Open opens the object. Its bytes are fetched lazily with ranged GETs as
// the Blob is read and seeked, so it suits http.ServeContent.
//
// Foot-gun: the Blob reads under ctx. Keep ctx alive until the Blob is
// closed (a request's context is right; a context cancelled by a deferred
// call in the function that opened it is not). ENOTFOUND, EUNAVAILABLE.
func (s *Store) Open(ctx context.Context, key string) (media.Blob, error) {
	if err := media.CheckKey(key); err != nil {
		return nil, err
	}
	wctx, wd := newWatchdog(ctx, s.opTimeout, false)
	obj, err := s.client.GetObject(wctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		err = s.translate(ctx, wctx, "open", key, err)
		wd.stop()
		return nil, err
	}
	wd.setActive(true)
	oi, err := obj.Stat()
	wd.setActive(false)
	if err != nil {
		err = s.translate(ctx, wctx, "open", key, err)
		_ = obj.Close()
		wd.stop()
		return nil, err
	}
	return &blob{s: s, ctx: ctx, wctx: wctx, wd: wd, obj: obj, info: toInfo(oi)}, nil
}

// Stat describes the object. ENOTFOUND, EUNAVAILABLE.
func (s *Store) Stat(ctx context.Context, key string) (media.BlobInfo, error) {
	if err := media.CheckKey(key); err != nil {
		return media.BlobInfo{}, err
	}
	opCtx, cancel := s.opContext(ctx)
	defer cancel()
	oi, err := s.client.StatObject(opCtx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return media.BlobInfo{}, s.translate(ctx, opCtx, "stat", key, err)
	}
	return toInfo(oi), nil
}

// Delete removes the object; a missing object is not an error. EUNAVAILABLE.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := media.CheckKey(key); err != nil {
		return err
	}
	opCtx, cancel := s.opContext(ctx)
	defer cancel()
	err := s.client.RemoveObject(opCtx, s.bucket, key, minio.RemoveObjectOptions{})
	if err = s.translate(ctx, opCtx, "delete", key, err); media.ErrorCode(err) == media.ENOTFOUND {
		return nil
	}
	return err
}

// DeletePrefix removes every object whose key starts with prefix, listing
// recursively and deleting in batches (RemoveObjects sends up to 1000 keys
// per request). An empty prefix is refused (EINVALID) so that a bug cannot
// empty the bucket. EUNAVAILABLE.
func (s *Store) DeletePrefix(ctx context.Context, prefix string) error {
	if prefix == "" {
		return media.Errorf(media.EINVALID, "Refusing to delete every object.")
	}
	if err := checkPrefix(prefix); err != nil {
		return err
	}
	opCtx, cancel := s.opContext(ctx)
	defer cancel()

	// Listing errors arrive as items; keep them out of RemoveObjects.
	toDelete := make(chan minio.ObjectInfo)
	listDone := make(chan error, 1)
	go func() {
		defer close(toDelete)
		var listErr error
		for oi := range s.client.ListObjects(opCtx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
			if oi.Err != nil {
				listErr = oi.Err
				break
			}
			select {
			case toDelete <- oi:
			case <-opCtx.Done():
				listErr = opCtx.Err()
			}
			if listErr != nil {
				break
			}
		}
		listDone <- listErr
	}()
	var err error
	for e := range s.client.RemoveObjects(opCtx, s.bucket, toDelete, minio.RemoveObjectsOptions{}) {
		if err == nil && e.Err != nil && minio.ToErrorResponse(e.Err).Code != minio.NoSuchKey {
			err = e.Err
		}
	}
	// RemoveObjects stops early only on a dead context; note that before
	// cancelling to unblock the lister.
	doneErr := opCtx.Err()
	cancel()
	listErr := <-listDone
	if err == nil {
		err = doneErr
	}
	if err == nil {
		err = listErr
	}
	return s.translate(ctx, opCtx, "delete prefix", prefix, err)
}

// List returns the objects whose key starts with prefix, sorted by key.
// ContentType is empty: S3 listings do not carry it (Stat does).
// EUNAVAILABLE.
func (s *Store) List(ctx context.Context, prefix string) ([]media.BlobInfo, error) {
	if prefix != "" {
		if err := checkPrefix(prefix); err != nil {
			return nil, err
		}
	}
	opCtx, cancel := s.opContext(ctx)
	defer cancel()
	var out []media.BlobInfo
	for oi := range s.client.ListObjects(opCtx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if oi.Err != nil {
			return nil, s.translate(ctx, opCtx, "list", prefix, oi.Err)
		}
		out = append(out, media.BlobInfo{Key: oi.Key, Size: oi.Size, ModTime: oi.LastModified})
	}
	// S3 promises UTF-8 binary order; stores that merely claim S3
	// compatibility do not all keep that promise.
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Ping checks the bucket answers within OpTimeout. EUNAVAILABLE.
func (s *Store) Ping(ctx context.Context) error {
	opCtx, cancel := s.opContext(ctx)
	defer cancel()
	ok, err := s.client.BucketExists(opCtx, s.bucket)
	if err == nil && !ok {
		err = fmt.Errorf("s3store: ping: bucket %q does not exist", s.bucket)
		return media.WrapError(media.EUNAVAILABLE, err, unavailableMsg)
	}
	return s.translate(ctx, opCtx, "ping", s.bucket, err)
}

// PresignGet returns a GET URL for key valid for ttl (at most 7 days),
// signed for Config.PublicURL when set. downloadName, when set, makes the
// store answer with Content-Disposition: attachment and that file name.
// The object's existence is not checked: signing is done locally.
func (s *Store) PresignGet(ctx context.Context, key string, ttl time.Duration, downloadName string) (string, error) {
	if err := media.CheckKey(key); err != nil {
		return "", err
	}
	if ttl < time.Second || ttl > maxPresignTTL {
		return "", fmt.Errorf("s3store: presign %s: ttl %v outside 1s..7 days", key, ttl)
	}
	params := url.Values{}
	if downloadName != "" {
		params.Set("response-content-disposition", contentDisposition(downloadName))
	}
	c := s.client
	if s.public != nil {
		c = s.public
	}
	opCtx, cancel := s.opContext(ctx)
	defer cancel()
	u, err := c.PresignedGetObject(opCtx, s.bucket, key, ttl, params)
	if err != nil {
		return "", s.translate(ctx, opCtx, "presign", key, err)
	}
	return u.String(), nil
}

// contentDisposition builds an attachment header for name. Control
// characters and path separators are replaced first: the name is usually a
// video title a person typed, and the store echoes it into a header.
func contentDisposition(name string) string {
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '/' || r == '\\' {
			return '_'
		}
		return r
	}, name)
	// FormatMediaType quotes ASCII and uses RFC 2231 encoding otherwise.
	if v := mime.FormatMediaType("attachment", map[string]string{"filename": name}); v != "" {
		return v
	}
	return "attachment"
}

func (s *Store) opContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, s.opTimeout, errTimeout)
}

const unavailableMsg = "Object storage is unavailable; try again shortly."

// translate maps a minio-go error to a media error. ctx is the caller's
// context, opCtx the one the call ran under (with our deadline or watchdog).
func (s *Store) translate(ctx, opCtx context.Context, op, key string, err error) error {
	if err == nil {
		return nil
	}
	wrapped := fmt.Errorf("s3store: %s %s: %w", op, key, err)
	var er minio.ErrorResponse
	if errors.As(err, &er) {
		switch {
		case er.Code == minio.NoSuchKey || er.Code == minio.NoSuchBucket || er.StatusCode == 404:
			return media.WrapError(media.ENOTFOUND, wrapped, "Object not found.")
		case er.StatusCode >= 500 || er.Code == "SlowDown" || er.Code == "ServiceUnavailable":
			return media.WrapError(media.EUNAVAILABLE, wrapped, unavailableMsg)
		}
		return wrapped
	}
	// The caller gave up: nobody is waiting for a message.
	if errors.Is(ctx.Err(), context.Canceled) {
		return fmt.Errorf("s3store: %s %s: %w", op, key, ctx.Err())
	}
	// Our deadline, our watchdog, or the caller's deadline: the store was
	// too slow, which for the caller is the store being unavailable.
	if cause := context.Cause(opCtx); errors.Is(cause, errTimeout) || errors.Is(cause, errStalled) ||
		errors.Is(cause, context.DeadlineExceeded) {
		if !errors.Is(wrapped, cause) {
			wrapped = fmt.Errorf("%w (%w)", wrapped, cause)
		}
		return media.WrapError(media.EUNAVAILABLE, wrapped, unavailableMsg)
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, context.DeadlineExceeded) {
		return media.WrapError(media.EUNAVAILABLE, wrapped, unavailableMsg)
	}
	return wrapped
}

func toInfo(oi minio.ObjectInfo) media.BlobInfo {
	ct := oi.ContentType
	if ct == "" {
		ct = defaultType
	}
	return media.BlobInfo{Key: oi.Key, Size: oi.Size, ModTime: oi.LastModified, ContentType: ct}
}

func checkPrefix(prefix string) error {
	if media.CheckKey(strings.TrimSuffix(prefix, "/")) != nil {
		return media.Errorf(media.EINVALID, "Invalid object key prefix.")
	}
	return nil
}

// blob is an open object. Each Read and Seek runs under the watchdog, so a
// store that stops sending fails the Read with EUNAVAILABLE after OpTimeout
// however long the Blob has been open.
type blob struct {
	s         *Store
	ctx, wctx context.Context
	wd        *watchdog
	obj       *minio.Object
	info      media.BlobInfo
}

func (b *blob) Info() media.BlobInfo { return b.info }

func (b *blob) Read(p []byte) (int, error) {
	b.wd.setActive(true)
	n, err := b.obj.Read(p)
	b.wd.setActive(false)
	if err != nil && err != io.EOF {
		err = b.s.translate(b.ctx, b.wctx, "read", b.info.Key, err)
	}
	return n, err
}

func (b *blob) Seek(offset int64, whence int) (int64, error) {
	b.wd.setActive(true)
	n, err := b.obj.Seek(offset, whence)
	b.wd.setActive(false)
	if err != nil {
		err = b.s.translate(b.ctx, b.wctx, "seek", b.info.Key, err)
	}
	return n, err
}

func (b *blob) Close() error {
	err := b.obj.Close()
	b.wd.stop()
	return err
}
