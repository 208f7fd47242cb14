package clickhouse

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

//go:embed config.xml
var configTemplate string

//go:embed users.xml
var usersXML string

// Params says where a server keeps its files and which loopback ports it
// listens on.
type Params struct {
	// DataDir holds the rendered configuration (etc/), data, tmp, logs and
	// user files. Required; made absolute.
	DataDir string
	// NativePort is the native protocol port. Default 9000.
	NativePort int
	// HTTPPort is the HTTP interface port. Default 8123.
	HTTPPort int
}

// ErrNoDataDir is returned by Render when Params.DataDir is empty.
var ErrNoDataDir = errors.New("clickhouse: data dir is required")

// dirs are the directories under DataDir a server writes to.
var dirs = []string{"etc", "data", "tmp", "log", "user_files", "format_schemas"}

// Render writes DataDir/etc/config.xml and DataDir/etc/users.xml, creates the
// directories the server writes to and returns the path of config.xml, to
// pass as --config-file.
func Render(p Params) (string, error) {
	if p.DataDir == "" {
		return "", ErrNoDataDir
	}
	if p.NativePort == 0 {
		p.NativePort = 9000
	}
	if p.HTTPPort == 0 {
		p.HTTPPort = 8123
	}
	dir, err := filepath.Abs(p.DataDir)
	if err != nil {
		return "", fmt.Errorf("resolving data dir: %w", err)
	}
	for _, d := range dirs {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o750); err != nil {
			return "", fmt.Errorf("creating %s: %w", d, err)
		}
	}
	config := strings.NewReplacer(
		"@DATA_DIR@", dir,
		"@NATIVE_PORT@", strconv.Itoa(p.NativePort),
		"@HTTP_PORT@", strconv.Itoa(p.HTTPPort),
	).Replace(configTemplate)
	path := filepath.Join(dir, "etc", "config.xml")
	if err := os.WriteFile(path, []byte(config), 0o640); err != nil {
		return "", fmt.Errorf("writing config: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "etc", "users.xml"), []byte(usersXML), 0o640); err != nil {
		return "", fmt.Errorf("writing users: %w", err)
	}
	return path, nil
}
