package gormstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/baton-video/baton/media"
)

// The written record: transcripts, chapters, thumbnails, edits and search
// (migration 7). The full-text index is kept by triggers, so the comment
// and video code paths need not know it exists.

var _ media.RecordStore = (*DB)(nil)

// finishLeased removes a job the caller still holds, inside tx.
func finishLeased(tx *gorm.DB, job *media.Job) error {
	res := tx.Where("id = ? AND state = ? AND lease_owner = ?", job.ID, jobRunning, job.LeaseOwner).Delete(&jobRow{})
	if res.Error != nil {
		return fmt.Errorf("gormstore: finish job: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return errLeaseLost
	}
	return nil
}

// EnqueueFollowUps gives ready videos their transcribe and thumbs jobs.
func (db *DB) EnqueueFollowUps(ctx context.Context, transcribe, thumbs bool, limit int) (int, error) {
	// The sweep runs every few seconds; most find nothing to do, and a
	// read does not take the single writer.
	var todo bool
	check := `SELECT EXISTS (SELECT 1 FROM videos WHERE status = 'ready' AND has_mp4 = TRUE AND (
			(? AND NOT EXISTS (SELECT 1 FROM thumbnails t WHERE t.video_id = videos.id))
			OR (? AND NOT EXISTS (SELECT 1 FROM transcripts t WHERE t.video_id = videos.id AND t.status <> 'off'))))
		OR EXISTS (SELECT 1 FROM transcripts WHERE status = 'pending' AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.kind = 'transcribe' AND jobs.video_id = transcripts.video_id))
		OR EXISTS (SELECT 1 FROM thumbnails WHERE status = 'pending' AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.kind = 'thumbs' AND jobs.video_id = thumbnails.video_id))
		OR EXISTS (SELECT 1 FROM video_edits WHERE state = 'pending' AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.kind = 'edit' AND jobs.video_id = video_edits.video_id))`
	if err := db.r.WithContext(ctx).Raw(check, thumbs, transcribe).Scan(&todo).Error; err != nil {
		return 0, fmt.Errorf("gormstore: check follow-ups: %w", err)
	}
	if !todo {
		return 0, nil
	}
	now := time.Now().UnixMilli()
	n := 0
	err := db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// A pending row whose job is gone ran out of attempts (the reaper
		// dropped it): say so instead of waiting forever.
		steps := []struct {
			sql  string
			args []any
		}{
			{`UPDATE transcripts SET status = 'failed', error = 'Transcription stopped unexpectedly several times.', updated_at = ?
				WHERE status = 'pending' AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.kind = 'transcribe' AND jobs.video_id = transcripts.video_id)`, []any{now}},
			{`UPDATE thumbnails SET status = 'failed', error = 'Making thumbnails stopped unexpectedly several times.', updated_at = ?
				WHERE status = 'pending' AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.kind = 'thumbs' AND jobs.video_id = thumbnails.video_id)`, []any{now}},
			{`UPDATE video_edits SET state = 'failed', error = 'The edit stopped unexpectedly several times.', updated_at = ?
				WHERE state = 'pending' AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.kind = 'edit' AND jobs.video_id = video_edits.video_id)`, []any{now}},
		}
		for _, s := range steps {
			if err := tx.Exec(s.sql, s.args...).Error; err != nil {
				return fmt.Errorf("gormstore: expire follow-ups: %w", err)
			}
		}
		// Follow-ups share the worker pool with processing: they wait
		// while an upload waits to be processed, and at most limit of
		// them are queued or running at once, so a backlog (an engine
		// turned on over a full library) never queues ahead of new
		// uploads. Newest videos go first.
		var busy struct{ Waiting, Active int }
		if err := tx.Raw(`SELECT
				(SELECT COUNT(*) FROM jobs WHERE kind = 'process' AND state = ?) AS waiting,
				(SELECT COUNT(*) FROM jobs WHERE kind IN ('transcribe', 'thumbs')) AS active`, jobQueued).Scan(&busy).Error; err != nil {
			return fmt.Errorf("gormstore: count jobs: %w", err)
		}
		if busy.Waiting > 0 {
			return nil
		}
		free := limit - busy.Active
		type follow struct {
			kind, table string
			on          bool
		}
		for _, f := range []follow{{"thumbs", "thumbnails", thumbs}, {"transcribe", "transcripts", transcribe}} {
			if !f.on || free <= 0 {
				continue
			}
			if f.kind == "transcribe" {
				// Rows a worker wrote while transcription was off are
				// redone now that it is on.
				if err := tx.Exec(`DELETE FROM transcripts WHERE status = 'off'`).Error; err != nil {
					return fmt.Errorf("gormstore: reset transcripts: %w", err)
				}
			}
			var ids []string
			err := tx.Raw(`SELECT id FROM videos WHERE status = 'ready' AND has_mp4 = TRUE
				AND NOT EXISTS (SELECT 1 FROM `+f.table+` t WHERE t.video_id = videos.id)
				AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.kind = ? AND j.video_id = videos.id)
				ORDER BY id DESC LIMIT ?`, f.kind, free).Scan(&ids).Error
			if err != nil {
				return fmt.Errorf("gormstore: find videos for %s: %w", f.kind, err)
			}
			for _, id := range ids {
				if err := insertJob(tx, media.JobKind(f.kind), id, time.UnixMilli(now)); err != nil {
					return err
				}
				row := `INSERT INTO transcripts(video_id, status, created_at, updated_at) VALUES (?, 'pending', ?, ?)`
				args := []any{id, now, now}
				if f.table == "thumbnails" {
					row, args = `INSERT INTO thumbnails(video_id, status, updated_at) VALUES (?, 'pending', ?)`, []any{id, now}
				}
				if err := tx.Exec(row, args...).Error; err != nil {
					return fmt.Errorf("gormstore: mark %s pending: %w", f.table, err)
				}
			}
			n += len(ids)
			free -= len(ids)
		}
		return nil
	})
	return n, err
}

type transcriptRow struct {
	VideoID   string
	Status    string
	Engine    string
	Language  string
	Error     string
	UpdatedAt int64
}

type segmentRow struct {
	ID      int64
	StartMs int64
	EndMs   int64
	Text    string
	Edited  bool
}

// Transcript returns the video's transcript and its lines.
func (db *DB) Transcript(ctx context.Context, videoID string) (*media.Transcript, error) {
	var rows []transcriptRow
	r := db.r.WithContext(ctx)
	if err := r.Raw(`SELECT video_id, status, engine, language, error, updated_at FROM transcripts WHERE video_id = ?`, videoID).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("gormstore: transcript: %w", err)
	}
	if len(rows) == 0 {
		return nil, media.Errorf(media.ENOTFOUND, "No transcript.")
	}
	var segs []segmentRow
	if err := r.Raw(`SELECT id, start_ms, end_ms, text, edited FROM transcript_segments WHERE video_id = ? ORDER BY start_ms, id`, videoID).Scan(&segs).Error; err != nil {
		return nil, fmt.Errorf("gormstore: transcript lines: %w", err)
	}
	row := rows[0]
	t := &media.Transcript{
		VideoID: row.VideoID, Status: media.TranscriptStatus(row.Status), Engine: row.Engine,
		Language: row.Language, Error: row.Error, UpdatedAt: time.UnixMilli(row.UpdatedAt).UTC(),
		Segments: make([]media.Segment, len(segs)),
	}
	for i, s := range segs {
		t.Segments[i] = media.Segment{ID: s.ID, StartMs: s.StartMs, EndMs: s.EndMs, Text: s.Text, Edited: s.Edited}
	}
	return t, nil
}

// FinishTranscript stores t in place of the video's transcript and
// removes job, in one transaction.
func (db *DB) FinishTranscript(ctx context.Context, job *media.Job, t *media.Transcript) error {
	now := time.Now().UnixMilli()
	return db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := finishLeased(tx, job); err != nil {
			return err
		}
		var n int64
		if err := tx.Raw(`SELECT COUNT(*) FROM videos WHERE id = ?`, t.VideoID).Scan(&n).Error; err != nil {
			return fmt.Errorf("gormstore: finish transcript: %w", err)
		}
		if n == 0 {
			return media.Errorf(media.ENOTFOUND, "Video not found.")
		}
		return replaceTranscript(tx, t, now)
	})
}

func replaceTranscript(tx *gorm.DB, t *media.Transcript, now int64) error {
	if err := tx.Exec(`DELETE FROM transcript_segments WHERE video_id = ?`, t.VideoID).Error; err != nil {
		return fmt.Errorf("gormstore: clear transcript: %w", err)
	}
	for _, s := range t.Segments {
		if err := tx.Exec(`INSERT INTO transcript_segments(video_id, start_ms, end_ms, text) VALUES (?, ?, ?, ?)`,
			t.VideoID, s.StartMs, s.EndMs, s.Text).Error; err != nil {
			return fmt.Errorf("gormstore: store transcript line: %w", err)
		}
	}
	err := tx.Exec(`INSERT INTO transcripts(video_id, status, engine, language, error, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(video_id) DO UPDATE SET status = excluded.status, engine = excluded.engine,
			language = excluded.language, error = excluded.error, updated_at = excluded.updated_at`,
		t.VideoID, string(t.Status), t.Engine, t.Language, truncate(t.Error, 2000), now, now).Error
	if err != nil {
		return fmt.Errorf("gormstore: store transcript: %w", err)
	}
	return nil
}

// UpdateSegment corrects one line.
func (db *DB) UpdateSegment(ctx context.Context, videoID string, segmentID int64, text string) (*media.Segment, error) {
	var out *media.Segment
	err := db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Exec(`UPDATE transcript_segments SET text = ?, edited = TRUE WHERE id = ? AND video_id = ?`, text, segmentID, videoID)
		if res.Error != nil {
			return fmt.Errorf("gormstore: update transcript line: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return media.Errorf(media.ENOTFOUND, "Transcript line not found.")
		}
		var rows []segmentRow
		if err := tx.Raw(`SELECT id, start_ms, end_ms, text, edited FROM transcript_segments WHERE id = ?`, segmentID).Scan(&rows).Error; err != nil || len(rows) == 0 {
			return fmt.Errorf("gormstore: read transcript line: %v", err)
		}
		s := rows[0]
		out = &media.Segment{ID: s.ID, StartMs: s.StartMs, EndMs: s.EndMs, Text: s.Text, Edited: s.Edited}
		return tx.Exec(`UPDATE transcripts SET updated_at = ? WHERE video_id = ?`, time.Now().UnixMilli(), videoID).Error
	})
	return out, err
}

// Retranscribe resets the transcript to pending with a new job.
func (db *DB) Retranscribe(ctx context.Context, videoID, engine string) error {
	now := time.Now()
	return db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if _, err := db.findVideo(ctx, tx, "id = ?", videoID); err != nil {
			return err
		}
		var active int64
		if err := tx.Raw(`SELECT COUNT(*) FROM jobs WHERE kind = 'transcribe' AND video_id = ?`, videoID).Scan(&active).Error; err != nil {
			return fmt.Errorf("gormstore: retranscribe: %w", err)
		}
		if active > 0 {
			return media.Errorf(media.ECONFLICT, "The video is being transcribed already.")
		}
		err := tx.Exec(`INSERT INTO transcripts(video_id, status, engine, created_at, updated_at) VALUES (?, 'pending', ?, ?, ?)
			ON CONFLICT(video_id) DO UPDATE SET status = 'pending', engine = excluded.engine, error = '', updated_at = excluded.updated_at`,
			videoID, engine, now.UnixMilli(), now.UnixMilli()).Error
		if err != nil {
			return fmt.Errorf("gormstore: retranscribe: %w", err)
		}
		return insertJob(tx, media.JobTranscribe, videoID, now)
	})
}

// Chapters returns the chapters the owner set.
func (db *DB) Chapters(ctx context.Context, videoID string) ([]media.Chapter, error) {
	var rows []struct {
		StartMs int64
		Title   string
	}
	if err := db.r.WithContext(ctx).Raw(`SELECT start_ms, title FROM chapters WHERE video_id = ? ORDER BY start_ms`, videoID).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("gormstore: chapters: %w", err)
	}
	out := make([]media.Chapter, len(rows))
	for i, r := range rows {
		out[i] = media.Chapter{StartMs: r.StartMs, Title: r.Title}
	}
	return out, nil
}

// SetChapters replaces the chapters.
func (db *DB) SetChapters(ctx context.Context, videoID string, ch []media.Chapter) error {
	return db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if _, err := db.findVideo(ctx, tx, "id = ?", videoID); err != nil {
			return err
		}
		if err := tx.Exec(`DELETE FROM chapters WHERE video_id = ?`, videoID).Error; err != nil {
			return fmt.Errorf("gormstore: clear chapters: %w", err)
		}
		for _, c := range ch {
			if err := tx.Exec(`INSERT INTO chapters(video_id, start_ms, title) VALUES (?, ?, ?)`, videoID, c.StartMs, c.Title).Error; err != nil {
				return fmt.Errorf("gormstore: store chapter: %w", err)
			}
		}
		return nil
	})
}

type thumbRow struct {
	Status     string
	Error      string
	IntervalMs int64
	Columns    int
	Count      int
	TileWidth  int
	TileHeight int
	DurationMs int64
}

// Thumbs returns the video's sprite geometry.
func (db *DB) Thumbs(ctx context.Context, videoID string) (*media.ThumbSheet, error) {
	var rows []thumbRow
	if err := db.r.WithContext(ctx).Raw(`SELECT status, error, interval_ms, columns, count, tile_width, tile_height, duration_ms FROM thumbnails WHERE video_id = ?`, videoID).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("gormstore: thumbnails: %w", err)
	}
	if len(rows) == 0 {
		return nil, media.Errorf(media.ENOTFOUND, "No thumbnails.")
	}
	r := rows[0]
	return &media.ThumbSheet{Status: media.ThumbStatus(r.Status), Error: r.Error, IntervalMs: r.IntervalMs, Columns: r.Columns,
		Count: r.Count, TileWidth: r.TileWidth, TileHeight: r.TileHeight, DurationMs: r.DurationMs}, nil
}

// FinishThumbs stores the sheet and removes job.
func (db *DB) FinishThumbs(ctx context.Context, job *media.Job, s *media.ThumbSheet) error {
	return db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := finishLeased(tx, job); err != nil {
			return err
		}
		if _, err := db.findVideo(ctx, tx, "id = ?", job.VideoID); err != nil {
			return err
		}
		return tx.Exec(`INSERT INTO thumbnails(video_id, status, error, interval_ms, columns, count, tile_width, tile_height, duration_ms, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT(video_id) DO UPDATE SET status = excluded.status, error = excluded.error, interval_ms = excluded.interval_ms,
				columns = excluded.columns, count = excluded.count, tile_width = excluded.tile_width, tile_height = excluded.tile_height,
				duration_ms = excluded.duration_ms, updated_at = excluded.updated_at`,
			job.VideoID, string(s.Status), truncate(s.Error, 2000), s.IntervalMs, s.Columns, s.Count, s.TileWidth, s.TileHeight, s.DurationMs,
			time.Now().UnixMilli()).Error
	})
}

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

// Search matches q.Terms against the full-text index, within the viewer's
// library (libraryFilter, the rule the library list uses).
func (db *DB) Search(ctx context.Context, q media.SearchQuery) ([]media.SearchHit, error) {
	if q.Viewer == "" {
		return nil, errors.New("gormstore: search needs a viewer")
	}
	r := db.r.WithContext(ctx)
	library := libraryFilter(r.Session(&gorm.Session{NewDB: true}), media.ListOptions{Viewer: q.Viewer, Now: q.Now}).Select("videos.id")
	var rows []struct {
		Kind    string
		Ref     string
		VideoID string
		TimeMs  int64
		Slug    string
		Title   string
		Text    string
	}
	// Terms are letters and digits only (media.SearchTerms), so neither
	// query language can read an operator into them; each matches words
	// that start with it.
	order := `ORDER BY v.id DESC, CASE d.kind WHEN 'title' THEN 0 ELSE 1 END, d.time_ms, d.docid LIMIT ?`
	var err error
	if isPG(r) {
		match := make([]string, len(q.Terms))
		for i, t := range q.Terms {
			match[i] = t + ":*"
		}
		err = r.Raw(`SELECT d.kind, d.ref, d.video_id, d.time_ms, v.slug, v.title, d.text
			FROM search_docs d
			JOIN videos v ON v.id = d.video_id
			WHERE d.tsv @@ to_tsquery('simple', ?) AND d.video_id IN (?) `+order,
			strings.Join(match, " & "), library, q.Limit).Scan(&rows).Error
	} else {
		match := make([]string, len(q.Terms))
		for i, t := range q.Terms {
			match[i] = `"` + t + `*"`
		}
		err = r.Raw(`SELECT d.kind, d.ref, d.video_id, d.time_ms, v.slug, v.title, f.text
			FROM search_fts f
			JOIN search_docs d ON d.docid = f.docid
			JOIN videos v ON v.id = d.video_id
			WHERE search_fts MATCH ? AND d.video_id IN (?) `+order,
			strings.Join(match, " "), library, q.Limit).Scan(&rows).Error
	}
	if err != nil {
		return nil, fmt.Errorf("gormstore: search: %w", err)
	}
	out := make([]media.SearchHit, len(rows))
	for i, row := range rows {
		out[i] = media.SearchHit{VideoID: row.VideoID, Slug: row.Slug, Title: row.Title, Kind: row.Kind, Text: row.Text, TimeMs: row.TimeMs}
		if row.Kind == media.SearchTitle {
			out[i].TimeMs = 0
		}
	}
	return out, nil
}
