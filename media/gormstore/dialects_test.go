package gormstore_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/baton-video/baton/media/mediatest"
)

// Every store test runs twice: on SQLite as itself, and on Postgres as a
// subtest of TestPostgres, which switches MustOpen to a fresh Postgres
// database per test (on one cluster for the whole package).
var (
	pgMu     sync.Mutex
	pgActive bool
	pgByPath = map[string]string{} // SQLite path a test asked for -> its Postgres database
)

func TestMain(m *testing.M) {
	code := m.Run()
	if err := mediatest.StopSharedPostgres(); err != nil {
		println(err.Error())
		code = 1
	}
	os.Exit(code)
}

func dialectURL(tb testing.TB, path string) string {
	tb.Helper()
	pgMu.Lock()
	active := pgActive
	url, ok := pgByPath[path]
	pgMu.Unlock()
	if !active {
		return path
	}
	if !ok {
		url = mediatest.PostgresURL(tb)
		pgMu.Lock()
		pgByPath[path] = url
		pgMu.Unlock()
	}
	return url
}

// sqliteOnly are tests of SQLite's own behaviour.
var sqliteOnly = map[string]bool{
	// Its "feed notice" case stands a second handle on the same file in for
	// another process, whose change only a notice can announce; on Postgres
	// the real feed announces it (TestVideoCacheAcrossProcesses).
	"TestVideoCacheSeesEveryWrite": true,
}

// dialectSuite is every Test function of the package but TestPostgres and
// those above; TestSuiteListsEveryTest keeps it complete.
var dialectSuite = map[string]func(*testing.T){
	"TestVideoCRUD":                                      TestVideoCRUD,
	"TestVideoDefaultSpeed":                              TestVideoDefaultSpeed,
	"TestFollowUpsEnqueueOnceAndExpire":                  TestFollowUpsEnqueueOnceAndExpire,
	"TestFollowUpsYieldToProcessing":                     TestFollowUpsYieldToProcessing,
	"TestClaimPrefersUploads":                            TestClaimPrefersUploads,
	"TestSummaryStore":                                   TestSummaryStore,
	"TestSearchRespectsLibrary":                          TestSearchRespectsLibrary,
	"TestApplyEditMovesCommentsAndUndo":                  TestApplyEditMovesCommentsAndUndo,
	"TestListVideosPages":                                TestListVideosPages,
	"TestMigrationsReopen":                               TestMigrationsReopen,
	"TestEnqueueIsIdempotent":                            TestEnqueueIsIdempotent,
	"TestClaimIsExclusive":                               TestClaimIsExclusive,
	"TestLeaseLifecycle":                                 TestLeaseLifecycle,
	"TestReapFailsVideoAfterMaxAttempts":                 TestReapFailsVideoAfterMaxAttempts,
	"TestCompleteUpdatesVideoAtomically":                 TestCompleteUpdatesVideoAtomically,
	"TestCommentThreadsOrderRepliesAndPages":             TestCommentThreadsOrderRepliesAndPages,
	"TestCommentReplyToAnotherVideosComment":             TestCommentReplyToAnotherVideosComment,
	"TestCommentCheckRefusalRollsBack":                   TestCommentCheckRefusalRollsBack,
	"TestCommentDeletePlaceholderAndHistory":             TestCommentDeletePlaceholderAndHistory,
	"TestCommentEditRewritesHistory":                     TestCommentEditRewritesHistory,
	"TestReactionsCountsAndEvents":                       TestReactionsCountsAndEvents,
	"TestCommentEventsConcurrentAndCascade":              TestCommentEventsConcurrentAndCascade,
	"TestVideoSettingsDefaultsAndPersist":                TestVideoSettingsDefaultsAndPersist,
	"TestCommentBatchesPublishInOrder":                   TestCommentBatchesPublishInOrder,
	"TestCommentBatchSurvivesPanicsAndCancellation":      TestCommentBatchSurvivesPanicsAndCancellation,
	"TestEventCursor":                                    TestEventCursor,
	"TestFirstUserIsAdminAndAdoptsVideos":                TestFirstUserIsAdminAndAdoptsVideos,
	"TestInviteIsUsedOnce":                               TestInviteIsUsedOnce,
	"TestSessionsAndTokensStore":                         TestSessionsAndTokensStore,
	"TestCountViewStopsAtTheBudget":                      TestCountViewStopsAtTheBudget,
	"TestClaimTickOncePerPeriod":                         TestClaimTickOncePerPeriod,
	"TestUploadOwners":                                   TestUploadOwners,
	"TestStrandedVideosGrace":                            TestStrandedVideosGrace,
	"TestNotifyStore":                                    TestNotifyStore,
	"TestAskLinksLiveAndDieWithTheAsk":                   TestAskLinksLiveAndDieWithTheAsk,
	"TestViewReceiptsAndAskActivity":                     TestViewReceiptsAndAskActivity,
	"TestCheckinStore":                                   TestCheckinStore,
	"TestAskRemindersOnlyToThoseWhoOwe":                  TestAskRemindersOnlyToThoseWhoOwe,
	"TestCheckinPromptsEachAtTheirTenAndCompilesTheReel": TestCheckinPromptsEachAtTheirTenAndCompilesTheReel,
}

// dialectOwn are tests that run their own dialects (or are about the
// harness) and are not repeated.
var dialectOwn = map[string]bool{
	"TestPostgres": true, "TestSuiteListsEveryTest": true,
	// Postgres only: they are about processes sharing a database.
	"TestFeedAcrossProcesses": true, "TestFeedCatchesUpAfterReconnect": true,
	"TestVideoCacheAcrossProcesses": true,
}

func TestPostgres(t *testing.T) {
	names := make([]string, 0, len(dialectSuite))
	for n := range dialectSuite {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if sqliteOnly[n] {
			continue
		}
		t.Run(strings.TrimPrefix(n, "Test"), func(t *testing.T) {
			pgMu.Lock()
			pgActive = true
			pgMu.Unlock()
			defer func() {
				pgMu.Lock()
				pgActive = false
				pgMu.Unlock()
			}()
			dialectSuite[n](t)
		})
	}
}

// A test added to the package without being added to dialectSuite would
// silently run on SQLite only.
func TestSuiteListsEveryTest(t *testing.T) {
	files, _ := filepath.Glob("*_test.go")
	fset := token.NewFileSet()
	for _, f := range files {
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		if af.Name.Name != "gormstore_test" {
			continue // internal tests of pure logic, no database
		}
		for _, d := range af.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv != nil || !strings.HasPrefix(fd.Name.Name, "Test") || fd.Name.Name == "TestMain" {
				continue
			}
			n := fd.Name.Name
			if _, ok := dialectSuite[n]; !ok && !dialectOwn[n] && !sqliteOnly[n] {
				t.Errorf("%s (%s) is not in dialectSuite (dialects_test.go): it would run on SQLite only", n, f)
			}
		}
	}
}
