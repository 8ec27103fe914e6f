package gormstore

import (
	"time"

	"gorm.io/gorm"
)

// Times in the comment tables are unix milliseconds, 0 for "never": one
// integer column sorts and compares the same on SQLite and Postgres.

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// nowMillis is the current time at the precision it is stored with, so what
// a write returns equals what a later read returns.
func nowMillis() time.Time { return time.UnixMilli(time.Now().UnixMilli()).UTC() }

// keysetPage reads up to limit rows of q in (time_ms, id) order, starting
// after the row (afterTimeMs, afterID) when afterID is set, and reports
// whether more rows follow. A key cursor instead of an offset keeps a page
// stable while comments are added before it, and the id breaks ties
// between rows at the same millisecond.
func keysetPage[T any](q *gorm.DB, afterTimeMs int64, afterID string, limit int) (rows []T, more bool, err error) {
	if afterID != "" {
		q = q.Where("(time_ms > ? OR (time_ms = ? AND id > ?))", afterTimeMs, afterTimeMs, afterID)
	}
	if err := q.Order("time_ms, id").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, false, err
	}
	if len(rows) > limit {
		return rows[:limit], true, nil
	}
	return rows, false, nil
}
