package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lockedBuffer collects a child process's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestJSONLogsAreAllJSON: with BATON_LOG_FORMAT=json every line the real
// process writes to stderr is one JSON object, tusd's included. A client
// that hangs up in the middle of a PATCH body makes tusd log an error
// (BodyReadError); before tusd was given Baton's logger, that line was
// text whatever the format.
func TestJSONLogsAreAllJSON(t *testing.T) {
	requireFFmpeg(t)
	bin := buildBaton(t)
	dataDir := t.TempDir()
	provisionDataDir(t, dataDir)
	addr := freeAddr(t)
	var stderr lockedBuffer
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "BATON_ADDR="+addr, "BATON_DATA_DIR="+dataDir,
		"BATON_WORKERS=1", "BATON_LOG_FORMAT=json", "BATON_LOG_LEVEL=info")
	cmd.Stdout = tbWriter{t}
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, url: "http://" + addr, done: make(chan struct{})}
	go func() { cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.kill(t) })
	eventually(t, 20*time.Second, "baton answers /healthz", func() bool {
		r, err := http.Get(p.url + "/healthz")
		if err != nil {
			return false
		}
		r.Body.Close()
		return true
	})

	s := &testServer{URL: p.url, DataDir: dataDir}
	v := s.MustCreateVideo(t, "json logs")
	// A PATCH that promises 1 MiB and hangs up after 64 KiB.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "PATCH /api/uploads/%s HTTP/1.1\r\nHost: %s\r\nTus-Resumable: 1.0.0\r\n"+
		"Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\nContent-Length: %d\r\n"+
		"Authorization: Bearer %s\r\n\r\n", v.ID, addr, 1<<20, testToken)
	conn.Write(bytes.Repeat([]byte{0x1a}, 64<<10))
	time.Sleep(200 * time.Millisecond)
	conn.Close()
	eventually(t, 20*time.Second, "tusd logs the broken body", func() bool {
		return strings.Contains(stderr.String(), "BodyReadError")
	})

	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatal("baton did not stop on SIGTERM")
	}
	// A start that fails (the address is taken) says why in JSON too.
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	var failed lockedBuffer
	cmd = exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "BATON_ADDR="+taken.Addr().String(), "BATON_DATA_DIR="+dataDir,
		"BATON_WORKERS=0", "BATON_LOG_FORMAT=json")
	cmd.Stderr = &failed
	if err := cmd.Run(); err == nil {
		t.Fatal("baton started on a taken address")
	}
	if !strings.Contains(failed.String(), `"msg":"baton could not start"`) {
		t.Fatalf("failed start wrote %q", failed.String())
	}
	stderr.Write([]byte(failed.String()))

	lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
	var tusd, started int
	for i, line := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("stderr line %d is not a JSON object: %q", i+1, line)
			continue
		}
		if rec["component"] == "tusd" {
			tusd++
		}
		if rec["msg"] == "baton started" {
			started++
		}
	}
	if tusd == 0 || started != 1 {
		t.Fatalf("%d tusd lines and %d start lines in %d lines, want both:\n%s", tusd, started, len(lines), stderr.String())
	}
}
