package api

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// deadlineRecorder is a ResponseWriter that records the deadlines set on
// its connection through http.ResponseController.
type deadlineRecorder struct {
	*httptest.ResponseRecorder
	read, write []time.Time
}

func (d *deadlineRecorder) SetReadDeadline(t time.Time) error {
	d.read = append(d.read, t)
	return nil
}

func (d *deadlineRecorder) SetWriteDeadline(t time.Time) error {
	d.write = append(d.write, t)
	return nil
}

// TestTusDeadlinesStopAtBodyEnd: tusd's connection deadlines reach the
// connection while the request body is read; afterwards read deadlines are
// dropped (they would fire on net/http's watch of the idle connection and
// cancel the context of every later request on it) and write deadlines are
// lifted (a hand-off longer than tusd's 2 x NetworkTimeout made the server
// hang up without an answer although the upload had been stored).
func TestTusDeadlinesStopAtBodyEnd(t *testing.T) {
	rec := &deadlineRecorder{ResponseRecorder: httptest.NewRecorder()}
	w := &tusErrorWriter{ResponseWriter: rec}
	body := &eofBody{ReadCloser: io.NopCloser(strings.NewReader("0123456789")), done: &w.bodyRead}
	rc := http.NewResponseController(w)
	soon := time.Now().Add(time.Minute)

	buf := make([]byte, 4)
	if _, err := body.Read(buf); err != nil {
		t.Fatal(err)
	}
	rc.SetReadDeadline(soon)
	rc.SetWriteDeadline(soon)
	if len(rec.read) != 1 || !rec.read[0].Equal(soon) || len(rec.write) != 1 || !rec.write[0].Equal(soon) {
		t.Fatalf("while reading the body: read deadlines %v, write deadlines %v; want each passed on", rec.read, rec.write)
	}
	for {
		if _, err := body.Read(buf); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	rc.SetReadDeadline(time.Now())
	rc.SetWriteDeadline(soon)
	if len(rec.read) != 1 {
		t.Fatalf("read deadline set after the body ended: %v", rec.read[1:])
	}
	if len(rec.write) != 2 || !rec.write[1].IsZero() {
		t.Fatalf("write deadlines %v, want the last one lifted (zero)", rec.write)
	}
}
