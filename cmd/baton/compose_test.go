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
			Profiles    []string          `yaml:"profiles"`
			Command     []string          `yaml:"command"`
			Volumes     []string          `yaml:"volumes"`
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

	// The scale profile: Postgres pinned and health-checked, two APIs
	// without workers and two workers on Postgres and MinIO, Caddy in front.
	if img := doc.Services["postgres"].Image; !regexp.MustCompile(`^postgres:\d+\.\d+(-\w+)?$`).MatchString(img) {
		t.Errorf("postgres image %q is not pinned to a minor release", img)
	}
	if doc.Services["postgres"].Healthcheck == nil {
		t.Error("postgres has no healthcheck")
	}
	for _, name := range []string{"postgres", "api1", "api2", "worker1", "worker2", "lb"} {
		svc, ok := doc.Services[name]
		if !ok {
			t.Fatalf("scale service %q missing", name)
		}
		if len(svc.Profiles) != 1 || svc.Profiles[0] != "scale" {
			t.Errorf("%s is not in the scale profile only: %v", name, svc.Profiles)
		}
		for k := range svc.Environment {
			if strings.HasPrefix(k, "BATON_") && !known[k] {
				t.Errorf("%s sets unknown variable %s", name, k)
			}
		}
	}
	for _, name := range []string{"api1", "api2", "worker1", "worker2"} {
		svc := doc.Services[name]
		if !strings.HasPrefix(svc.Environment["BATON_DATABASE_URL"], "postgres://") {
			t.Errorf("%s is not on Postgres", name)
		}
		if svc.DependsOn["postgres"].Condition != "service_healthy" {
			t.Errorf("%s does not wait for a healthy postgres", name)
		}
	}
	for _, name := range []string{"api1", "api2"} {
		svc := doc.Services[name]
		if svc.Environment["BATON_WORKERS"] != "0" || svc.Healthcheck == nil || svc.Environment["BATON_INTERNAL_URL"] != "http://"+name+":8080" {
			t.Errorf("%s: want BATON_WORKERS=0, a healthcheck and its own BATON_INTERNAL_URL", name)
		}
	}
	for _, name := range []string{"worker1", "worker2"} {
		if c := doc.Services[name].Command; len(c) != 1 || c[0] != "worker" {
			t.Errorf("%s runs %v, want baton worker", name, c)
		}
	}
	if img := doc.Services["lb"].Image; !regexp.MustCompile(`^caddy:\d+\.\d+\.\d+`).MatchString(img) {
		t.Errorf("lb image %q is not pinned", img)
	}
	caddy, err := os.ReadFile("../../configs/Caddyfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"api1:8080 api2:8080", "lb_policy round_robin", "health_uri /readyz", "flush_interval -1"} {
		if !strings.Contains(string(caddy), want) {
			t.Errorf("Caddyfile lacks %q", want)
		}
	}
	if strings.Contains(string(caddy), "request_buffers") || strings.Contains(string(caddy), "lb_policy ip_hash") {
		t.Error("the load balancer must neither buffer uploads nor pin clients")
	}
}
