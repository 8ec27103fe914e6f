package api

import (
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestOpenAPIMatchesRoutes keeps the spec honest: it must parse, every $ref
// must resolve, every documented operation must be routed and every API
// route documented.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc map[string]any
	if err := yaml.Unmarshal(OpenAPI, &doc); err != nil {
		t.Fatalf("openapi.yaml does not parse: %v", err)
	}
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.") {
		t.Fatalf("openapi version = %q, want 3.x", v)
	}
	for _, k := range []string{"info", "paths", "components"} {
		if _, ok := doc[k]; !ok {
			t.Fatalf("openapi.yaml has no %s", k)
		}
	}
	checkRefs(t, doc, doc)

	documented := map[string]bool{}
	param := regexp.MustCompile(`\{(\w+)\}`)
	for p, item := range doc["paths"].(map[string]any) {
		for method, op := range item.(map[string]any) {
			if method == "parameters" {
				continue
			}
			if _, ok := op.(map[string]any)["responses"]; !ok {
				t.Errorf("%s %s has no responses", method, p)
			}
			documented[strings.ToUpper(method)+" "+param.ReplaceAllString(p, ":$1")] = true
		}
	}
	s := newTestServer(t)
	routed := map[string]bool{}
	for _, r := range s.engine.Routes() {
		if isAPIPath(r.Path) {
			routed[r.Method+" "+r.Path] = true
		}
	}
	for k := range routed {
		if !documented[k] {
			t.Errorf("route %s is not in openapi.yaml", k)
		}
	}
	for k := range documented {
		if !routed[k] {
			t.Errorf("openapi.yaml documents %s, which is not routed", k)
		}
	}
	if t.Failed() {
		keys := make([]string, 0, len(routed))
		for k := range routed {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		t.Logf("routes: %v", keys)
	}
}

func isAPIPath(p string) bool {
	return strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/media/") || strings.HasPrefix(p, "/email/") ||
		p == "/healthz" || p == "/readyz" || p == "/metrics" || p == "/oembed"
}

func checkRefs(t *testing.T, root, node any) {
	t.Helper()
	switch n := node.(type) {
	case map[string]any:
		for k, v := range n {
			if k == "$ref" {
				ref, _ := v.(string)
				if !resolves(root, ref) {
					t.Errorf("$ref %q does not resolve", ref)
				}
				continue
			}
			checkRefs(t, root, v)
		}
	case []any:
		for _, v := range n {
			checkRefs(t, root, v)
		}
	}
}

func resolves(root any, ref string) bool {
	if !strings.HasPrefix(ref, "#/") {
		return false
	}
	cur := root
	for _, part := range strings.Split(ref[2:], "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		if cur, ok = m[part]; !ok {
			return false
		}
	}
	return true
}
