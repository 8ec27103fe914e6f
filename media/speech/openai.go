package speech

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"strings"

	"github.com/baton-video/baton/media"
	"github.com/baton-video/baton/media/openaicompat"
)

// OpenAI transcribes through an OpenAI-compatible HTTP endpoint:
// POST {URL}/v1/audio/transcriptions, multipart/form-data with the audio
// as "file", the model, and response_format=verbose_json so the answer
// carries timed segments. whisper.cpp's server, faster-whisper servers
// and LocalAI speak it, as do cloud services. The URL is the operator's
// own setting, so it is not held to the private-address rule of webhooks:
// a server on localhost is the usual private deployment.
type OpenAI struct {
	// URL is the service's base URL (e.g. http://127.0.0.1:8000 or
	// https://api.example.com/v1) or the full transcriptions endpoint.
	URL string
	// Key, if set, is sent as a bearer token.
	Key string
	// Model names the model, e.g. whisper-1.
	Model string
	// Client, if set, replaces the default client (tests).
	Client *http.Client
}

var _ media.Transcriber = (*OpenAI)(nil)

// Name is "openai".
func (o *OpenAI) Name() string { return "openai" }

// Endpoint is the transcriptions URL the base URL names.
func (o *OpenAI) Endpoint() (string, error) {
	u, err := url.Parse(strings.TrimRight(o.URL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("BATON_TRANSCRIBE_URL must be an absolute http(s) URL")
	}
	switch {
	case strings.HasSuffix(u.Path, "/audio/transcriptions"):
	case strings.HasSuffix(u.Path, "/v1"):
		u.Path += "/audio/transcriptions"
	default:
		u.Path += "/v1/audio/transcriptions"
	}
	return u.String(), nil
}

// maxAnswer bounds the service's answer; a transcript of hours of speech
// is a few megabytes of JSON.
const maxAnswer = 32 << 20

// Transcribe uploads req.Audio and reads the segments back.
func (o *OpenAI) Transcribe(ctx context.Context, req media.TranscribeRequest) (*media.Transcription, error) {
	endpoint, err := o.Endpoint()
	if err != nil {
		return nil, media.WrapError(media.EUNAVAILABLE, err, "The transcription service URL is not valid.")
	}
	f, err := os.Open(req.Audio)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The body streams from the file: a long recording's audio is not
	// held in memory.
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		pw.CloseWithError(writeForm(mw, f, o.Model, req.Language))
	}()
	body, err := openaicompat.Call{
		Client: o.Client, Key: o.Key, Timeout: timeoutFor(req.DurationMs),
		Service: "The transcription service", Tag: "speech", MaxAnswer: maxAnswer,
		StatusError: statusError,
	}.Post(ctx, endpoint, mw.FormDataContentType(), pr)
	if err != nil {
		return nil, err
	}
	return parseVerboseJSON(body)
}

func writeForm(mw *multipart.Writer, audio io.Reader, model, language string) error {
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="audio.wav"`)
	h.Set("Content-Type", "audio/wav")
	part, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	if _, err := io.Copy(part, audio); err != nil {
		return err
	}
	fields := [][2]string{
		{"model", model},
		{"response_format", "verbose_json"},
		{"timestamp_granularities[]", "segment"},
	}
	if language != "" {
		fields = append(fields, [2]string{"language", language})
	}
	for _, kv := range fields {
		if err := mw.WriteField(kv[0], kv[1]); err != nil {
			return err
		}
	}
	return mw.Close()
}

// statusError turns a refusal into an error a person can act on. The
// service's own message is kept short and plain.
func statusError(code int, detail string) error {
	switch {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return media.Errorf(media.EINVALID, "The transcription service refused Baton's key (HTTP %d)%s; check BATON_TRANSCRIBE_KEY.", code, detail)
	case code == http.StatusRequestEntityTooLarge:
		return media.Errorf(media.EINVALID, "The recording's audio is larger than the transcription service accepts%s.", detail)
	case code == http.StatusTooManyRequests || code >= 500:
		return media.Errorf(media.EINTERNAL, "The transcription service is busy or failing (HTTP %d)%s.", code, detail)
	default:
		return media.Errorf(media.EINVALID, "The transcription service refused the audio (HTTP %d)%s.", code, detail)
	}
}

// verboseJSON is the part of a verbose_json answer Baton reads.
type verboseJSON struct {
	Language string  `json:"language"`
	Duration float64 `json:"duration"`
	Text     string  `json:"text"`
	Segments []struct {
		Start float64 `json:"start"`
		End   float64 `json:"end"`
		Text  string  `json:"text"`
	} `json:"segments"`
}

func parseVerboseJSON(b []byte) (*media.Transcription, error) {
	var doc verboseJSON
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, media.WrapError(media.EINVALID, err, "The transcription service's answer is not JSON with segments.")
	}
	out := &media.Transcription{Language: doc.Language}
	for _, s := range doc.Segments {
		out.Segments = append(out.Segments, media.Segment{StartMs: int64(s.Start*1000 + 0.5), EndMs: int64(s.End*1000 + 0.5), Text: strings.TrimSpace(s.Text)})
	}
	if len(doc.Segments) == 0 && strings.TrimSpace(doc.Text) != "" {
		// A server that ignored verbose_json: one untimed line is still
		// searchable.
		out.Segments = []media.Segment{{StartMs: 0, EndMs: int64(doc.Duration * 1000), Text: strings.TrimSpace(doc.Text)}}
	}
	return out, nil
}
