package mediatest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Postgres is a real PostgreSQL cluster created for tests with initdb in a
// fresh temp directory, listening on 127.0.0.1 on a free port (no Unix
// socket), and removed with its directory when stopped. When the tests run
// as root it runs as the postgres system user, because the server refuses
// to run as root.
//
// The binaries are, in order: $BATON_PG_BIN (a directory holding initdb and
// postgres), the newest /usr/lib/postgresql/*/bin (Debian's postgresql
// package), or initdb and postgres on PATH.
type Postgres struct {
	// URL reaches the cluster's maintenance database as its superuser.
	URL  string
	Port int

	bin    string
	dir    string
	cred   *syscall.Credential
	cmd    *exec.Cmd
	exited chan struct{}
	log    *tailBuffer
	n      int // databases created, for unique names
	mu     sync.Mutex
}

// StartPostgres starts a cluster for tb and stops and removes it when the
// test ends. Without Postgres the test is skipped, except when CI=true.
func StartPostgres(tb testing.TB) *Postgres {
	tb.Helper()
	pg, err := startPostgres()
	if err != nil {
		missingPostgres(tb, err)
	}
	tb.Cleanup(func() {
		if err := pg.Stop(); err != nil {
			tb.Errorf("mediatest: %v", err)
		}
	})
	return pg
}

// PostgresURL returns the URL of a fresh, empty database for tb on a cluster
// shared by the test binary (started on first use; call StopSharedPostgres
// from TestMain to remove it). The database is dropped when tb ends.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	shared.mu.Lock()
	if shared.pg == nil && shared.err == nil {
		shared.pg, shared.err = startPostgres()
	}
	pg, err := shared.pg, shared.err
	shared.mu.Unlock()
	if err != nil {
		missingPostgres(tb, err)
	}
	return pg.CreateDB(tb)
}

// StopSharedPostgres stops the cluster PostgresURL started, if any. Call it
// from TestMain after m.Run.
func StopSharedPostgres() error {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.pg == nil {
		return nil
	}
	err := shared.pg.Stop()
	shared.pg = nil
	return err
}

var shared struct {
	mu  sync.Mutex
	pg  *Postgres
	err error
}

func missingPostgres(tb testing.TB, err error) {
	tb.Helper()
	msg := fmt.Sprintf("mediatest: no PostgreSQL (%v); `make test` installs Debian's postgresql package, or set BATON_PG_BIN", err)
	if os.Getenv("CI") == "true" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
}

// CreateDB creates an empty database on the cluster and returns its URL; it
// is dropped when tb ends.
func (pg *Postgres) CreateDB(tb testing.TB) string {
	tb.Helper()
	pg.mu.Lock()
	pg.n++
	name := fmt.Sprintf("t%d_%s", pg.n, randomHex(4))
	pg.mu.Unlock()
	if out, err := pg.psql("CREATE DATABASE " + name); err != nil {
		tb.Fatalf("mediatest: create database: %v\n%s", err, out)
	}
	tb.Cleanup(func() {
		pg.mu.Lock()
		stopped := pg.cmd == nil
		pg.mu.Unlock()
		if stopped {
			return // the cluster and all its databases are gone
		}
		// FORCE ends connections a test leaked, which would block the drop.
		if out, err := pg.psql("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			tb.Errorf("mediatest: drop database: %v\n%s", err, out)
		}
	})
	return fmt.Sprintf("postgres://baton@127.0.0.1:%d/%s?sslmode=disable", pg.Port, name)
}

// Exec runs SQL on the maintenance database with psql, for tests that
// need to see or change the server from outside (terminate connections).
func (pg *Postgres) Exec(sql string) (string, error) { return pg.psql(sql) }

func (pg *Postgres) psql(sql string) (string, error) {
	cmd := exec.Command(filepath.Join(pg.bin, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
		"-h", "127.0.0.1", "-p", strconv.Itoa(pg.Port), "-U", "baton", "-d", "postgres", "-At", "-c", sql)
	cmd.Env = append(pgFreeEnviron(), "PGCONNECT_TIMEOUT=10")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func startPostgres() (*Postgres, error) {
	bin, err := postgresBin()
	if err != nil {
		return nil, err
	}
	sweepDeadClusters()
	// Not tb.TempDir: its parents are private to root, and the server may
	// run as another user.
	dir, err := os.MkdirTemp("", "baton-pg-")
	if err != nil {
		return nil, err
	}
	pg := &Postgres{bin: bin, dir: dir}
	ok := false
	defer func() {
		if !ok {
			_ = pg.Stop()
		}
	}()
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root and there is no postgres user to run the server as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		pg.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "baton", "-A", "trust",
		"-E", "UTF8", "--locale=C",
		// The cluster lives for one test run; durability would only cost time.
		"--no-sync")
	initdb.Dir = dir
	initdb.Env = pgFreeEnviron()
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: pg.cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	ports, err := freePorts(1)
	if err != nil {
		return nil, err
	}
	pg.Port = ports[0]
	pg.URL = fmt.Sprintf("postgres://baton@127.0.0.1:%d/postgres?sslmode=disable", pg.Port)
	pg.log = &tailBuffer{max: 64 << 10}
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", data,
		"-p", strconv.Itoa(pg.Port),
		"-c", "listen_addresses=127.0.0.1",
		// TCP only: no socket file in a shared directory.
		"-c", "unix_socket_directories=",
		"-c", "max_connections=300",
		// Test data need not survive a machine crash.
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
	)
	cmd.Dir = dir
	cmd.Env = pgFreeEnviron()
	cmd.Stdout, cmd.Stderr = pg.log, pg.log
	attr := sysProcAttr()
	attr.Credential = pg.cred
	cmd.SysProcAttr = attr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	pg.cmd, pg.exited = cmd, make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(pg.exited)
	}()
	deadline := time.Now().Add(startTimeout)
	for {
		if _, err := pg.psql("SELECT 1"); err == nil {
			break
		}
		select {
		case <-pg.exited:
			return nil, fmt.Errorf("postgres exited during start-up (%s); output:\n%s", cmd.ProcessState, pg.log)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("postgres was not ready within %v; output:\n%s", startTimeout, pg.log)
		}
	}
	ok = true
	return pg, nil
}

// Stop shuts the server down (fast shutdown: open connections are ended)
// and removes its directory.
func (pg *Postgres) Stop() error {
	pg.mu.Lock()
	defer pg.mu.Unlock()
	var err error
	if pg.cmd != nil {
		pid := pg.cmd.Process.Pid
		_ = signalGroup(pid, syscall.SIGINT)
		select {
		case <-pg.exited:
		case <-time.After(10 * time.Second):
			_ = signalGroup(pid, sigKill)
			<-pg.exited
		}
		_ = signalGroup(pid, sigKill)
		pg.cmd = nil
	}
	if pg.dir != "" {
		if rerr := os.RemoveAll(pg.dir); rerr != nil {
			err = fmt.Errorf("remove postgres dir: %w", rerr)
		}
		pg.dir = ""
	}
	return err
}

func postgresBin() (string, error) {
	if d := os.Getenv("BATON_PG_BIN"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err != nil {
			return "", fmt.Errorf("BATON_PG_BIN: %w", err)
		}
		return d, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgVersion(dirs[i]) > pgVersion(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	p, err := exec.LookPath("initdb")
	if err != nil {
		return "", err
	}
	return filepath.Dir(p), nil
}

func pgVersion(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// pgFreeEnviron is our environment without PG* settings, which would point
// the client tools at another server.
func pgFreeEnviron() []string {
	var env []string
	for _, kv := range os.Environ() {
		if len(kv) < 2 || kv[:2] != "PG" {
			env = append(env, kv)
		}
	}
	return env
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// sweepDeadClusters removes the clusters of test binaries that were killed
// before they could stop theirs (a -timeout panic, ^C): directories older
// than a few minutes whose server is not running. A cluster being created
// right now is younger than that.
func sweepDeadClusters() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "baton-pg-*"))
	for _, d := range dirs {
		fi, err := os.Stat(d)
		if err != nil || time.Since(fi.ModTime()) < 10*time.Minute {
			continue
		}
		if b, err := os.ReadFile(filepath.Join(d, "data", "postmaster.pid")); err == nil {
			pid, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
			if pid > 0 && syscall.Kill(pid, 0) == nil {
				continue // its server still runs: someone's test is using it
			}
		}
		_ = os.RemoveAll(d)
	}
}
