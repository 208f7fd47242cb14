package clickhouse

import (
	"errors"
	"slices"
	"testing"
	"testing/fstest"
)

func TestSplitStatements(t *testing.T) {
	sql := "-- comment; with a semicolon\nCREATE TABLE a (\n  x String -- trailing\n);\n\n  -- another\nCREATE TABLE b (y Int64);\nSELECT 1"
	got := splitStatements(sql)
	want := []string{"CREATE TABLE a (\n  x String -- trailing\n)", "CREATE TABLE b (y Int64)", "SELECT 1"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

func TestLoadMigrations(t *testing.T) {
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 || ms[0].version != 1 || ms[0].name != "raw_tables" {
		t.Fatalf("migrations = %+v", ms)
	}
	if n := len(ms[0].statements); n != len(tables) {
		t.Fatalf("0001 has %d statements, want one per table (%d)", n, len(tables))
	}

	fsys := fstest.MapFS{
		"migrations/0002_b.sql": {Data: []byte("SELECT 2;")},
		"migrations/0001_a.sql": {Data: []byte("SELECT 1;\nSELECT 11;")},
	}
	ms, err = loadMigrations(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].version != 1 || ms[1].version != 2 || len(ms[0].statements) != 2 {
		t.Fatalf("migrations = %+v", ms)
	}

	for name, fsys := range map[string]fstest.MapFS{
		"bad name":    {"migrations/1_a.sql": {Data: []byte("SELECT 1;")}},
		"dup version": {"migrations/0001_a.sql": {Data: []byte("SELECT 1;")}, "migrations/0001_b.sql": {Data: []byte("SELECT 1;")}},
		"empty":       {"migrations/0001_a.sql": {Data: []byte("-- nothing\n")}},
		"upper case":  {"migrations/0001_A.sql": {Data: []byte("SELECT 1;")}},
	} {
		if _, err := loadMigrations(fsys); !errors.Is(err, ErrBadMigration) {
			t.Errorf("%s: %v, want ErrBadMigration", name, err)
		}
	}
}
