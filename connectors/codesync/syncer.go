package codesync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	gosync "sync"
	"time"

	"go.uber.org/zap"

	"github.com/heldsway/heldsway/codes/registry"
	"github.com/heldsway/heldsway/pipeline/backoff"
	"github.com/heldsway/heldsway/schemas"
)

// Recorder writes a code's sync state: a *registry.Writer. The Syncer only
// changes Platforms, so the write does not call the Syncer again.
type Recorder interface {
	Put(ctx context.Context, c schemas.Code, base int64) (schemas.Code, error)
}

// RecorderFunc adapts a function to Recorder.
type RecorderFunc func(ctx context.Context, c schemas.Code, base int64) (schemas.Code, error)

// Put calls f.
func (f RecorderFunc) Put(ctx context.Context, c schemas.Code, base int64) (schemas.Code, error) {
	return f(ctx, c, base)
}

// Config configures a Syncer.
type Config struct {
	// Remotes are the stores every code is synced to. Required.
	Remotes []Remote
	// Recorder writes the outcome into each code's Platforms. Required
	// unless DryRun. A Writer is given its Syncer when it is made, so the
	// Recorder is usually a function calling a Writer made afterwards.
	Recorder Recorder
	// Retry bounds the attempts at one code on one store. Defaults: see
	// RetryPolicy.
	Retry RetryPolicy
	// DeleteInactive deletes inactive codes from the stores (status
	// deleted) instead of deactivating them. Default false. Paused codes
	// are always deactivated, never deleted.
	DeleteInactive bool
	// DryRun looks codes up and reports what would change, changing
	// nothing in the stores or the registry. Default false.
	DryRun bool
	// Recheck is how often the background worker (see Sync) retries codes
	// whose sync failed or that wait for their valid_from on a platform
	// that cannot schedule a start. Default 0: never (a long-running
	// process sets it; `heldsway codes sync` catches up otherwise).
	Recheck time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Sleep waits between attempts. Default a timer honouring the
	// context; tests inject one that does not sleep.
	Sleep Sleeper
	// Logger receives the syncer's logs. Default zap.NewNop().
	Logger *zap.Logger
}

// EnsureDefaults sets c's zero fields to their defaults, the retry
// policy's included.
func (c *Config) EnsureDefaults() {
	c.Retry.EnsureDefaults()
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Sleep == nil {
		c.Sleep = backoff.Sleep
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
}

// Validate reports whether c, with defaults applied, is usable. It does
// not change c.
func (c Config) Validate() error {
	c.EnsureDefaults()
	if len(c.Remotes) == 0 {
		return errors.New("sync: no stores to sync to")
	}
	seen := map[string]bool{}
	for _, r := range c.Remotes {
		k := r.Platform() + "/" + r.StoreID()
		if seen[k] {
			return fmt.Errorf("sync: store %s listed twice", k)
		}
		seen[k] = true
	}
	if c.Recorder == nil && !c.DryRun {
		return errors.New("sync: a recorder is required to write sync state")
	}
	return c.Retry.Validate()
}

// What happened to one code on one store (Result.Action).
const (
	ActionCreated     = "created"     // made in the store
	ActionUpdated     = "updated"     // changed to match the registry
	ActionDeactivated = "deactivated" // paused, inactive or expired: no longer accepted
	ActionDeleted     = "deleted"     // removed from the store
	ActionUnchanged   = "unchanged"   // the store already held it as defined
	ActionAbsent      = "absent"      // not in the store and not wanted there
	ActionPending     = "pending"     // waits for valid_from (platform has no start date)
	ActionFailed      = "failed"      // see Result.Err
)

// Result is the outcome for one code on one store.
type Result struct {
	Code     string
	Platform string
	Store    string
	Action   string
	RemoteID string
	// Changed lists the fields an update changed.
	Changed []string
	Err     error
}

func (r Result) String() string {
	s := r.Code + " on " + r.Platform + "/" + r.Store + ": " + r.Action
	if len(r.Changed) > 0 {
		s += " (" + strings.Join(r.Changed, ", ") + ")"
	}
	if r.Err != nil {
		s += ": " + r.Err.Error()
	}
	return s
}

// Error lists the codes that failed on some store: the partial failure of
// a sync. The others synced.
type Error struct{ Failed []Result }

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sync: %d failed", len(e.Failed))
	for i, r := range e.Failed {
		if i == 5 {
			fmt.Fprintf(&b, "; and %d more", len(e.Failed)-i)
			break
		}
		b.WriteString("; ")
		b.WriteString(r.String())
	}
	return b.String()
}

// Report is what a Run did.
type Report struct {
	Codes   int
	Results []Result
	// Counts per Action.
	Counts map[string]int
}

// Err returns an *Error listing the failures, nil when none failed.
func (r *Report) Err() error {
	var failed []Result
	for _, res := range r.Results {
		if res.Action == ActionFailed || res.Err != nil {
			failed = append(failed, res)
		}
	}
	if len(failed) == 0 {
		return nil
	}
	return &Error{Failed: failed}
}

// Syncer pushes codes from the registry to the stores. Run syncs codes
// now; Sync (the registry.Syncer a Writer calls) queues the changed codes for
// a background worker, because recording the outcome is itself a write.
//
// Lock order: Syncer.mu is never held while calling a Remote or the
// Recorder.
type Syncer struct {
	cfg   Config
	reg   registry.Lookup
	log   *zap.Logger
	retry retrier

	stop context.CancelFunc
	done chan struct{}
	wake chan struct{}

	mu struct {
		gosync.Mutex
		queue    []string
		queued   map[string]bool
		inflight int
		closed   bool
		idle     chan struct{} // closed and replaced whenever the queue drains
	}
}

var _ registry.Syncer = (*Syncer)(nil)

// New returns a Syncer reading codes from reg and starts its background
// worker; Close stops it.
func New(cfg Config, reg registry.Lookup) (*Syncer, error) {
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if reg == nil {
		return nil, errors.New("sync: a registry is required")
	}
	ctx, stop := context.WithCancel(context.Background())
	s := &Syncer{
		cfg: cfg, reg: reg, log: cfg.Logger, stop: stop,
		retry: retrier{p: cfg.Retry, sleep: cfg.Sleep, now: cfg.Now, rand: newRand()},
		done:  make(chan struct{}), wake: make(chan struct{}, 1),
	}
	s.mu.queued = map[string]bool{}
	s.mu.idle = make(chan struct{})
	go s.run(ctx)
	return s, nil
}

// Sync implements registry.Syncer: it queues the changed codes for the
// background worker and returns at once, with an *Error for codes a store's
// platform would refuse (they are recorded as failed too).
func (s *Syncer) Sync(_ context.Context, changes []registry.Applied) error {
	now := s.cfg.Now()
	var failed []Result
	keys := make([]string, 0, len(changes))
	for _, ch := range changes {
		switch {
		case ch.After != nil:
			keys = append(keys, ch.After.Code)
			for _, r := range s.cfg.Remotes {
				if _, err := r.Want(ch.After, now); err != nil {
					failed = append(failed, Result{Code: ch.After.Code, Platform: r.Platform(), Store: r.StoreID(), Action: ActionFailed, Err: err})
				}
			}
		case ch.Before != nil:
			keys = append(keys, ch.Before.Code)
		}
	}
	if err := s.enqueue(keys...); err != nil {
		return err
	}
	if len(failed) > 0 {
		return &Error{Failed: failed}
	}
	return nil
}

var errClosed = errors.New("sync: syncer closed")

func (s *Syncer) enqueue(keys ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.closed {
		return errClosed
	}
	for _, k := range keys {
		if !s.mu.queued[k] {
			s.mu.queued[k] = true
			s.mu.queue = append(s.mu.queue, k)
		}
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return nil
}

// next pops a queued code, marking it in flight.
func (s *Syncer) next() (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.mu.queue) == 0 {
		return "", false
	}
	k := s.mu.queue[0]
	s.mu.queue = s.mu.queue[1:]
	delete(s.mu.queued, k)
	s.mu.inflight++
	return k, true
}

func (s *Syncer) finished() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mu.inflight--
	if s.mu.inflight == 0 && len(s.mu.queue) == 0 {
		close(s.mu.idle)
		s.mu.idle = make(chan struct{})
	}
}

func (s *Syncer) run(ctx context.Context) {
	defer close(s.done)
	var tick <-chan time.Time
	if s.cfg.Recheck > 0 {
		t := time.NewTicker(s.cfg.Recheck)
		defer t.Stop()
		tick = t.C
		s.recheck()
	}
	for {
		if code, ok := s.next(); ok {
			for _, r := range s.syncCode(ctx, code) {
				if r.Err != nil {
					s.log.Warn("syncing code", zap.String("code", r.Code), zap.String("platform", r.Platform), zap.String("store", r.Store), zap.String("action", r.Action), zap.Error(r.Err))
				} else if r.Action != ActionUnchanged && r.Action != ActionAbsent {
					s.log.Info("synced code", zap.String("code", r.Code), zap.String("platform", r.Platform), zap.String("store", r.Store), zap.String("action", r.Action))
				}
			}
			s.finished()
			continue
		}
		select {
		case <-s.wake:
		case <-tick:
			s.recheck()
		case <-ctx.Done():
			return
		}
	}
}

// recheck queues every code whose state on a store is failed or pending.
func (s *Syncer) recheck() {
	var keys []string
	for _, c := range s.reg.All() {
		for _, p := range c.Platforms {
			if (p.Status == registry.SyncFailed || p.Status == registry.SyncPending) && s.remote(p.Platform, p.StoreID) != nil {
				keys = append(keys, c.Code)
				break
			}
		}
	}
	if len(keys) > 0 {
		_ = s.enqueue(keys...)
	}
}

func (s *Syncer) remote(platform, store string) Remote {
	for _, r := range s.cfg.Remotes {
		if r.Platform() == platform && r.StoreID() == store {
			return r
		}
	}
	return nil
}

// Flush waits until the background worker has synced every queued code.
func (s *Syncer) Flush(ctx context.Context) error {
	for {
		s.mu.Lock()
		empty, idle := s.mu.inflight == 0 && len(s.mu.queue) == 0, s.mu.idle
		s.mu.Unlock()
		if empty {
			return nil
		}
		select {
		case <-idle:
		case <-s.done:
			return errClosed
		case <-ctx.Done():
			return fmt.Errorf("sync: waiting for queued codes: %w", ctx.Err())
		}
	}
}

// Close stops taking changes, waits (bounded by ctx) for the queued ones,
// and stops the worker; what is left is caught up by the next
// `heldsway codes sync` or Recheck, since nothing was recorded for it.
func (s *Syncer) Close(ctx context.Context) error {
	s.mu.Lock()
	s.mu.closed = true
	s.mu.Unlock()
	err := s.Flush(ctx)
	s.stop()
	<-s.done
	return err
}

// Run syncs the codes now, one after another, and reports what it did.
// It returns an error only when ctx ends; failures are in the report (see
// Report.Err).
func (s *Syncer) Run(ctx context.Context, keys []string) (*Report, error) {
	rep := &Report{Codes: len(keys), Counts: map[string]int{}}
	for _, k := range keys {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		for _, r := range s.syncCode(ctx, k) {
			rep.Results = append(rep.Results, r)
			rep.Counts[r.Action]++
		}
	}
	return rep, ctx.Err()
}

// syncCode brings one code in line on every store and records the
// outcome in its Platforms.
func (s *Syncer) syncCode(ctx context.Context, code string) []Result {
	now := s.cfg.Now()
	cur, ok := s.reg.Get(code)
	out := make([]Result, 0, len(s.cfg.Remotes))
	if !ok {
		for _, r := range s.cfg.Remotes {
			out = append(out, s.remove(ctx, r, code))
		}
		return out
	}
	var states []schemas.PlatformSync
	for _, r := range s.cfg.Remotes {
		res, st, changed := s.syncStore(ctx, r, &cur, now)
		out = append(out, res)
		if changed {
			states = append(states, st)
		}
	}
	if len(states) > 0 && !s.cfg.DryRun {
		if err := s.record(ctx, cur, states); err != nil {
			for i := range out {
				if out[i].Err == nil {
					out[i].Err = fmt.Errorf("recording sync state: %w", err)
				}
			}
		}
	}
	return out
}

// remove deletes a code the registry no longer holds from one store.
func (s *Syncer) remove(ctx context.Context, r Remote, code string) Result {
	res := Result{Code: code, Platform: r.Platform(), Store: r.StoreID(), Action: ActionAbsent}
	form, err := registry.ForPlatform(code, r.Platform())
	if err != nil {
		return res // it can never have been synced there
	}
	res.Err = s.retry.do(ctx, func() error {
		have, found, err := r.Find(ctx, form)
		if err != nil || !found || !have.Active && soft(r) {
			return err
		}
		res.Action, res.RemoteID = ActionDeleted, have.ID
		if s.cfg.DryRun {
			return nil
		}
		return r.Delete(ctx, have)
	})
	if res.Err != nil {
		res.Action = ActionFailed
	}
	return res
}

// syncStore brings c in line on one store. It returns the result, the new
// sync state and whether that state is worth writing.
func (s *Syncer) syncStore(ctx context.Context, r Remote, c *schemas.Code, now time.Time) (Result, schemas.PlatformSync, bool) {
	res := Result{Code: c.Code, Platform: r.Platform(), Store: r.StoreID()}
	var prev schemas.PlatformSync
	hadPrev := false
	for _, p := range c.Platforms {
		if p.Platform == res.Platform && p.StoreID == res.Store {
			prev, hadPrev = p, true
		}
	}
	want, err := r.Want(c, now)
	if err == nil {
		key := idempotencyKey(res.Platform, res.Store, c.Code, c.Version)
		err = s.retry.do(ctx, func() error {
			res.Changed = nil
			return s.step(ctx, r, c, want, key, now, &res)
		})
	}
	st := schemas.PlatformSync{Platform: res.Platform, StoreID: res.Store, Status: registry.SyncSynced, SyncedAt: ptr(now.UTC().Truncate(time.Millisecond))}
	if res.RemoteID != "" {
		st.RemoteID = ptr(res.RemoteID)
	}
	switch {
	case err != nil:
		res.Action, res.Err = ActionFailed, err
		st.Status, st.LastError, st.RemoteID, st.SyncedAt = registry.SyncFailed, ptr(err.Error()), prev.RemoteID, prev.SyncedAt
	case res.Action == ActionDeleted || res.Action == ActionAbsent:
		st.Status, st.RemoteID = registry.SyncDeleted, nil
	case res.Action == ActionPending:
		st.Status = registry.SyncPending
	}
	wrote := res.Action != ActionUnchanged && res.Action != ActionAbsent && res.Action != ActionPending
	same := hadPrev && prev.Status == st.Status && eqPtr(prev.RemoteID, st.RemoteID) && eqPtr(prev.LastError, st.LastError)
	return res, st, wrote || !same
}

// step is one attempt: look the code up, then act on what the store has.
func (s *Syncer) step(ctx context.Context, r Remote, c *schemas.Code, want Coupon, key string, now time.Time, res *Result) error {
	have, found, err := r.Find(ctx, want.Code)
	if err != nil {
		return err
	}
	if f, ok := r.(IDFinder); ok && !found {
		for _, p := range c.Platforms {
			if p.Platform == r.Platform() && p.StoreID == r.StoreID() && p.RemoteID != nil && *p.RemoteID != "" {
				if have, found, err = f.FindID(ctx, *p.RemoteID, want.Code); err != nil {
					return err
				}
			}
		}
	}
	if found {
		res.RemoteID = have.ID
	}
	dry := s.cfg.DryRun
	switch {
	case c.Status == registry.StatusInactive && s.cfg.DeleteInactive:
		if !found || !have.Active && soft(r) {
			res.Action, res.RemoteID = ActionAbsent, ""
			return nil
		}
		res.Action, res.RemoteID = ActionDeleted, ""
		if dry {
			return nil
		}
		return r.Delete(ctx, have)
	case !want.Active:
		res.Action = ActionAbsent
		if found {
			res.Action = ActionUnchanged
		}
		if found && have.Active {
			res.Action = ActionDeactivated
			if !dry {
				if have, err = r.Deactivate(ctx, have); err != nil {
					return err
				}
				res.RemoteID = have.ID
			}
		}
		if early(c, now) && !ended(want.EndsAt, now) {
			res.Action = ActionPending
		}
		return nil
	case !found:
		res.Action = ActionCreated
		if dry {
			return nil
		}
		if have, err = r.Create(ctx, want, key); err != nil {
			return err
		}
		res.RemoteID = have.ID
		return nil
	}
	res.Changed = diff(have, want, now)
	if len(res.Changed) == 0 {
		res.Action = ActionUnchanged
		return nil
	}
	res.Action = ActionUpdated
	if dry {
		return nil
	}
	if have, err = r.Update(ctx, have, want, key); err != nil {
		return err
	}
	res.RemoteID = have.ID
	return nil
}

// record merges states into the code's Platforms and writes it, based on
// the version synced. When the code changed meanwhile only in its
// Platforms, the write is tried again on the new version; a newer
// definition is left alone (its own sync records it).
func (s *Syncer) record(ctx context.Context, cur schemas.Code, states []schemas.PlatformSync) error {
	for attempt := 0; ; attempt++ {
		next := registry.Clone(&cur)
		for _, st := range states {
			replaced := false
			for i, p := range next.Platforms {
				if p.Platform == st.Platform && p.StoreID == st.StoreID {
					next.Platforms[i], replaced = st, true
				}
			}
			if !replaced {
				next.Platforms = append(next.Platforms, st)
			}
		}
		_, err := s.cfg.Recorder.Put(ctx, next, cur.Version)
		if errors.Is(err, registry.ErrNotFound) {
			return nil // deleted meanwhile: the deletion syncs on its own
		}
		if err == nil || !errors.Is(err, registry.ErrConflict) || attempt == 2 {
			return err
		}
		latest, ok := s.reg.Get(cur.Code)
		if !ok || !registry.SameDefinition(&latest, &cur) {
			return nil
		}
		cur = latest
	}
}

// softDeleter is a Remote whose Delete only deactivates (the platform
// cannot delete): an inactive code there is as deleted as it gets.
type softDeleter interface{ softDelete() }

func soft(r Remote) bool {
	_, ok := r.(softDeleter)
	return ok
}

// idempotencyKey is stable for one version of one code on one store.
func idempotencyKey(platform, store, code string, version int64) string {
	h := sha256.Sum256([]byte(platform + "\x00" + store + "\x00" + code + "\x00" + strconv.FormatInt(version, 10)))
	return "heldsway-" + hex.EncodeToString(h[:16])
}
