package media

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Scrub thumbnails: one JPEG sprite sheet of small frames taken at a fixed
// interval, and a WebVTT "thumbnails" track whose cues point at regions of
// it (sprite.jpg#xywh=x,y,w,h), the format media players read for seek-bar
// previews. The track is written when asked for, from the sheet's
// geometry, so it always names the video's current share link.

// ThumbStatus is where a video's thumbnails are.
type ThumbStatus string

const (
	ThumbsPending ThumbStatus = "pending"
	ThumbsDone    ThumbStatus = "done"
	ThumbsFailed  ThumbStatus = "failed"
)

// ThumbSheet describes a sprite sheet: Count tiles of TileWidth x
// TileHeight, Columns per row, one every IntervalMs from 0.
type ThumbSheet struct {
	Status     ThumbStatus
	Error      string
	IntervalMs int64
	Columns    int
	Count      int
	TileWidth  int
	TileHeight int
	DurationMs int64
}

// Thumbnailer makes sprite sheets.
type Thumbnailer interface {
	// Sprite writes a JPEG sprite sheet of the video at in to out and
	// returns its geometry.
	Sprite(ctx context.Context, in, out string, durationMs int64) (*ThumbSheet, error)
}

// ThumbStore keeps sprite geometry.
type ThumbStore interface {
	// Thumbs returns the video's sheet. ENOTFOUND when there is none yet.
	Thumbs(ctx context.Context, videoID string) (*ThumbSheet, error)
	// FinishThumbs stores the sheet and removes job. ECONFLICT.
	FinishThumbs(ctx context.Context, job *Job, sheet *ThumbSheet) error
}

// SpriteKey is where a video's sprite sheet is kept.
func SpriteKey(videoID string) string { return "videos/" + videoID + "/thumbs/sprite.jpg" }

// SpriteInterval picks how often a thumbnail is taken: every 2 s for short
// videos, growing so that a sheet holds at most 200 tiles.
func SpriteInterval(durationMs int64) int64 {
	iv := int64(2000)
	for durationMs/iv > 200 {
		iv *= 2
	}
	return iv
}

// ThumbsVTT writes the WebVTT thumbnails track of sheet, whose image is at
// spriteURL.
func ThumbsVTT(sheet *ThumbSheet, spriteURL string) string {
	var b strings.Builder
	b.WriteString("WEBVTT\n")
	cols := max(sheet.Columns, 1)
	for i := 0; i < sheet.Count; i++ {
		start := int64(i) * sheet.IntervalMs
		end := start + sheet.IntervalMs
		if sheet.DurationMs > 0 {
			if start >= sheet.DurationMs {
				break
			}
			end = min(end, sheet.DurationMs)
		}
		x, y := (i%cols)*sheet.TileWidth, (i/cols)*sheet.TileHeight
		fmt.Fprintf(&b, "\n%s --> %s\n%s#xywh=%d,%d,%d,%d\n", vttTime(start), vttTime(end), spriteURL, x, y, sheet.TileWidth, sheet.TileHeight)
	}
	return b.String()
}

func (r *Record) thumbs(ctx context.Context, job *Job, tempDir string) error {
	v, err := r.Videos.Video(ctx, job.VideoID)
	if err != nil {
		if ErrorCode(err) == ENOTFOUND {
			return errLeaseGone
		}
		return err
	}
	if r.Thumbnailer == nil {
		return Errorf(EUNSUPPORTED, "Thumbnails are not made on this server.")
	}
	st, err := r.stageMP4(ctx, v, job, tempDir)
	if err != nil {
		return err
	}
	defer os.RemoveAll(st.Dir)
	in, out, cuts := st.Path, filepath.Join(st.Dir, "sprite.jpg"), st.Cuts
	sheet, err := r.Thumbnailer.Sprite(ctx, in, out, v.DurationMs)
	if err != nil {
		return err
	}
	// A sprite of a timeline an edit replaced meanwhile would mislead.
	if err := r.sameCuts(ctx, v.ID, cuts); err != nil {
		return err
	}
	if err := store(ctx, r.Blobs, out, SpriteKey(v.ID), "image/jpeg"); err != nil {
		return err
	}
	sheet.Status = ThumbsDone
	if err := r.Store.FinishThumbs(ctx, job, sheet); err != nil {
		if ErrorCode(err) == ENOTFOUND {
			return errLeaseGone
		}
		return err
	}
	r.publish(v.ID)
	return nil
}
