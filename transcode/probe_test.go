package transcode

import (
	"math"
	"testing"
	"time"
)

func TestParseProbe(t *testing.T) {
	tests := []struct {
		name    string
		json    string
		want    probeResult
		video   *videoStream
		audio   *audioStream
		wantErr bool
	}{
		{
			name: "webm from MediaRecorder: no duration",
			json: `{"streams":[
				{"index":0,"codec_name":"vp8","codec_type":"video","width":1280,"height":720,"pix_fmt":"yuv420p","r_frame_rate":"1000/1","avg_frame_rate":"30/1"},
				{"index":1,"codec_name":"opus","codec_type":"audio","r_frame_rate":"0/0","avg_frame_rate":"0/0"}],
				"format":{"format_name":"matroska,webm","duration":"N/A","size":"123456"}}`,
			want:  probeResult{FormatName: "matroska,webm", Size: 123456, Streams: 2},
			video: &videoStream{Index: 0, Codec: "vp8", PixFmt: "yuv420p", Width: 1280, Height: 720, FrameRate: 30},
			audio: &audioStream{Index: 1, Codec: "opus"},
		},
		{
			name: "audio first, cover art before the video, second video ignored",
			json: `{"streams":[
				{"index":0,"codec_name":"aac","codec_type":"audio"},
				{"index":1,"codec_name":"mjpeg","codec_type":"video","width":600,"height":600,"disposition":{"attached_pic":1}},
				{"index":2,"codec_name":"h264","codec_type":"video","width":1920,"height":1080,"pix_fmt":"yuv420p","avg_frame_rate":"30000/1001"},
				{"index":3,"codec_name":"hevc","codec_type":"video","width":3840,"height":2160},
				{"index":4,"codec_name":"opus","codec_type":"audio"},
				{"index":5,"codec_name":"mov_text","codec_type":"subtitle"}],
				"format":{"format_name":"mov,mp4,m4a,3gp,3g2,mj2","duration":"12.500000","size":"1000"}}`,
			want:  probeResult{FormatName: "mov,mp4,m4a,3gp,3g2,mj2", Duration: 12500 * time.Millisecond, Size: 1000, Streams: 6},
			video: &videoStream{Index: 2, Codec: "h264", PixFmt: "yuv420p", Width: 1920, Height: 1080, FrameRate: 30000.0 / 1001},
			audio: &audioStream{Index: 0, Codec: "aac"},
		},
		{
			name: "phone video rotated by a display matrix; duration from the stream",
			json: `{"streams":[{"index":0,"codec_name":"h264","codec_type":"video","width":1920,"height":1080,"duration":"3.000000",
				"side_data_list":[{"side_data_type":"Display Matrix","displaymatrix":"...","rotation":-90}]}],
				"format":{"format_name":"mov","duration":"N/A"}}`,
			want:  probeResult{FormatName: "mov", Duration: 3 * time.Second, Streams: 1},
			video: &videoStream{Codec: "h264", Width: 1920, Height: 1080, Rotation: 270, Duration: 3 * time.Second},
		},
		{
			name:  "older ffprobe: rotate tag",
			json:  `{"streams":[{"index":0,"codec_type":"video","width":640,"height":480,"tags":{"rotate":"90"}}],"format":{}}`,
			want:  probeResult{Streams: 1},
			video: &videoStream{Width: 640, Height: 480, Rotation: 90},
		},
		{
			name: "hostile values are unknown, not trusted",
			json: `{"streams":[{"index":0,"codec_type":"video","width":0,"height":0,"avg_frame_rate":"1/0","r_frame_rate":"NaN/1","duration":"-5"}],
				"format":{"duration":"nan","size":"-1"}}`,
			want:  probeResult{Streams: 1},
			video: &videoStream{},
		},
		{
			name: "absurd duration saturates",
			json: `{"streams":[],"format":{"duration":"1e300"}}`,
			want: probeResult{Duration: math.MaxInt64},
		},
		{name: "no format section", json: `{"streams":[]}`, wantErr: true},
		{name: "not json", json: `Invalid data found when processing input`, wantErr: true},
		{name: "empty", json: ``, wantErr: true},
		{name: "negative width", json: `{"streams":[{"codec_type":"video","width":-1,"height":10}],"format":{}}`, wantErr: true},
		{name: "width too large for int", json: `{"streams":[{"codec_type":"video","width":1e40,"height":10}],"format":{}}`, wantErr: true},
		{name: "huge width", json: `{"streams":[{"codec_type":"video","width":2000000000,"height":2000000000}],"format":{}}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProbe([]byte(tt.json))
			if tt.wantErr {
				if err == nil {
					t.Fatalf("parseProbe = %+v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (got.Video == nil) != (tt.video == nil) || got.Video != nil && *got.Video != *tt.video {
				t.Errorf("Video = %+v, want %+v", got.Video, tt.video)
			}
			if (got.Audio == nil) != (tt.audio == nil) || got.Audio != nil && *got.Audio != *tt.audio {
				t.Errorf("Audio = %+v, want %+v", got.Audio, tt.audio)
			}
			got.Video, got.Audio = nil, nil
			if *got != tt.want {
				t.Errorf("parseProbe = %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func TestDisplaySize(t *testing.T) {
	for rot, want := range map[int][2]int{0: {1920, 1080}, 90: {1080, 1920}, 180: {1920, 1080}, 270: {1080, 1920}} {
		v := videoStream{Width: 1920, Height: 1080, Rotation: rot}
		if w, h := v.DisplaySize(); w != want[0] || h != want[1] {
			t.Errorf("rotation %d: %dx%d, want %dx%d", rot, w, h, want[0], want[1])
		}
	}
}

// FuzzParseProbe: whatever ffprobe (or a file steering it) prints, parsing
// never panics and never returns values that would overflow the limit
// checks. Seeds, real ffprobe output among them, are in
// testdata/fuzz/FuzzParseProbe.
func FuzzParseProbe(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := parseProbe(data)
		if err != nil {
			return
		}
		if r.Duration < 0 || r.Size < 0 {
			t.Fatalf("negative duration or size: %+v", r)
		}
		if v := r.Video; v != nil {
			if v.Width < 0 || v.Height < 0 || v.Width > maxDimension || v.Height > maxDimension {
				t.Fatalf("size %dx%d escaped the bounds", v.Width, v.Height)
			}
			if v.Rotation%90 != 0 || v.Rotation < 0 || v.Rotation >= 360 {
				t.Fatalf("rotation %d", v.Rotation)
			}
			if math.IsNaN(v.FrameRate) || v.FrameRate < 0 || v.FrameRate > 1000 {
				t.Fatalf("frame rate %v", v.FrameRate)
			}
			if w, h := v.DisplaySize(); int64(w)*int64(h) < 0 {
				t.Fatalf("pixel count overflows: %dx%d", w, h)
			}
		}
	})
}
