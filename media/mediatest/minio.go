package mediatest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// MinIO is a real MinIO server started for one test. It listens on
// 127.0.0.1 only, keeps its data in a fresh temp directory and is killed
// (its whole process group) when the test ends.
//
// MinIO is a small value that shares its server: copies control the same
// process.
type MinIO struct {
	// Endpoint is host:port, as s3store.Config.Endpoint wants it.
	Endpoint string
	// URL is "http://" + Endpoint.
	URL       string
	AccessKey string
	SecretKey string
	// DataDir is where the server keeps its objects; it survives Stop.
	DataDir string

	srv *minioServer
}

// Stop kills the server and waits for it to exit, leaving the port closed
// and the data directory intact, so a test can watch a store go away.
// Stopping a stopped server does nothing. Call it from the goroutine of the
// test that started the server: it fails that test on error.
func (m MinIO) Stop() {
	m.srv.tb.Helper()
	if err := m.srv.stop(); err != nil {
		m.srv.tb.Fatalf("mediatest: stop minio: %v", err)
	}
}

// Start starts the server again on the same port and data directory and
// waits until it answers. Starting a running server does nothing. Call it
// from the goroutine of the test that started the server.
func (m MinIO) Start() {
	m.srv.tb.Helper()
	if err := m.srv.start(); err != nil {
		m.srv.tb.Fatalf("mediatest: start minio: %v", err)
	}
}

// StartMinIO starts a MinIO server for tb and returns once it is ready for
// S3 requests. The binary is, in order: $BATON_MINIO_BIN,
// $HOME/.cache/baton/bin/minio (where `make test` installs it), or minio on
// PATH. Without one the test is skipped, except when CI=true: integration
// tests must never pass by silently not running.
func StartMinIO(tb testing.TB) MinIO {
	tb.Helper()
	bin, err := minioBinary()
	if err != nil {
		msg := fmt.Sprintf("mediatest: no MinIO server binary (%v); `make test` installs one into ~/.cache/baton/bin, or set BATON_MINIO_BIN", err)
		if os.Getenv("CI") == "true" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	ports, err := freePorts(2)
	if err != nil {
		tb.Fatalf("mediatest: %v", err)
	}
	secret := make([]byte, 16)
	_, _ = rand.Read(secret)
	endpoint := fmt.Sprintf("127.0.0.1:%d", ports[0])
	m := MinIO{
		Endpoint:  endpoint,
		URL:       "http://" + endpoint,
		AccessKey: "batontest",
		SecretKey: hex.EncodeToString(secret),
		// TempDir's removal is registered before our Cleanup below, and
		// cleanups run last-in first-out: the server is gone before its
		// directory is removed.
		DataDir: tb.TempDir(),
	}
	m.srv = &minioServer{
		tb:  tb,
		bin: bin,
		args: []string{
			"server",
			"--quiet",
			"--address", endpoint,
			// Pinned so MinIO does not pick its own, possibly taken, port.
			"--console-address", fmt.Sprintf("127.0.0.1:%d", ports[1]),
			m.DataDir,
		},
		env: append(minioFreeEnviron(),
			"MINIO_ROOT_USER="+m.AccessKey,
			"MINIO_ROOT_PASSWORD="+m.SecretKey,
			// Tests have no use for the web console or update checks; both
			// cost start-up time, and update checks reach the internet.
			"MINIO_BROWSER=off",
			"MINIO_UPDATE=off",
		),
		base: m.URL,
	}
	tb.Cleanup(func() {
		if err := m.srv.stop(); err != nil {
			tb.Errorf("mediatest: stop minio: %v", err)
		}
	})
	if err := m.srv.start(); err != nil {
		tb.Fatalf("mediatest: start minio: %v", err)
	}
	return m
}

func minioBinary() (string, error) {
	if p := os.Getenv("BATON_MINIO_BIN"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("BATON_MINIO_BIN: %w", err)
		}
		return p, nil
	}
	if home, err := os.UserHomeDir(); err == nil {
		p := filepath.Join(home, ".cache", "baton", "bin", "minio")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return exec.LookPath("minio")
}

// minioFreeEnviron is our environment without MINIO_* settings, which a
// developer's shell may carry for a real deployment and which would change
// how the test server behaves.
func minioFreeEnviron() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MINIO_") {
			env = append(env, kv)
		}
	}
	return env
}

// freePorts returns n distinct ports that were free a moment ago. Holding
// all listeners until every port is chosen keeps them distinct; another
// process could still take one before MinIO binds it, which start reports.
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("free port: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// minioServer is the process behind a MinIO value.
type minioServer struct {
	tb   testing.TB
	bin  string
	args []string
	env  []string
	base string // http://host:port

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has been waited for
	log    *tailBuffer
}

const (
	startTimeout = 30 * time.Second
	stopGrace    = 5 * time.Second
)

func (s *minioServer) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return nil
	}
	log := &tailBuffer{max: 64 << 10}
	cmd := exec.Command(s.bin, s.args...)
	cmd.Env = s.env
	cmd.Stdout = log
	cmd.Stderr = log
	// Its own process group, so stop can kill MinIO and anything it spawned
	// in one go; on Linux also killed if the test binary dies first.
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	s.cmd, s.exited, s.log = cmd, exited, log

	deadline := time.Now().Add(startTimeout)
	for !s.ready() {
		select {
		case <-exited:
			s.cmd = nil
			return fmt.Errorf("minio exited during start-up (%s); output:\n%s", cmd.ProcessState, log)
		case <-time.After(25 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = s.killLocked()
			return fmt.Errorf("minio was not ready at %s within %v; output:\n%s", s.base, startTimeout, log)
		}
	}
	return nil
}

// ready reports whether the server takes S3 requests. The liveness probe
// answers 200 as soon as the HTTP server runs, before the object layer and
// IAM are up (it then sets X-Minio-Server-Status), and requests in that
// window fail with "Server not initialized yet". The cluster probe answers
// 200 only once all of them are up.
func (s *minioServer) ready() bool {
	client := &http.Client{Timeout: time.Second}
	for _, probe := range []string{"/minio/health/live", "/minio/health/cluster"} {
		resp, err := client.Get(s.base + probe)
		if err != nil {
			return false
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Minio-Server-Status") != "" {
			return false
		}
	}
	return true
}

func (s *minioServer) stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.killLocked()
}

// killLocked asks MinIO to shut down, kills it after a grace period, then
// kills whatever is left in its process group.
func (s *minioServer) killLocked() error {
	if s.cmd == nil {
		return nil
	}
	pid := s.cmd.Process.Pid
	_ = signalGroup(pid, sigTerm)
	var err error
	select {
	case <-s.exited:
	case <-time.After(stopGrace):
		_ = signalGroup(pid, sigKill)
		select {
		case <-s.exited:
		case <-time.After(stopGrace):
			err = fmt.Errorf("minio (pid %d) did not exit after SIGKILL", pid)
		}
	}
	// The leader is gone; stragglers in its group must not outlive the test.
	if gerr := signalGroup(pid, sigKill); gerr != nil && !errors.Is(gerr, errNoProcess) && err == nil {
		err = gerr
	}
	s.cmd = nil
	return err
}

// tailBuffer keeps the last max bytes written to it, so a chatty server
// cannot grow a test's memory, yet a failure can show why it died.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
