package clickhouse

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"go.uber.org/zap"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one embedded SQL file: NNNN_name.sql, statements separated
// by a semicolon at the end of a line.
type migration struct {
	version    uint32
	name       string
	statements []string
}

// addColumn matches an ALTER TABLE ... ADD COLUMN statement.
var addColumn = regexp.MustCompile(`(?is)^\s*ALTER\s+TABLE\s+\S+\s+ADD\s+COLUMN\s`)

var migrationName = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+)\.sql$`)

// loadMigrations reads the migrations in fsys's migrations/ directory in
// version order.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("listing migrations: %w", err)
	}
	var ms []migration
	seen := map[uint32]string{}
	for _, name := range names {
		base := path.Base(name)
		m := migrationName.FindStringSubmatch(base)
		if m == nil {
			return nil, fmt.Errorf("%w: %s: name it NNNN_lower_snake.sql", ErrBadMigration, base)
		}
		v, _ := strconv.ParseUint(m[1], 10, 32)
		if prev, dup := seen[uint32(v)]; dup {
			return nil, fmt.Errorf("%w: %s and %s share version %d", ErrBadMigration, prev, base, v)
		}
		seen[uint32(v)] = base
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", base, err)
		}
		stmts := splitStatements(string(data))
		if len(stmts) == 0 {
			return nil, fmt.Errorf("%w: %s has no statements", ErrBadMigration, base)
		}
		ms = append(ms, migration{version: uint32(v), name: m[2], statements: stmts})
	}
	slices.SortFunc(ms, func(a, b migration) int { return int(a.version) - int(b.version) })
	return ms, nil
}

// splitStatements drops whole-line -- comments and splits on semicolons
// that end a line. The native protocol takes one statement per query.
func splitStatements(sql string) []string {
	var stmts []string
	var cur strings.Builder
	flush := func() {
		if s := strings.TrimSpace(cur.String()); s != "" {
			stmts = append(stmts, s)
		}
		cur.Reset()
	}
	for line := range strings.Lines(sql) {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "--") {
			continue
		}
		if s, ok := strings.CutSuffix(trimmed, ";"); ok {
			cur.WriteString(s)
			flush()
			continue
		}
		cur.WriteString(line)
	}
	flush()
	return stmts
}

// schemaMigrationsDDL records applied migrations. ReplacingMergeTree keeps
// one row per version should two processes migrate at once; every
// statement is idempotent, so that race is harmless.
const schemaMigrationsDDL = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version UInt32,
    name String,
    applied_at DateTime('UTC') DEFAULT now()
) ENGINE = ReplacingMergeTree()
ORDER BY version`

// migrate applies the migrations not yet recorded in schema_migrations, in
// order, on conn (whose default database is the target). Re-running is a
// no-op. It returns how many it applied.
func migrate(ctx context.Context, conn driver.Conn, ms []migration, log *zap.Logger) (int, error) {
	if err := conn.Exec(ctx, schemaMigrationsDDL); err != nil {
		return 0, fmt.Errorf("creating schema_migrations: %w", err)
	}
	rows, err := conn.Query(ctx, "SELECT DISTINCT version FROM schema_migrations")
	if err != nil {
		return 0, fmt.Errorf("reading schema_migrations: %w", err)
	}
	applied := map[uint32]bool{}
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return 0, fmt.Errorf("reading schema_migrations: %w", err)
		}
		applied[v] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("reading schema_migrations: %w", err)
	}

	n := 0
	for _, m := range ms {
		if applied[m.version] {
			continue
		}
		for i, stmt := range m.statements {
			if err := conn.Exec(ctx, stmt); err != nil {
				// ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS: a column
				// another process added first (two opening at once) is
				// already what the statement wants.
				if addColumn.MatchString(stmt) && strings.Contains(err.Error(), "already exists") {
					continue
				}
				return n, fmt.Errorf("applying migration %04d_%s statement %d: %w", m.version, m.name, i+1, err)
			}
		}
		b, err := conn.PrepareBatch(ctx, "INSERT INTO schema_migrations (version, name)")
		if err != nil {
			return n, fmt.Errorf("recording migration %04d: %w", m.version, err)
		}
		if err := b.Append(m.version, m.name); err != nil {
			_ = b.Abort()
			return n, fmt.Errorf("recording migration %04d: %w", m.version, err)
		}
		if err := b.Send(); err != nil {
			return n, fmt.Errorf("recording migration %04d: %w", m.version, err)
		}
		log.Info("applied migration", zap.Uint32("version", m.version), zap.String("name", m.name))
		n++
	}
	return n, nil
}
