package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// The layout rules of STYLE.md, checked on every run so that they hold by
// themselves rather than by review: the domain package links nothing but
// the standard library, and each third-party dependency that an adapter
// wraps is imported by that adapter alone (tests included: a test that
// reaches past the adapter would be the first copy of its knowledge).

const module = "github.com/baton-video/baton"

// adapterOnly maps an import path prefix to the one package of ours that
// may import it; "" means none may.
var adapterOnly = map[string]string{
	"gorm.io/":                     module + "/media/gormstore",
	"github.com/minio/minio-go/":   module + "/media/s3store",
	"github.com/u2takey/ffmpeg-go": module + "/transcode",
	"github.com/prometheus/":       module + "/media/prommetrics",
	// ffmpeg-go links the AWS SDK for an upload helper we never call.
	"github.com/aws/aws-sdk-go": "",
}

// listedPackage is the part of `go list -json` the rules read.
type listedPackage struct {
	ImportPath   string
	Standard     bool
	Imports      []string
	TestImports  []string
	XTestImports []string
}

func goList(tb testing.TB, args ...string) []listedPackage {
	tb.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, serr := os.Stat(goBin); serr != nil {
			if os.Getenv("CI") == "true" {
				tb.Fatalf("the go command is not on PATH: %v", err)
			}
			tb.Skipf("the go command is not on PATH: %v", err)
		}
	}
	cmd := exec.Command(goBin, append([]string{"list", "-json"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			tb.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 {
		tb.Fatalf("go list %s listed nothing", strings.Join(args, " "))
	}
	return pkgs
}

// TestMediaImportsOnlyTheStandardLibrary: media is the domain; everything
// points at it and it points at nothing but the standard library, however
// indirectly.
func TestMediaImportsOnlyTheStandardLibrary(t *testing.T) {
	for _, p := range goList(t, "-deps", module+"/media") {
		if !p.Standard && p.ImportPath != module+"/media" {
			t.Errorf("media links %s; the domain package may import the standard library only", p.ImportPath)
		}
	}
}

// TestDependenciesStayInTheirAdapter: GORM only in media/gormstore, minio-go
// only in media/s3store, ffmpeg-go only in transcode, counting test files.
func TestDependenciesStayInTheirAdapter(t *testing.T) {
	pkgs := goList(t, module+"/...")
	for _, p := range pkgs {
		imports := slices.Concat(p.Imports, p.TestImports, p.XTestImports)
		for _, imp := range imports {
			for prefix, owner := range adapterOnly {
				if strings.HasPrefix(imp, prefix) && p.ImportPath != owner {
					if owner == "" {
						t.Errorf("%s imports %s, which no package of ours may import", p.ImportPath, imp)
					} else {
						t.Errorf("%s imports %s; only %s may (one adapter package per dependency)", p.ImportPath, imp, owner)
					}
				}
			}
		}
	}
	// Each owner does import its dependency: a misspelt prefix would make
	// its rule match nothing and prove nothing.
	for prefix, owner := range adapterOnly {
		if owner == "" {
			continue
		}
		i := slices.IndexFunc(pkgs, func(p listedPackage) bool { return p.ImportPath == owner })
		if i < 0 {
			t.Errorf("go list did not list %s", owner)
			continue
		}
		if !slices.ContainsFunc(pkgs[i].Imports, func(imp string) bool { return strings.HasPrefix(imp, prefix) }) {
			t.Errorf("%s imports nothing under %s: the rule for it is stale", owner, prefix)
		}
	}
}

// TestServerLinksNoTestCode: the binary never carries test helpers (a real
// MinIO starter, ffmpeg test-video makers, an SMTP server, the notification
// fixture: every package of ours named *test) or the testing package.
func TestServerLinksNoTestCode(t *testing.T) {
	for _, p := range goList(t, "-deps", module+"/cmd/baton") {
		ours := strings.HasPrefix(p.ImportPath, module+"/")
		if ours && strings.HasSuffix(p.ImportPath, "test") || p.ImportPath == "testing" {
			t.Errorf("the baton binary links %s", p.ImportPath)
		}
	}
}
