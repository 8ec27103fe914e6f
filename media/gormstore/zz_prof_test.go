package gormstore_test

import (
	"context"
	"testing"

	"github.com/baton-video/baton/media"
)

func BenchmarkThreadsTmp(b *testing.B) {
	db := MustOpen(b, "")
	v := MustCreateVideo(b, db)
	for i := 0; i < 150; i++ {
		th := MustComment(b, db, v.ID, "", int64(i*700), "Thread: a question about this part of the video, long enough to look like a real comment.")
		MustComment(b, db, v.ID, th.ID, 0, "A reply")
		MustComment(b, db, v.ID, th.ID, 0, "A reply")
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := db.Threads(context.Background(), v.ID, media.ThreadOptions{Limit: 50}); err != nil {
			b.Fatal(err)
		}
	}
}
