package broker

import (
	"io/fs"
	"os"
	"path/filepath"
)

// The data directory holds every accepted event: it is private to the user
// running the broker, 0700 with 0600 files.
const (
	dirMode  os.FileMode = 0o700
	fileMode os.FileMode = 0o600
)

// makePrivate creates dir 0700 and tightens everything in it to 0700
// directories and 0600 files.
func makePrivate(dir string) error {
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return err
	}
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil // removed while walking (a compaction)
			}
			return err
		}
		var cerr error
		switch {
		case d.IsDir():
			cerr = os.Chmod(p, dirMode)
		case d.Type().IsRegular():
			cerr = os.Chmod(p, fileMode)
		}
		if os.IsNotExist(cerr) {
			return nil
		}
		return cerr
	})
}
