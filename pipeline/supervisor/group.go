package supervisor

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"go.uber.org/zap"
)

// Config configures a Group.
type Config struct {
	// Logger logs each stage that stops with an error. Default
	// zap.NewNop().
	Logger *zap.Logger
}

// EnsureDefaults sets c's zero fields to their defaults.
func (c *Config) EnsureDefaults() {
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
}

// Group runs stages until the first stops.
type Group struct {
	ctx    context.Context
	cancel context.CancelFunc
	log    *zap.Logger
	wg     sync.WaitGroup
	mu     struct {
		sync.Mutex
		errs []error
	}
}

// New returns a Group whose stages run until ctx ends or one of them
// stops.
func New(ctx context.Context, cfg Config) *Group {
	cfg.EnsureDefaults()
	ctx, cancel := context.WithCancel(ctx)
	return &Group{ctx: ctx, cancel: cancel, log: cfg.Logger}
}

// Go runs stage f in its own goroutine with the group's context. When f
// returns, every other stage is told to stop; an error other than
// context.Canceled is logged and kept for Wait, prefixed with name when
// name is not empty.
func (g *Group) Go(name string, f func(context.Context) error) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		err := f(g.ctx)
		if err != nil && !errors.Is(err, context.Canceled) {
			g.log.Error("stage stopped", zap.String("stage", name), zap.Error(err))
			if name != "" {
				err = fmt.Errorf("%s: %w", name, err)
			}
			g.mu.Lock()
			g.mu.errs = append(g.mu.errs, err)
			g.mu.Unlock()
		}
		g.cancel() // one stage down takes the process down; a supervisor restarts it
	}()
}

// Stop tells every stage to stop.
func (g *Group) Stop() { g.cancel() }

// Wait waits for every stage to stop and returns their errors, joined.
func (g *Group) Wait() error {
	g.wg.Wait()
	g.cancel()
	g.mu.Lock()
	defer g.mu.Unlock()
	return errors.Join(g.mu.errs...)
}
