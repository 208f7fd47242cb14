package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"
)

// composeService is what TestComposeFile reads of a compose service.
type composeService struct {
	Image       string            `yaml:"image"`
	Build       any               `yaml:"build"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Ports       []string          `yaml:"ports"`
}

// secretEnv are HELDSWAY_* variables read directly, not as flags.
var secretEnv = regexp.MustCompile(`^HELDSWAY_(API_TOKEN|HASH_KEY|KAFKA_SASL_PASSWORD|CLICKHOUSE_PASSWORD|(SHOPIFY|WOOCOMMERCE|STRIPE|PADDLE)_SECRET|(STRIPE|PADDLE)_API_KEY)$`)

func readCompose(t *testing.T) map[string]composeService {
	t.Helper()
	b, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Services map[string]composeService `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("parsing docker-compose.yml: %v", err)
	}
	return f.Services
}

// flagOf finds a flag of c by name, its own or inherited.
func flagOf(c *cobra.Command, name string) *pflag.Flag {
	if f := c.Flags().Lookup(name); f != nil {
		return f
	}
	return c.InheritedFlags().Lookup(name)
}

// TestComposeFile checks docker-compose.yml against the binary: every
// HeldSway service runs a real subcommand with flags it has and HELDSWAY_*
// variables that name its flags (or secrets it reads); the stack runs
// every service production needs; the image is built once; and only the
// ingest edge is published beyond loopback.
func TestComposeFile(t *testing.T) {
	services := readCompose(t)
	ran := map[string]string{} // subcommand -> service
	builds := 0
	for name, svc := range services {
		if svc.Build != nil {
			builds++
		}
		heldsway := svc.Image == "heldsway:local" || svc.Build != nil
		if svc.Build != nil && svc.Image != "heldsway:local" {
			t.Errorf("%s builds an image without naming it heldsway:local, so the other services cannot reuse it", name)
		}
		for _, p := range svc.Ports {
			if !strings.HasPrefix(p, "127.0.0.1:") && name != "ingest" {
				t.Errorf("%s publishes %q on every interface; only the ingest edge may (use 127.0.0.1:)", name, p)
			}
		}
		if !heldsway {
			continue
		}
		if len(svc.Command) == 0 {
			t.Errorf("%s: no command", name)
			continue
		}
		root := newRoot()
		cmd, rest, err := root.Find(svc.Command)
		if err != nil || cmd == root {
			t.Errorf("%s: command %q is not a heldsway subcommand (%v)", name, svc.Command, err)
			continue
		}
		ran[cmd.CommandPath()] = name
		for _, arg := range rest {
			if !strings.HasPrefix(arg, "--") {
				t.Errorf("%s: argument %q: write flags as --name=value", name, arg)
				continue
			}
			fname, value, _ := strings.Cut(strings.TrimPrefix(arg, "--"), "=")
			f := flagOf(cmd, fname)
			if f == nil {
				t.Errorf("%s: `%s` has no flag --%s", name, cmd.CommandPath(), fname)
				continue
			}
			if err := f.Value.Set(value); err != nil {
				t.Errorf("%s: --%s=%s: %v", name, fname, value, err)
			}
		}
		for env, value := range svc.Environment {
			if !strings.HasPrefix(env, "HELDSWAY_") || secretEnv.MatchString(env) {
				continue
			}
			flag := strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(env, "HELDSWAY_"), "_", "-"))
			f := flagOf(cmd, flag)
			if f == nil {
				t.Errorf("%s: %s names no flag of `%s` (--%s), so it is ignored", name, env, cmd.CommandPath(), flag)
				continue
			}
			if strings.Contains(value, "${") {
				continue // set by compose from the environment
			}
			if err := f.Value.Set(value); err != nil {
				t.Errorf("%s: %s=%s: %v", name, env, value, err)
			}
		}
	}
	for _, want := range []string{"heldsway ingest", "heldsway process", "heldsway sink"} {
		if ran[want] == "" {
			t.Errorf("no service runs `%s`", want)
		}
	}
	if s, ok := services[ran["heldsway sink"]]; ok && !slices.ContainsFunc(s.Command, func(a string) bool { return strings.HasPrefix(a, "--dashboard-addr=") }) {
		t.Error("the sink service serves no /dashboard (--dashboard-addr)")
	}
	if builds != 1 {
		t.Errorf("%d services build an image; build heldsway:local once and reuse it", builds)
	}
}

// TestDockerfileToolchain checks that the image builds with go.mod's
// toolchain: golang images set GOTOOLCHAIN=local, which would ignore it.
func TestDockerfileToolchain(t *testing.T) {
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^toolchain (\S+)$`).FindSubmatch(mod)
	if m == nil {
		t.Fatal("go.mod has no toolchain line")
	}
	d := string(b)
	if !strings.Contains(d, "ENV GOTOOLCHAIN=auto") && !strings.Contains(d, "ENV GOTOOLCHAIN="+string(m[1])) {
		t.Errorf("Dockerfile does not override the golang image's GOTOOLCHAIN=local with auto or %s", m[1])
	}
}
