package transcode

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// maxDimension bounds a width or height read from ffprobe so products and
// sums never overflow; anything near it is refused by the pixel limit anyway.
const maxDimension = 1 << 20

// probeJSON mirrors the parts of ffprobe's -of json output we read. Numbers
// that ffprobe prints as strings (durations, sizes) stay strings here and are
// parsed with care: the values come from a hostile file.
type probeJSON struct {
	Streams []probeJSONStream `json:"streams"`
	Format  *struct {
		FormatName string `json:"format_name"`
		Duration   string `json:"duration"`
		Size       string `json:"size"`
	} `json:"format"`
}

type probeJSONStream struct {
	Index        int               `json:"index"`
	CodecType    string            `json:"codec_type"`
	CodecName    string            `json:"codec_name"`
	Width        int               `json:"width"`
	Height       int               `json:"height"`
	PixFmt       string            `json:"pix_fmt"`
	HasBFrames   int               `json:"has_b_frames"`
	AvgFrameRate string            `json:"avg_frame_rate"`
	RFrameRate   string            `json:"r_frame_rate"`
	Duration     string            `json:"duration"`
	Disposition  map[string]int    `json:"disposition"`
	Tags         map[string]string `json:"tags"`
	SideDataList []struct {
		SideDataType string  `json:"side_data_type"`
		Rotation     float64 `json:"rotation"`
	} `json:"side_data_list"`
}

// probeResult is what Inspect and verification need from one ffprobe run.
type probeResult struct {
	FormatName string
	Duration   time.Duration // 0 when neither the header nor the stream says
	Size       int64
	Streams    int
	Video      *videoStream // first video stream that is not cover art; nil if none
	Audio      *audioStream // first audio stream; nil if none
}

type videoStream struct {
	Index     int // ffmpeg's input stream index, for -map 0:<index>
	Codec     string
	PixFmt    string
	Width     int // as coded, before rotation
	Height    int
	Rotation  int // degrees, a multiple of 90 in [0, 360)
	FrameRate float64
	Duration  time.Duration // the stream's own; 0 when unknown
	// Reorder is how many frames the decoder holds back (ffprobe's
	// has_b_frames): 0 without B-frames, 2 for x264's default pyramid.
	Reorder int
}

// DisplaySize is the size a player shows, after rotation.
func (v *videoStream) DisplaySize() (w, h int) {
	if v.Rotation == 90 || v.Rotation == 270 {
		return v.Height, v.Width
	}
	return v.Width, v.Height
}

type audioStream struct {
	Index int
	Codec string
}

// parseProbe reads ffprobe's JSON. Its errors describe what is wrong with
// the file in words fit for a person; the caller adds the error code.
func parseProbe(data []byte) (*probeResult, error) {
	var p probeJSON
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("unreadable probe output: %w", err)
	}
	if p.Format == nil {
		return nil, errors.New("no container information")
	}
	r := &probeResult{
		FormatName: p.Format.FormatName,
		Streams:    len(p.Streams),
	}
	if n, err := strconv.ParseInt(p.Format.Size, 10, 64); err == nil && n > 0 {
		r.Size = n
	}
	r.Duration = parseSeconds(p.Format.Duration)
	for i := range p.Streams {
		s := &p.Streams[i]
		switch s.CodecType {
		case "video":
			if r.Video != nil || s.Disposition["attached_pic"] == 1 {
				// Cover art is a one-frame "video" stream; it is not the recording.
				continue
			}
			if s.Width < 0 || s.Height < 0 || s.Width > maxDimension || s.Height > maxDimension {
				return nil, fmt.Errorf("impossible picture size %dx%d", s.Width, s.Height)
			}
			r.Video = &videoStream{
				Index:     s.Index,
				Codec:     s.CodecName,
				PixFmt:    s.PixFmt,
				Width:     s.Width,
				Height:    s.Height,
				Rotation:  s.rotation(),
				FrameRate: parseRate(s.AvgFrameRate),
				Duration:  parseSeconds(s.Duration),
				Reorder:   max(s.HasBFrames, 0),
			}
			if r.Video.FrameRate == 0 {
				r.Video.FrameRate = parseRate(s.RFrameRate)
			}
			if r.Duration == 0 {
				r.Duration = parseSeconds(s.Duration)
			}
		case "audio":
			if r.Audio == nil {
				r.Audio = &audioStream{Index: s.Index, Codec: s.CodecName}
			}
		}
	}
	return r, nil
}

// rotation returns the stream's display rotation, normalised to 0, 90, 180
// or 270. ffprobe 5+ reports a display matrix; older versions a rotate tag.
func (s *probeJSONStream) rotation() int {
	deg := 0.0
	for _, sd := range s.SideDataList {
		if sd.SideDataType == "Display Matrix" {
			deg = sd.Rotation
			break
		}
	}
	if deg == 0 {
		if v, err := strconv.ParseFloat(s.Tags["rotate"], 64); err == nil {
			deg = v
		}
	}
	if math.IsNaN(deg) || math.IsInf(deg, 0) || math.Abs(deg) > 1e6 {
		return 0
	}
	r := int(math.Round(deg/90)) * 90 % 360
	if r < 0 {
		r += 360
	}
	return r
}

// parseSeconds reads a duration in seconds as ffprobe prints it ("12.345000"
// or "N/A"). Unknown, negative or absurd values are 0 (unknown); huge ones
// saturate so they fail the duration limit rather than overflow.
func parseSeconds(s string) time.Duration {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || v <= 0 {
		return 0
	}
	if v >= math.MaxInt64/float64(time.Second) {
		return math.MaxInt64
	}
	return time.Duration(v * float64(time.Second))
}

// parseRate reads a frame rate such as "30000/1001"; 0 when unknown or absurd.
func parseRate(s string) float64 {
	num, den, ok := strings.Cut(s, "/")
	if !ok {
		den = "1"
	}
	n, err1 := strconv.ParseFloat(num, 64)
	d, err2 := strconv.ParseFloat(den, 64)
	if err1 != nil || err2 != nil || d == 0 {
		return 0
	}
	r := n / d
	if math.IsNaN(r) || math.IsInf(r, 0) || r <= 0 || r > 1000 {
		return 0
	}
	return r
}
