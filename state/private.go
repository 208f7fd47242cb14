package state

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// Data at rest is private to the user running HeldSway: the state
// directory is 0700 and every file in it 0600, whatever the umask, since
// it holds customer keys and order details.
const (
	dirMode  os.FileMode = 0o700
	fileMode os.FileMode = 0o600
	// PrivateFileMode is the mode of a file in a private data directory.
	PrivateFileMode = fileMode
)

// MakePrivate creates dir 0700 and tightens what it already holds (a
// directory from an older version) to 0700 directories and 0600 files.
// The embedded broker's data directory is made private the same way.
func MakePrivate(dir string) error {
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

// privateFS is the operating system's filesystem where every file Pebble
// creates is 0600 and every directory 0700.
type privateFS struct{ vfs.FS }

func (p privateFS) Create(name string, c vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := p.FS.Create(name, c)
	return p.chmod(f, err, name)
}

func (p privateFS) ReuseForWrite(oldname, newname string, c vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := p.FS.ReuseForWrite(oldname, newname, c)
	return p.chmod(f, err, newname)
}

func (p privateFS) OpenReadWrite(name string, c vfs.DiskWriteCategory, opts ...vfs.OpenOption) (vfs.File, error) {
	f, err := p.FS.OpenReadWrite(name, c, opts...)
	return p.chmod(f, err, name)
}

func (p privateFS) Lock(name string) (io.Closer, error) {
	l, err := p.FS.Lock(name)
	if err == nil {
		if err := os.Chmod(name, fileMode); err != nil {
			l.Close()
			return nil, err
		}
	}
	return l, err
}

func (p privateFS) MkdirAll(dir string, _ os.FileMode) error {
	if err := p.FS.MkdirAll(dir, dirMode); err != nil {
		return err
	}
	return os.Chmod(dir, dirMode)
}

func (p privateFS) chmod(f vfs.File, err error, name string) (vfs.File, error) {
	if err != nil {
		return f, err
	}
	if err := os.Chmod(name, fileMode); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
