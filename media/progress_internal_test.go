package media

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// progressStore is a VideoStore whose UpdateVideo applies fn to a fresh
// video and does nothing else; UploadProgress needs no more.
type progressStore struct{ VideoStore }

func (progressStore) UpdateVideo(_ context.Context, id string, _ JobKind, fn func(*Video) error) (*Video, error) {
	v := &Video{ID: id, Status: StatusCreated}
	return v, fn(v)
}

// TestUploadProgressForgets: the per-video throttle of progress writes
// forgets videos whose uploads stopped, instead of keeping one entry for
// every video ever uploaded (the soak's heap profile found it growing).
func TestUploadProgressForgets(t *testing.T) {
	s := &Service{Videos: progressStore{}}
	ctx := context.Background()
	for i := 0; i < 10_000; i++ {
		id := fmt.Sprintf("v%d", i)
		s.UploadProgress(ctx, id, 1)
		if i%100 == 99 {
			// Pretend the throttle of everything so far has lapsed.
			s.progressMu.Lock()
			for k := range s.lastProgress {
				s.lastProgress[k] = s.lastProgress[k].Add(-time.Second)
			}
			s.progressMu.Unlock()
		}
	}
	s.progressMu.Lock()
	n := len(s.lastProgress)
	s.progressMu.Unlock()
	if n > 256 {
		t.Fatalf("%d videos remembered after 10,000 finished uploads, want a few hundred at most", n)
	}

	// The throttle itself still holds: a second write within the window
	// is skipped.
	writes := 0
	s = &Service{Videos: countingStore{n: &writes}}
	s.UploadProgress(ctx, "a", 1)
	s.UploadProgress(ctx, "a", 2)
	if writes != 1 {
		t.Fatalf("%d writes for two progress calls within %v, want 1", writes, progressEvery)
	}
}

type countingStore struct {
	progressStore
	n *int
}

func (c countingStore) UpdateVideo(ctx context.Context, id string, k JobKind, fn func(*Video) error) (*Video, error) {
	*c.n++
	return progressStore{}.UpdateVideo(ctx, id, k, fn)
}
