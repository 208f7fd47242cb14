package codesync

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/heldsway/heldsway/codes/registry"
	"github.com/heldsway/heldsway/schemas"
)

// NewWriter returns a registry.Writer on reg whose changes are synced to the
// stores of cfg, and the Syncer doing it: the Syncer records each sync
// outcome through the Writer, so the two are made together (cfg.Recorder
// is set here). Close the Syncer (it may still record), then the Writer.
// The Syncer logs to cfg.Logger, the Writer to wcfg.Logger.
func NewWriter(reg *registry.Registry, wcfg registry.WriterConfig, cfg Config) (*registry.Writer, *Syncer, error) {
	// The Syncer's worker may record before the Writer below exists (a
	// recheck at start): it gets an error then and retries later.
	var made atomic.Pointer[registry.Writer]
	cfg.Recorder = RecorderFunc(func(ctx context.Context, c schemas.Code, base int64) (schemas.Code, error) {
		w := made.Load()
		if w == nil {
			return schemas.Code{}, errors.New("sync: the registry writer is not ready yet")
		}
		return w.Put(ctx, c, base)
	})
	s, err := New(cfg, reg)
	if err != nil {
		return nil, nil, err
	}
	wcfg.Syncer = s
	w, err := registry.NewWriter(reg, wcfg)
	if err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = s.Close(ctx)
		return nil, nil, fmt.Errorf("sync: making the writer: %w", err)
	}
	made.Store(w)
	return w, s, nil
}
