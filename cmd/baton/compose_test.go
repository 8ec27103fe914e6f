package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestDockerCompose keeps docker-compose.yml from rotting: the services
// exist, images are pinned, MinIO is health-checked before Baton starts, and
// every BATON_ variable it sets is one Baton knows.
func TestDockerCompose(t *testing.T) {
	b, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Services map[string]struct {
			Image       string            `yaml:"image"`
			Build       any               `yaml:"build"`
			Environment map[string]string `yaml:"environment"`
			Healthcheck map[string]any    `yaml:"healthcheck"`
			DependsOn   map[string]struct {
				Condition string `yaml:"condition"`
			} `yaml:"depends_on"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("docker-compose.yml does not parse: %v", err)
	}
	for _, name := range []string{"baton", "minio", "createbucket"} {
		if _, ok := doc.Services[name]; !ok {
			t.Fatalf("service %q missing", name)
		}
	}
	pinned := regexp.MustCompile(`^[\w./-]+:RELEASE\.\d{4}-\d{2}-\d{2}T[\w-]+Z$`)
	for _, name := range []string{"minio", "createbucket"} {
		if img := doc.Services[name].Image; !pinned.MatchString(img) {
			t.Errorf("service %s image %q is not pinned to a release", name, img)
		}
	}
	if doc.Services["minio"].Healthcheck == nil {
		t.Error("minio has no healthcheck")
	}
	baton := doc.Services["baton"]
	if baton.Build == nil {
		t.Error("baton is not built from this repository")
	}
	if baton.DependsOn["minio"].Condition != "service_healthy" {
		t.Error("baton does not wait for a healthy minio")
	}
	if baton.Healthcheck == nil {
		t.Error("baton has no healthcheck")
	}
	known := map[string]bool{}
	for _, s := range settings {
		known[s.Env] = true
	}
	for k := range baton.Environment {
		if strings.HasPrefix(k, "BATON_") && !known[k] {
			t.Errorf("compose sets unknown variable %s", k)
		}
	}
	for _, k := range []string{"BATON_S3_ENDPOINT", "BATON_S3_BUCKET", "BATON_S3_ACCESS_KEY", "BATON_S3_SECRET_KEY"} {
		if baton.Environment[k] == "" {
			t.Errorf("baton does not set %s, so it would not use MinIO", k)
		}
	}
}
