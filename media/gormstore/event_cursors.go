package gormstore

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/baton-video/baton/media"
)

var _ media.EventCursorStore = (*DB)(nil)

// Cursors over the comment event log (migration 13). A cursor is leased:
// owner and lease_until say who reads from it and until when; an expired
// lease is anyone's. Event ids are in commit order on both databases (one
// writer on SQLite; the event-order lock on Postgres), so a reader that
// has passed an id never sees an earlier one commit later.

// ClaimEventCursor leases the cursor to owner if it is free, expired or
// owner's, creating it at 0 when missing.
func (db *DB) ClaimEventCursor(ctx context.Context, name, owner string, lease time.Duration, now time.Time) (int64, bool, error) {
	var seq int64
	ok := false
	err := db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`INSERT INTO event_cursors(name) VALUES (?) ON CONFLICT(name) DO NOTHING`, name).Error; err != nil {
			return err
		}
		res := tx.Exec(`UPDATE event_cursors SET owner = ?, lease_until = ? WHERE name = ? AND (owner = '' OR owner = ? OR lease_until < ?)`,
			owner, now.Add(lease).UnixMilli(), name, owner, now.UnixMilli())
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return nil
		}
		ok = true
		return tx.Raw(`SELECT seq FROM event_cursors WHERE name = ?`, name).Scan(&seq).Error
	})
	if err != nil {
		return 0, false, fmt.Errorf("gormstore: claim cursor %s: %w", name, err)
	}
	return seq, ok, nil
}

// AdvanceEventCursor moves the cursor forward (never back) and renews the
// lease.
func (db *DB) AdvanceEventCursor(ctx context.Context, name, owner string, seq int64, lease time.Duration, now time.Time) error {
	res := db.w.WithContext(ctx).Exec(`UPDATE event_cursors SET seq = CASE WHEN seq < ? THEN ? ELSE seq END, lease_until = ? WHERE name = ? AND owner = ?`,
		seq, seq, now.Add(lease).UnixMilli(), name, owner)
	if res.Error != nil {
		return fmt.Errorf("gormstore: advance cursor %s: %w", name, res.Error)
	}
	if res.RowsAffected == 0 {
		return media.Errorf(media.ECONFLICT, "The cursor %s is leased to another process.", name)
	}
	return nil
}

// ReleaseEventCursor frees the cursor if owner holds it.
func (db *DB) ReleaseEventCursor(ctx context.Context, name, owner string) error {
	if err := db.w.WithContext(ctx).Exec(`UPDATE event_cursors SET owner = '', lease_until = 0 WHERE name = ? AND owner = ?`, name, owner).Error; err != nil {
		return fmt.Errorf("gormstore: release cursor %s: %w", name, err)
	}
	return nil
}

// EventsToPlan reads the "created" and "resolved" events after seq. The
// newest id is read first: an event that commits after it has a larger
// id, so passing over everything up to it skips nothing.
func (db *DB) EventsToPlan(ctx context.Context, after int64, limit int) ([]*media.CommentEvent, int64, error) {
	top, err := db.LastEventSeq(ctx)
	if err != nil {
		return nil, 0, err
	}
	var rows []eventRow
	err = db.r.WithContext(ctx).Where("id > ? AND id <= ? AND type IN ?", after, top,
		[]string{string(media.CommentCreated), string(media.CommentResolved)}).Order("id").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, 0, fmt.Errorf("gormstore: events to plan: %w", err)
	}
	out := make([]*media.CommentEvent, 0, len(rows))
	for i := range rows {
		ev, err := db.decodeEvent(&rows[i])
		if err != nil {
			return nil, 0, err
		}
		if err := decodeNotify(&rows[i], ev); err != nil {
			return nil, 0, err
		}
		out = append(out, ev)
	}
	upTo := max(top, after)
	if len(rows) == limit {
		upTo = rows[len(rows)-1].ID
	}
	return out, upTo, nil
}

// LastEventSeq returns the newest event's id.
func (db *DB) LastEventSeq(ctx context.Context) (int64, error) {
	var top int64
	if err := db.r.WithContext(ctx).Raw(`SELECT COALESCE(MAX(id), 0) FROM comment_events`).Scan(&top).Error; err != nil {
		return 0, fmt.Errorf("gormstore: last event: %w", err)
	}
	return top, nil
}
