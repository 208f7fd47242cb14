package secretstore

import (
	"os"
	"path/filepath"
	"testing"
)

func TestGenerated(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "secrets")
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte(" from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const env = "SECRETSTORE_TEST_TOKEN"

	t.Setenv(env, "")
	first, err := Generated(Config{Env: env, Dir: dir, Name: "api-token"})
	if err != nil || len(first) != 64 {
		t.Fatalf("generated %q, %v: want 64 hex characters", first, err)
	}
	st, err := os.Stat(filepath.Join(dir, "api-token"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("stored secret: %v, mode %v; want 0600", err, st.Mode())
	}
	if d, _ := os.Stat(dir); d.Mode().Perm() != 0o700 {
		t.Errorf("secrets dir mode %v, want 0700", d.Mode().Perm())
	}
	for _, tt := range []struct {
		name, env, file, want string
	}{
		{"stored one is stable", "", "", first},
		{"env wins over the stored one", "from-env", "", "from-env"},
		{"file wins over env", "from-env", file, "from-file"},
	} {
		t.Setenv(env, tt.env)
		got, err := Generated(Config{Env: env, File: tt.file, Dir: dir, Name: "api-token"})
		if err != nil || got != tt.want {
			t.Errorf("%s: %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
	if _, err := Generated(Config{Env: env, File: filepath.Join(dir, "missing"), Dir: dir, Name: "x"}); err == nil {
		t.Error("a named file that does not exist must be an error")
	}
	if _, err := Generated(Config{Env: env}); err == nil {
		t.Error("no dir and name must be an error")
	}
}
