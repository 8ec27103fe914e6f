package main

import (
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/baton-video/baton/media/mediatest"
)

// The API tests below run on SQLite as themselves and again on Postgres as
// subtests of TestPostgresAPI, which makes testConfig give each server a
// fresh Postgres database (on one cluster for the package).
var postgresAPISuite = map[string]func(*testing.T){
	"TestUploadProcessWatch":         TestUploadProcessWatch,
	"TestCommentsAPI":                TestCommentsAPI,
	"TestReactionsAPI":               TestReactionsAPI,
	"TestCommentEventsLiveAndReplay": TestCommentEventsLiveAndReplay,
	"TestCommentsConcurrent":         TestCommentsConcurrent,
	"TestAuthorizationMatrix":        TestAuthorizationMatrix,
	"TestWorkspaceAndPasswordAccess": TestWorkspaceAndPasswordAccess,
	"TestViewLimitAndDownload":       TestViewLimitAndDownload,
	"TestRefusedUploads":             TestRefusedUploads,
	"TestAPIErrors":                  TestAPIErrors,
	"TestNotificationsOverHTTP":      TestNotificationsOverHTTP,
	"TestSpeechTranscriptEndToEnd":   TestSpeechTranscriptEndToEnd,
	"TestTrimKeepsCommentsInPlace":   TestTrimKeepsCommentsInPlace,
	"TestSummaryAfterTranscript":     TestSummaryAfterTranscript,
}

var (
	pgMu     sync.Mutex
	pgActive bool
)

func TestMain(m *testing.M) {
	code := m.Run()
	if err := mediatest.StopSharedPostgres(); err != nil {
		println(err.Error())
		code = 1
	}
	os.Exit(code)
}

// testDatabaseURL is "" (SQLite in the data dir) unless TestPostgresAPI is
// running.
func testDatabaseURL(tb testing.TB) string {
	tb.Helper()
	pgMu.Lock()
	active := pgActive
	pgMu.Unlock()
	if !active {
		return ""
	}
	return mediatest.PostgresURL(tb)
}

func TestPostgresAPI(t *testing.T) {
	names := make([]string, 0, len(postgresAPISuite))
	for n := range postgresAPISuite {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		t.Run(strings.TrimPrefix(n, "Test"), func(t *testing.T) {
			pgMu.Lock()
			pgActive = true
			pgMu.Unlock()
			defer func() {
				pgMu.Lock()
				pgActive = false
				pgMu.Unlock()
			}()
			postgresAPISuite[n](t)
		})
	}
}
