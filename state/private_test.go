package state

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestOnDiskPrivate: with the usual umask 022, a store on disk is a 0700
// directory of 0600 files, after writes, a flush and a reopen; a directory
// left readable by an older version is tightened on open.
func TestOnDiskPrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "state", "stage-1")
	// An older version's directory, readable by all.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "stale"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for round := range 2 {
		s, err := Open(dir, Config{CacheSize: 1 << 20, MemTableSize: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 200 {
			b := s.NewBatch()
			_ = b.Set(int32(i%4), []byte{byte(i), byte(round)}, make([]byte, 4096))
			mustCommit(t, b, map[int32]map[string]int64{int32(i % 4): {"t": int64(i)}})
		}
		if err := s.db.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	files := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		want := fileMode
		if d.IsDir() {
			want = dirMode
		} else {
			files++
		}
		if info.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", p, info.Mode().Perm(), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 4 {
		t.Fatalf("only %d files checked", files)
	}
}
