package media

import (
	"context"
	"slices"
	"strconv"
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

// PlaybackSpeeds are the speeds the player's menu offers, and so the only
// ones an owner may make a video's default.
var PlaybackSpeeds = []float64{0.5, 0.75, 1, 1.25, 1.5, 1.75, 2}

// CheckSpeed refuses a default speed the player does not offer. EINVALID.
func CheckSpeed(s float64) error {
	if slices.Contains(PlaybackSpeeds, s) {
		return nil
	}
	offered := make([]string, len(PlaybackSpeeds))
	for i, x := range PlaybackSpeeds {
		offered[i] = strconv.FormatFloat(x, 'f', -1, 64)
	}
	return Errorf(EINVALID, "defaultSpeed must be one of the player's speeds: %s (got %s).",
		strings.Join(offered, ", "), strconv.FormatFloat(s, 'g', 6, 64))
}

// Details is what the owner edits in place on the watch page; nil fields
// stay as they are.
type Details struct {
	Title       *string
	Description *string
	// DefaultSpeed is the video's default playback speed (1: normal).
	DefaultSpeed *float64
}

// IsZero says nothing is to change.
func (d Details) IsZero() bool {
	return d.Title == nil && d.Description == nil && d.DefaultSpeed == nil
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
	if d.DefaultSpeed != nil {
		if err := CheckSpeed(*d.DefaultSpeed); err != nil {
			return err
		}
	}
	return nil
}

// UpdateDetails changes a video's title, description and default speed in
// one write and tells live viewers. EINVALID, ENOTFOUND.
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
		if d.DefaultSpeed != nil {
			// Normal speed is no default: stored as none, so that the
			// viewer's player is left alone.
			v.DefaultSpeed = *d.DefaultSpeed
			if v.DefaultSpeed == 1 {
				v.DefaultSpeed = 0
			}
		}
		return nil
	})
	if err == nil {
		s.Events.Publish(v)
	}
	return v, err
}
