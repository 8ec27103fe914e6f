package gormstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/baton-video/baton/media"
)

type editRow struct {
	VideoID    string
	Cuts       string
	Applied    string
	State      string
	Error      string
	OriginalMs int64
}

func cutsJSON(c []media.Cut) string {
	pairs := make([][2]int64, len(c))
	for i, x := range c {
		pairs[i] = [2]int64{x.StartMs, x.EndMs}
	}
	b, _ := json.Marshal(pairs)
	return string(b)
}

func parseCuts(s string) ([]media.Cut, error) {
	var pairs [][2]int64
	if err := json.Unmarshal([]byte(s), &pairs); err != nil {
		return nil, fmt.Errorf("gormstore: stored cuts: %w", err)
	}
	out := make([]media.Cut, len(pairs))
	for i, p := range pairs {
		out[i] = media.Cut{StartMs: p[0], EndMs: p[1]}
	}
	return out, nil
}

func readEdit(ctx context.Context, g *gorm.DB, videoID string) (*media.Edit, error) {
	var rows []editRow
	if err := g.WithContext(ctx).Raw(`SELECT video_id, cuts, applied, state, error, original_ms FROM video_edits WHERE video_id = ?`, videoID).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("gormstore: edit: %w", err)
	}
	if len(rows) == 0 {
		return nil, media.Errorf(media.ENOTFOUND, "The video was never edited.")
	}
	r := rows[0]
	cuts, err := parseCuts(r.Cuts)
	if err != nil {
		return nil, err
	}
	applied, err := parseCuts(r.Applied)
	if err != nil {
		return nil, err
	}
	return &media.Edit{VideoID: r.VideoID, Cuts: cuts, Applied: applied, State: media.EditState(r.State), Error: r.Error, OriginalMs: r.OriginalMs}, nil
}

// Edit returns the video's edit.
func (db *DB) Edit(ctx context.Context, videoID string) (*media.Edit, error) {
	return readEdit(ctx, db.r, videoID)
}

// StartEdit records the wanted cuts and enqueues the job.
func (db *DB) StartEdit(ctx context.Context, videoID string, cuts []media.Cut, originalMs int64) error {
	now := time.Now()
	return db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if _, err := db.findVideo(ctx, tx, "id = ?", videoID); err != nil {
			return err
		}
		err := tx.Exec(`INSERT INTO video_edits(video_id, cuts, applied, state, error, original_ms, updated_at) VALUES (?, ?, '[]', 'pending', '', ?, ?)
			ON CONFLICT(video_id) DO UPDATE SET cuts = excluded.cuts, state = 'pending', error = '', updated_at = excluded.updated_at`,
			videoID, cutsJSON(cuts), originalMs, now.UnixMilli()).Error
		if err != nil {
			return fmt.Errorf("gormstore: start edit: %w", err)
		}
		return insertJob(tx, media.JobEdit, videoID, now)
	})
}

// ApplyEdit moves the discussion onto the new timeline and publishes the
// edit, with the job's removal, in one transaction.
func (db *DB) ApplyEdit(ctx context.Context, job *media.Job, cuts []media.Cut, info media.MediaInfo) error {
	return db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := finishLeased(tx, job); err != nil {
			return err
		}
		id := job.VideoID
		e, err := readEdit(ctx, tx, id)
		if err != nil {
			return err
		}
		moved := map[string]int64{}
		var mrows []struct {
			Kind       string
			ItemID     string
			OriginalMs int64
		}
		if err := tx.Raw(`SELECT kind, item_id, original_ms FROM edit_moved WHERE video_id = ?`, id).Scan(&mrows).Error; err != nil {
			return fmt.Errorf("gormstore: moved items: %w", err)
		}
		for _, m := range mrows {
			moved[m.Kind+"/"+m.ItemID] = m.OriginalMs
		}
		if err := tx.Exec(`DELETE FROM edit_moved WHERE video_id = ?`, id).Error; err != nil {
			return fmt.Errorf("gormstore: clear moved items: %w", err)
		}
		for _, t := range []struct{ kind, table string }{{"comment", "comments"}, {"reaction", "reactions"}} {
			var items []struct {
				ID     string
				TimeMs int64
				EndMs  int64
			}
			sel := `SELECT id, time_ms, 0 AS end_ms FROM reactions WHERE video_id = ?`
			if t.table == "comments" {
				// Replies carry their thread's time; all rows move alike.
				sel = `SELECT id, time_ms, end_ms FROM comments WHERE video_id = ?`
			}
			if err := tx.Raw(sel, id).Scan(&items).Error; err != nil {
				return fmt.Errorf("gormstore: read %s times: %w", t.table, err)
			}
			for _, it := range items {
				var orig *int64
				if o, ok := moved[t.kind+"/"+it.ID]; ok {
					orig = &o
				}
				at, removed, o := media.Remap(e.Applied, cuts, it.TimeMs, orig)
				end := int64(0)
				if it.EndMs > 0 {
					// A range keeps its end where it can; one that ends in
					// a cut ends at the cut, and never before its start.
					oe := media.MapBack(e.Applied, it.EndMs)
					end, _ = media.MapForward(cuts, oe)
					if end <= at {
						end = 0
					}
				}
				if at != it.TimeMs || end != it.EndMs {
					set := `UPDATE ` + t.table + ` SET time_ms = ? WHERE id = ?`
					args := []any{at, it.ID}
					if t.table == "comments" {
						set, args = `UPDATE comments SET time_ms = ?, end_ms = ? WHERE id = ?`, []any{at, end, it.ID}
					}
					if err := tx.Exec(set, args...).Error; err != nil {
						return fmt.Errorf("gormstore: move %s: %w", t.kind, err)
					}
				}
				if removed {
					if err := tx.Exec(`INSERT INTO edit_moved(kind, item_id, video_id, original_ms) VALUES (?, ?, ?, ?)`, t.kind, it.ID, id, o).Error; err != nil {
						return fmt.Errorf("gormstore: mark moved %s: %w", t.kind, err)
					}
				}
			}
		}
		err = tx.Exec(`UPDATE video_edits SET applied = ?, state = 'done', error = '', updated_at = ? WHERE video_id = ?`,
			cutsJSON(cuts), time.Now().UnixMilli(), id).Error
		if err != nil {
			return fmt.Errorf("gormstore: record edit: %w", err)
		}
		// The sprite shows the old timeline; the sweep makes a new one.
		if err := tx.Exec(`DELETE FROM thumbnails WHERE video_id = ?`, id).Error; err != nil {
			return fmt.Errorf("gormstore: drop thumbnails: %w", err)
		}
		v, err := db.findVideo(ctx, tx, "id = ?", id)
		if err != nil {
			return err
		}
		v.DurationMs, v.SizeBytes = info.DurationMs, info.SizeBytes
		return db.saveVideo(tx, v)
	})
}

// FailEdit records why the edit failed and removes job.
func (db *DB) FailEdit(ctx context.Context, job *media.Job, reason string) error {
	return db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := finishLeased(tx, job); err != nil {
			return err
		}
		return tx.Exec(`UPDATE video_edits SET state = 'failed', error = ?, cuts = applied, updated_at = ? WHERE video_id = ?`,
			truncate(reason, 2000), time.Now().UnixMilli(), job.VideoID).Error
	})
}

// MovedItems lists comments and reactions sitting at a cut.
func (db *DB) MovedItems(ctx context.Context, videoID string) ([]media.MovedItem, error) {
	var rows []struct {
		Kind       string
		ItemID     string
		OriginalMs int64
	}
	if err := db.r.WithContext(ctx).Raw(`SELECT kind, item_id, original_ms FROM edit_moved WHERE video_id = ? ORDER BY original_ms, item_id`, videoID).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("gormstore: moved items: %w", err)
	}
	out := make([]media.MovedItem, len(rows))
	for i, r := range rows {
		out[i] = media.MovedItem{Kind: r.Kind, ID: r.ItemID, OriginalMs: r.OriginalMs}
	}
	return out, nil
}
