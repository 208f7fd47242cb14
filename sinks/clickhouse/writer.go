package clickhouse

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"regexp"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"go.uber.org/zap"
)

// DefaultDatabase is the database used when the DSN names none.
const DefaultDatabase = "heldsway"

// Row is one record bound for ClickHouse and where it was read from.
type Row struct {
	// Record is a record from package schemas, as a value or a pointer:
	// schemas.Order, *schemas.Click, ...; its type picks the table.
	Record any
	// Partition and Offset locate the record in Kafka; they are stored in
	// kafka_partition and kafka_offset.
	Partition int32
	Offset    int64
}

// Writer batch-inserts records into the raw tables of one database over
// the native protocol. It is safe for concurrent use.
type Writer struct {
	conn     driver.Conn
	database string
	version  string
	// dedupTokens is whether the server knows insert_deduplication_token.
	dedupTokens bool
	log         *zap.Logger
}

var databaseName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)

// parseDSN parses a native-protocol DSN and returns its options and the
// target database (DefaultDatabase when it names none).
func parseDSN(dsn string) (*ch.Options, string, error) {
	opts, err := ch.ParseDSN(dsn)
	if err != nil {
		return nil, "", fmt.Errorf("parsing dsn: %w", err)
	}
	if opts.Protocol != ch.Native {
		return nil, "", ErrNotNative
	}
	db := opts.Auth.Database
	if db == "" {
		db = DefaultDatabase
	}
	if !databaseName.MatchString(db) {
		return nil, "", fmt.Errorf("%w: %q", ErrBadDatabase, db)
	}
	return opts, db, nil
}

// WriterConfig configures a Writer.
type WriterConfig struct {
	// DSN is the ClickHouse native-protocol DSN, e.g.
	// clickhouse://127.0.0.1:9000/heldsway; the database it names
	// (DefaultDatabase when none) is created if missing. Required.
	DSN string
	// Logger receives the writer's logs. Default zap.NewNop().
	Logger *zap.Logger
}

// EnsureDefaults sets c's zero fields to their defaults (a nil Logger
// becomes zap.NewNop()).
func (c *WriterConfig) EnsureDefaults() {
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
}

// Validate reports whether c, with defaults applied, names a usable DSN:
// a missing DSN wraps ErrConfig, a DSN that is not native ErrNotNative, a
// bad database name ErrBadDatabase. It does not change c.
func (c WriterConfig) Validate() error {
	if c.DSN == "" {
		return fmt.Errorf("%w: no DSN", ErrConfig)
	}
	_, _, err := parseDSN(c.DSN)
	return err
}

// Open connects to the ClickHouse server at cfg.DSN, creates the database
// it names if missing and applies the migrations. It logs to cfg.Logger.
func Open(ctx context.Context, cfg WriterConfig) (*Writer, error) {
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	opts, db, err := parseDSN(cfg.DSN)
	if err != nil {
		return nil, err
	}

	// The database may not exist yet, and the server refuses a connection
	// to a missing database: create it over a connection to the default.
	opts.Auth.Database = ""
	boot, err := ch.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("connecting: %w", err)
	}
	err = boot.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+db)
	_ = boot.Close()
	if err != nil {
		return nil, fmt.Errorf("creating database %s: %w", db, err)
	}

	opts.Auth.Database = db
	conn, err := ch.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("connecting: %w", err)
	}
	w := &Writer{conn: conn, database: db, log: log}
	if err := w.init(ctx); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return w, nil
}

func (w *Writer) init(ctx context.Context) error {
	v, err := w.conn.ServerVersion()
	if err != nil {
		return fmt.Errorf("reading server version: %w", err)
	}
	w.version = fmt.Sprintf("%d.%d.%d", v.Version.Major, v.Version.Minor, v.Version.Patch)
	var n uint64
	if err := w.conn.QueryRow(ctx, "SELECT count() FROM system.settings WHERE name = 'insert_deduplication_token'").Scan(&n); err != nil {
		return fmt.Errorf("reading server settings: %w", err)
	}
	w.dedupTokens = n > 0
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		return err
	}
	applied, err := migrate(ctx, w.conn, ms, w.log)
	if err != nil {
		return err
	}
	w.log.Info("connected to clickhouse",
		zap.String("version", w.version), zap.String("database", w.database),
		zap.Int("migrations_applied", applied), zap.Bool("dedup_tokens", w.dedupTokens))
	return nil
}

// Database returns the database the Writer writes to.
func (w *Writer) Database() string { return w.database }

// ServerVersion returns the server's version, e.g. "18.16.1".
func (w *Writer) ServerVersion() string { return w.version }

// Conn returns the underlying connection, whose default database is
// Database(), for queries.
func (w *Writer) Conn() driver.Conn { return w.conn }

// Ping checks that the server answers.
func (w *Writer) Ping(ctx context.Context) error {
	if err := w.conn.Ping(ctx); err != nil {
		return fmt.Errorf("pinging clickhouse: %w", err)
	}
	return nil
}

// Close closes the connection.
func (w *Writer) Close() error { return w.conn.Close() }

// Write inserts rows, one INSERT per table in table order. Rows that can
// never be stored are left out and reported in a *BatchError after the
// rest are written. Any other error may come after some tables were
// written; writing the same rows again is safe, as the tables collapse
// duplicates (read them with FINAL).
func (w *Writer) Write(ctx context.Context, rows []Row) error {
	var bad []RowError
	byTable := make(map[*table][]prepared)
	for i, r := range rows {
		t, ok := tableFor(r.Record)
		if !ok {
			bad = append(bad, RowError{Index: i, Err: fmt.Errorf("%w: %T", ErrUnknownRecord, r.Record)})
			continue
		}
		vals, err := t.values(r.Record)
		if err != nil {
			bad = append(bad, RowError{Index: i, Err: err})
			continue
		}
		byTable[t] = append(byTable[t], prepared{vals: append(vals, r.Partition, r.Offset), index: i})
	}
	for _, t := range tables {
		ps := byTable[t]
		if len(ps) == 0 {
			continue
		}
		rejected, err := w.insert(ctx, t, ps)
		for _, j := range rejected {
			bad = append(bad, RowError{Index: ps[j].index, Err: ps[j].err})
		}
		if err != nil {
			return err
		}
	}
	if len(bad) > 0 {
		return &BatchError{Rows: bad}
	}
	return nil
}

// prepared is a row's column values, metadata columns included.
type prepared struct {
	vals  []any
	index int   // caller's position, for errors
	err   error // set by insert when the row is rejected
}

// insert writes rows to t in one INSERT. A row the driver refuses to
// encode is left out, its err set and its position in rows returned in
// rejected; the INSERT then goes ahead without it. err is a failure of the
// INSERT as a whole (network, server), after which nothing of this call was
// acknowledged and the same rows may be retried.
func (w *Writer) insert(ctx context.Context, t *table, rows []prepared) (rejected []int, err error) {
	live := make([]int, len(rows))
	for i := range live {
		live[i] = i
	}
	for len(live) > 0 {
		ictx := ctx
		if w.dedupTokens {
			ictx = ch.Context(ctx, ch.WithSettings(ch.Settings{"insert_deduplication_token": dedupToken(t.name, rows, live)}))
		}
		b, err := w.conn.PrepareBatch(ictx, t.insert)
		if err != nil {
			return rejected, fmt.Errorf("preparing insert into %s: %w", t.name, err)
		}
		failed := -1
		for k, i := range live {
			if err := b.Append(rows[i].vals...); err != nil {
				failed = k
				rows[i].err = fmt.Errorf("%w: %w", ErrInvalidRecord, err)
				break
			}
		}
		if failed >= 0 {
			// The block may hold part of the failed row: start over
			// without it.
			_ = b.Abort()
			rejected = append(rejected, live[failed])
			live = append(live[:failed:failed], live[failed+1:]...)
			continue
		}
		if err := b.Send(); err != nil {
			return rejected, fmt.Errorf("writing batch to %s: %w", t.name, err)
		}
		return rejected, nil
	}
	return rejected, nil
}

// dedupToken identifies a batch by its table and each row's event_id (the
// first column of every table) and Kafka position, so a retried batch
// carries the same token and different batches different ones. Servers that dedupe
// inserts (Replicated tables, or non_replicated_deduplication_window > 0)
// then drop the retry; ReplacingMergeTree collapses it either way.
func dedupToken(table string, rows []prepared, live []int) string {
	h := sha256.New()
	h.Write([]byte(table))
	var buf [12]byte
	for _, i := range live {
		vals := rows[i].vals
		id, _ := vals[0].(string)
		h.Write([]byte(id))
		p, _ := vals[len(vals)-2].(int32)
		o, _ := vals[len(vals)-1].(int64)
		binary.BigEndian.PutUint32(buf[:4], uint32(p))
		binary.BigEndian.PutUint64(buf[4:], uint64(o))
		h.Write(buf[:])
	}
	return "heldsway-" + hex.EncodeToString(h.Sum(nil)[:16])
}

// pingTimeout bounds Ready's ping.
const pingTimeout = 5 * time.Second
