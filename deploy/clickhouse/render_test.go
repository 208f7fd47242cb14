package clickhouse

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	dir := t.TempDir()
	cfg, err := Render(Params{DataDir: dir, NativePort: 19000, HTTPPort: 18123})
	if err != nil {
		t.Fatal(err)
	}
	if cfg != filepath.Join(dir, "etc", "config.xml") {
		t.Fatalf("config at %s", cfg)
	}
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	if strings.Contains(s, "@") {
		t.Errorf("placeholder left in config:\n%s", s)
	}
	for _, want := range []string{"<tcp_port>19000</tcp_port>", "<http_port>18123</http_port>", "<listen_host>127.0.0.1</listen_host>", "<path>" + dir + "/data/</path>"} {
		if !strings.Contains(s, want) {
			t.Errorf("config lacks %s", want)
		}
	}
	// Every path the server writes to is under the data dir.
	for _, m := range regexp.MustCompile(`<(\w*path|log|errorlog)>([^<]*)<`).FindAllStringSubmatch(s, -1) {
		if !strings.HasPrefix(m[2], dir+"/") {
			t.Errorf("%s = %s, outside %s", m[1], m[2], dir)
		}
	}
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(dir, d)); err != nil {
			t.Errorf("directory %s: %v", d, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "etc", "users.xml")); err != nil {
		t.Error(err)
	}
	if _, err := Render(Params{}); !errors.Is(err, ErrNoDataDir) {
		t.Errorf("no data dir: %v", err)
	}
}

// TestStartShInStep: start.sh renders the same template with sed; it must
// substitute every placeholder and create the same directories.
func TestStartShInStep(t *testing.T) {
	script, err := os.ReadFile("start.sh")
	if err != nil {
		t.Fatal(err)
	}
	placeholders := slices.Compact(slices.Sorted(slices.Values(regexp.MustCompile(`@[A-Z_]+@`).FindAllString(configTemplate, -1))))
	if !slices.Equal(placeholders, []string{"@DATA_DIR@", "@HTTP_PORT@", "@NATIVE_PORT@"}) {
		t.Errorf("template placeholders %v: update Render and start.sh", placeholders)
	}
	for _, p := range placeholders {
		if !strings.Contains(string(script), "s#"+p+"#") {
			t.Errorf("start.sh does not substitute %s", p)
		}
	}
	if !strings.Contains(string(script), "for d in "+strings.Join(dirs, " ")+"; do") {
		t.Errorf("start.sh does not create the directories %v", dirs)
	}
}
