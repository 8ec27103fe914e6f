package gormstore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/baton-video/baton/media"
)

// Search matches q.Terms against the full-text index, within the viewer's
// library (libraryFilter, the rule the library list uses).
func (db *DB) Search(ctx context.Context, q media.SearchQuery) ([]media.SearchHit, error) {
	if q.Viewer == "" {
		return nil, errors.New("gormstore: search needs a viewer")
	}
	if err := db.indexComments(ctx); err != nil {
		return nil, err
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
