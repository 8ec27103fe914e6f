package media

import (
	"context"
	"strings"
)

// MaxDescriptionLen is the longest description, in runes: a few lines
// under the title, not a document.
const MaxDescriptionLen = 2000

// NormalizeDescription trims a description, keeps its line breaks and
// tabs, and checks its length.
func NormalizeDescription(d string) (string, error) {
	d = strings.TrimSpace(strings.ReplaceAll(d, "\r\n", "\n"))
	if strings.ContainsFunc(d, func(r rune) bool { return (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f }) {
		return "", Errorf(EINVALID, "Description must not contain control characters.")
	}
	if n := len([]rune(d)); n > MaxDescriptionLen {
		return "", Errorf(EINVALID, "Description must be at most %d characters (got %d).", MaxDescriptionLen, n)
	}
	return d, nil
}

// Details is what the owner edits in place on the watch page; nil fields
// stay as they are.
type Details struct {
	Title       *string
	Description *string
}

// Check normalizes the fields that are set, so that a bad request changes
// nothing. EINVALID.
func (d *Details) Check() error {
	if d.Title != nil {
		t, err := NormalizeTitle(*d.Title)
		if err != nil {
			return err
		}
		d.Title = &t
	}
	if d.Description != nil {
		s, err := NormalizeDescription(*d.Description)
		if err != nil {
			return err
		}
		d.Description = &s
	}
	return nil
}

// UpdateDetails changes a video's title and description in one write and
// tells live viewers. EINVALID, ENOTFOUND.
func (s *Service) UpdateDetails(ctx context.Context, id string, d Details) (*Video, error) {
	if err := d.Check(); err != nil {
		return nil, err
	}
	v, err := s.Videos.UpdateVideo(ctx, id, "", func(v *Video) error {
		if d.Title != nil {
			v.Title = *d.Title
		}
		if d.Description != nil {
			v.Description = *d.Description
		}
		return nil
	})
	if err == nil {
		s.Events.Publish(v)
	}
	return v, err
}
