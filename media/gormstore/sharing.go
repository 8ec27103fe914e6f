package gormstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/baton-video/baton/media"
)

// SharingColumns are the videos table's columns of ownership, sharing and
// views, embedded in its row (exported only because GORM skips unexported
// embedded structs). Times are unix milliseconds; 0 is "none".
type SharingColumns struct {
	OwnerID      string
	Visibility   string
	PasswordHash string
	ExpiresAt    int64
	MaxViews     int64
	Views        int64
	DownloadOff  bool
}

func toSharingColumns(v *media.Video) SharingColumns {
	sh := v.Sharing
	c := SharingColumns{
		OwnerID: v.OwnerID, Visibility: string(sh.EffectiveVisibility()), PasswordHash: sh.PasswordHash,
		MaxViews: sh.MaxViews, Views: v.Views, DownloadOff: sh.DownloadOff,
	}
	if !sh.ExpiresAt.IsZero() {
		c.ExpiresAt = sh.ExpiresAt.UnixMilli()
	}
	return c
}

func (c SharingColumns) apply(v *media.Video) {
	v.OwnerID, v.Views = c.OwnerID, c.Views
	v.Sharing = media.Sharing{
		Visibility: media.Visibility(c.Visibility), PasswordHash: c.PasswordHash,
		MaxViews: c.MaxViews, DownloadOff: c.DownloadOff,
	}
	if v.Sharing.Visibility == "" {
		v.Sharing.Visibility = media.VisibilityLink
	}
	if c.ExpiresAt != 0 {
		v.Sharing.ExpiresAt = time.UnixMilli(c.ExpiresAt).UTC()
	}
}

// libraryFilter limits a listing to what opt.Viewer's library shows, and
// adds each video's comment count and owner's name.
func libraryFilter(q *gorm.DB, opt media.ListOptions) *gorm.DB {
	q = q.Table("videos").
		Select("videos.*, COALESCE(users.name, '') AS owner_name, " +
			"(SELECT COUNT(*) FROM comments WHERE comments.video_id = videos.id AND comments.deleted = FALSE) AS comment_count").
		Joins("LEFT JOIN users ON users.id = videos.owner_id")
	if opt.Query != "" {
		// LOWER on both sides: SQLite's LIKE ignores case, Postgres's does not.
		q = q.Where("LOWER(videos.title) LIKE LOWER(?) ESCAPE '\\'", "%"+escapeLike(opt.Query)+"%")
	}
	if opt.Viewer == "" {
		return q
	}
	// Recorded replies belong to their thread, not on the shelf
	// (media/reply.go).
	q = q.Where("videos.reply_to = ''")
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	// What other members share with the workspace: not private, no
	// password (those are for whoever has the link and the password), not
	// expired, views left.
	shared := "(videos.owner_id <> ? AND videos.visibility IN ('link', 'workspace') AND videos.password_hash = '' " +
		"AND (videos.expires_at = 0 OR videos.expires_at > ?) AND (videos.max_views = 0 OR videos.views < videos.max_views))"
	switch opt.Scope {
	case media.ScopeMine:
		return q.Where("videos.owner_id = ?", opt.Viewer)
	case media.ScopeWorkspace:
		return q.Where(shared, opt.Viewer, now.UnixMilli())
	default:
		return q.Where("(videos.owner_id = ? OR "+shared+")", opt.Viewer, opt.Viewer, now.UnixMilli())
	}
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// CountView adds one to the video's views, unless its budget is spent.
func (db *DB) CountView(ctx context.Context, id string) (*media.Video, error) {
	var out *media.Video
	err := db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Exec(`UPDATE videos SET views = views + 1 WHERE id = ? AND (max_views = 0 OR views < max_views)`, id)
		if res.Error != nil {
			return fmt.Errorf("gormstore: count view: %w", res.Error)
		}
		v, err := db.findVideo(ctx, tx, "id = ?", id)
		if err != nil {
			return err
		}
		if res.RowsAffected == 0 {
			return media.Errorf(media.EGONE, "This link has reached its view limit.")
		}
		out = v
		// The view budget decides access: other processes re-read it.
		return notifyTx(tx, db, "v", id)
	})
	db.VideoChanged(id)
	return out, err
}
