package gormstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/baton-video/baton/media"
)

var (
	_ media.VideoStore = (*DB)(nil)
	_ media.JobQueue   = (*DB)(nil)
)

// videoRow is the videos table. Times are unix milliseconds so that SQL
// comparisons are numeric on every driver.
type videoRow struct {
	ID             string `gorm:"primaryKey"`
	Slug           string
	Title          string
	Description    string
	Status         string
	Progress       float64
	ErrorCode      string
	Error          string
	DurationMs     int64
	Width          int
	Height         int
	SizeBytes      int64
	UploadedBytes  int64
	OriginalSize   int64
	OriginalFormat string
	HasPoster      bool
	HasMP4         bool `gorm:"column:has_mp4"`
	Live           bool
	Processing     string
	ProcessingNote string
	CommentsOff    bool
	GuestsOff      bool
	ReactionsOff   bool
	DefaultSpeed   float64
	ReplyTo        string
	ReplyKind      string
	ReplyCommentID string
	SharingColumns
	CreatedAt int64 `gorm:"autoCreateTime:false"`
	UpdatedAt int64 `gorm:"autoUpdateTime:false"`
	// Filled by listings only (see users.go); never written.
	CommentCount int    `gorm:"->;-:migration"`
	OwnerName    string `gorm:"->;-:migration"`
}

func (videoRow) TableName() string { return "videos" }

func toRow(v *media.Video) *videoRow {
	return &videoRow{
		ID: v.ID, Slug: v.Slug, Title: v.Title, Description: v.Description, Status: string(v.Status), Progress: v.Progress,
		ErrorCode: v.ErrorCode, Error: v.Error, DurationMs: v.DurationMs, Width: v.Width, Height: v.Height,
		SizeBytes: v.SizeBytes, UploadedBytes: v.UploadedBytes, OriginalSize: v.OriginalSize,
		OriginalFormat: v.OriginalFormat, HasPoster: v.HasPoster, HasMP4: v.HasMP4, Live: v.Live,
		Processing: string(v.Processing), ProcessingNote: v.ProcessingNote,
		CommentsOff: v.CommentsOff, GuestsOff: v.GuestsOff, ReactionsOff: v.ReactionsOff,
		DefaultSpeed: v.DefaultSpeed,
		ReplyTo:      v.ReplyTo, ReplyKind: string(v.ReplyKind), ReplyCommentID: v.ReplyCommentID,
		SharingColumns: toSharingColumns(v),
		CreatedAt:      v.CreatedAt.UnixMilli(), UpdatedAt: v.UpdatedAt.UnixMilli(),
	}
}

func (r *videoRow) video() *media.Video {
	v := &media.Video{
		ID: r.ID, Slug: r.Slug, Title: r.Title, Description: r.Description, Status: media.Status(r.Status), Progress: r.Progress,
		ErrorCode: r.ErrorCode, Error: r.Error, DurationMs: r.DurationMs, Width: r.Width, Height: r.Height,
		SizeBytes: r.SizeBytes, UploadedBytes: r.UploadedBytes, OriginalSize: r.OriginalSize,
		OriginalFormat: r.OriginalFormat, HasPoster: r.HasPoster, HasMP4: r.HasMP4, Live: r.Live,
		Processing: media.LiveMode(r.Processing), ProcessingNote: r.ProcessingNote,
		CommentsOff: r.CommentsOff, GuestsOff: r.GuestsOff, ReactionsOff: r.ReactionsOff,
		DefaultSpeed: r.DefaultSpeed,
		ReplyTo:      r.ReplyTo, ReplyKind: media.ReplyKind(r.ReplyKind), ReplyCommentID: r.ReplyCommentID,
		CommentCount: r.CommentCount, OwnerName: r.OwnerName,
		CreatedAt: time.UnixMilli(r.CreatedAt).UTC(), UpdatedAt: time.UnixMilli(r.UpdatedAt).UTC(),
	}
	r.SharingColumns.apply(v)
	return v
}

// CreateVideo inserts v.
func (db *DB) CreateVideo(ctx context.Context, v *media.Video) error {
	now := time.Now().UTC()
	if v.CreatedAt.IsZero() {
		v.CreatedAt = now
	}
	v.UpdatedAt = v.CreatedAt
	err := db.w.WithContext(ctx).Create(toRow(v)).Error
	if err != nil {
		if isUnique(err) {
			return media.WrapError(media.ECONFLICT, err, "A video with this id already exists.")
		}
		return fmt.Errorf("gormstore: create video: %w", err)
	}
	return nil
}

// Video returns the video with id.
func (db *DB) Video(ctx context.Context, id string) (*media.Video, error) {
	return db.findVideo(ctx, db.r, "id = ?", id)
}

// VideoBySlug returns the video shared under slug, from the cache when it
// holds it (videocache.go). Unknown slugs are not cached: they are refused
// by shape first (media.ValidSlug), and cost a query otherwise.
func (db *DB) VideoBySlug(ctx context.Context, slug string) (*media.Video, error) {
	if v := db.videos.get(slug); v != nil {
		return v, nil
	}
	st := db.videos.stamp()
	v, err := db.findVideo(ctx, db.r, "slug = ?", slug)
	if err != nil {
		return nil, err
	}
	db.videos.put(st, v)
	return v, nil
}

func (db *DB) findVideo(ctx context.Context, g *gorm.DB, where string, arg any) (*media.Video, error) {
	var row videoRow
	if g != db.r {
		// Inside a write transaction: on Postgres, lock the row, so two
		// processes' read-modify-writes cannot lose one another's change
		// (SQLite's single writer already serialises them).
		g = g.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	err := g.WithContext(ctx).Where(where, arg).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, media.Errorf(media.ENOTFOUND, "Video not found.")
	}
	if err != nil {
		return nil, fmt.Errorf("gormstore: find video: %w", err)
	}
	return row.video(), nil
}

// ListVideos returns videos newest first. Ids are UUIDv7, so ordering by id
// is ordering by creation and makes a stable cursor.
func (db *DB) ListVideos(ctx context.Context, opt media.ListOptions) ([]*media.Video, error) {
	q := db.r.WithContext(ctx).Order("videos.id DESC").Limit(opt.Limit)
	if opt.Before != "" {
		q = q.Where("videos.id < ?", opt.Before)
	}
	q = libraryFilter(q, opt)
	var rows []videoRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("gormstore: list videos: %w", err)
	}
	out := make([]*media.Video, len(rows))
	for i := range rows {
		out[i] = rows[i].video()
	}
	return out, nil
}

// UpdateVideo applies fn to the video and, if enqueue is set, enqueues a job
// in the same transaction.
func (db *DB) UpdateVideo(ctx context.Context, id string, enqueue media.JobKind, fn func(*media.Video) error) (*media.Video, error) {
	var out *media.Video
	err := db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		v, err := db.findVideo(ctx, tx, "id = ?", id)
		if err != nil {
			return err
		}
		if err := fn(v); err != nil {
			return err
		}
		if err := db.saveVideo(tx, v); err != nil {
			return err
		}
		if enqueue != "" {
			if err := insertJob(tx, enqueue, id, time.Now()); err != nil {
				return err
			}
			// Idle workers of other processes look now, not at their next
			// poll.
			if err := notifyTx(tx, db, "j", string(enqueue)); err != nil {
				return err
			}
		}
		out = v
		return nil
	})
	db.VideoChanged(id)
	return out, err
}

func (db *DB) saveVideo(tx *gorm.DB, v *media.Video) error {
	v.UpdatedAt = time.Now().UTC()
	row := toRow(v)
	if err := tx.Model(&videoRow{}).Where("id = ?", v.ID).Select("*").Omit("id", "created_at").Updates(row).Error; err != nil {
		return fmt.Errorf("gormstore: save video: %w", err)
	}
	// Other processes (Postgres) hear of it when tx commits.
	return notifyTx(tx, db, "v", v.ID)
}

// DeleteVideo removes the video; its jobs go with it (ON DELETE CASCADE).
func (db *DB) DeleteVideo(ctx context.Context, id string) error {
	defer db.VideoChanged(id)
	return db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Where("id = ?", id).Delete(&videoRow{})
		if res.Error != nil {
			return fmt.Errorf("gormstore: delete video: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return media.Errorf(media.ENOTFOUND, "Video not found.")
		}
		// Other processes drop their cached row: its link is gone.
		return notifyTx(tx, db, "v", id)
	})
}

func isUnique(err error) bool { return isUniqueViolation(err) }
