package main

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// version is set at build time with -ldflags "-X main.version=..."; left
// at "dev", the module version from the build info is shown instead.
var version = "dev"

// versionString is what --version prints: the version, then the module,
// the commit (with "+dirty" when the tree had uncommitted changes) and the
// Go release, all from the build info the go command embeds.
func versionString(info *debug.BuildInfo, ok bool) string {
	if !ok || info == nil {
		return version + " (no build info)"
	}
	v := version
	if v == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		v = info.Main.Version
	}
	commit, dirty, at := "unknown", false, ""
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		case "vcs.time":
			at = s.Value
		}
	}
	if dirty {
		commit += "+dirty"
	}
	parts := []string{"module " + info.Main.Path, "commit " + commit}
	if at != "" {
		parts = append(parts, "committed "+at)
	}
	parts = append(parts, info.GoVersion)
	return fmt.Sprintf("%s (%s)", v, strings.Join(parts, ", "))
}
