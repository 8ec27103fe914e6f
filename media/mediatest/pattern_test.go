package mediatest

import (
	"bytes"
	"io"
	"testing"
)

// The contract compares a streamed object with Pattern, so the stream must
// not depend on how it is read.
func TestPatternIndependentOfChunking(t *testing.T) {
	want := Pattern(3, 1001)
	for _, chunk := range []int{1, 3, 7, 8, 9, 64, 4096} {
		var got bytes.Buffer
		r := NewPatternReader(3, 1001)
		buf := make([]byte, chunk)
		for {
			n, err := r.Read(buf)
			got.Write(buf[:n])
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Fatalf("chunk %d: stream differs from Pattern", chunk)
		}
	}
	if bytes.Equal(Pattern(1, 64), Pattern(2, 64)) {
		t.Fatal("different seeds give the same bytes")
	}
}
