package mediatest_test

import (
	"os"
	"strings"
	"testing"

	"github.com/baton-video/baton/media/mediatest"
)

func TestStartPostgres(t *testing.T) {
	pg := mediatest.StartPostgres(t)
	url := pg.CreateDB(t)
	if !strings.HasPrefix(url, "postgres://baton@127.0.0.1:") {
		t.Fatalf("URL = %q", url)
	}
	out, err := pg.Exec("SELECT current_setting('listen_addresses')")
	if err != nil {
		t.Fatal(err, out)
	}
	if got := strings.TrimSpace(out); got != "127.0.0.1" {
		t.Fatalf("listen_addresses = %q, want 127.0.0.1", got)
	}
	dir := pgDir(t, pg)
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("cluster directory %s left behind (%v)", dir, err)
	}
}

func pgDir(t *testing.T, pg *mediatest.Postgres) string {
	t.Helper()
	out, err := pg.Exec("SHOW data_directory")
	if err != nil {
		t.Fatal(err, out)
	}
	return strings.TrimSuffix(strings.TrimSpace(out), "/data")
}
