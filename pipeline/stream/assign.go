package stream

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"

	"github.com/heldsway/heldsway/pipeline/backoff"
)

// restoreChunk is how many changelog records a restore writes per Pebble
// commit.
const restoreChunk = 10000

// onAssigned validates the state of newly assigned partitions (protocol
// step 5) before kgo fetches them. A failure is handed to the poll loop,
// which restarts the session.
func (s *Stage) onAssigned(ctx context.Context, cl *kgo.Client, assigned map[string][]int32) {
	parts := make(map[int32]bool)
	for _, ps := range assigned {
		for _, p := range ps {
			parts[p] = true
		}
	}
	if len(parts) == 0 {
		return
	}
	s.restoring.Add(1)
	defer s.restoring.Add(-1)
	// A restore rewrites partitions behind the cache.
	s.cache.clear()
	committed, err := s.validate(ctx, cl, parts)
	if err == nil && s.align != nil {
		err = s.alignAssigned(ctx, parts, committed)
	}
	if err != nil {
		s.log.Error("validating assigned partitions", zap.Error(err))
		s.mu.Lock()
		if s.mu.assignErr == nil {
			s.mu.assignErr = fmt.Errorf("validating assigned partitions: %w", err)
		}
		s.mu.Unlock()
		return
	}
	s.mu.Lock()
	for p := range parts {
		s.mu.owned[p] = true
	}
	s.mu.Unlock()
}

// onRevoked forgets revoked partitions. Their state stays in Pebble: if
// they come back and nobody processed them meanwhile, the offset check
// keeps it; otherwise it is dropped and restored then.
func (s *Stage) onRevoked(_ context.Context, cl *kgo.Client, revoked map[string][]int32) {
	s.cache.clear()
	if s.align != nil {
		var parts []int32
		for _, ps := range revoked {
			for _, p := range ps {
				if !slices.Contains(parts, p) {
					parts = append(parts, p)
				}
			}
		}
		if resume := s.align.drop(parts); resume != nil {
			cl.ResumeFetchPartitions(resume)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ps := range revoked {
		for _, p := range ps {
			delete(s.mu.owned, p)
		}
	}
}

func (s *Stage) onLost(ctx context.Context, cl *kgo.Client, lost map[string][]int32) {
	s.onRevoked(ctx, cl, lost)
}

// validate compares each partition's applied offsets with the group's
// committed offsets and restores the partitions that differ. It returns
// the committed offsets.
func (s *Stage) validate(ctx context.Context, cl *kgo.Client, parts map[int32]bool) (map[int32]map[string]int64, error) {
	// Fence a predecessor first: its pending offset commit would keep
	// the stable offset fetch waiting until its transaction timed out.
	if _, _, err := cl.ProducerID(ctx); err != nil {
		return nil, fmt.Errorf("initializing producer id: %w", err)
	}
	committed, err := s.fetchCommitted(ctx, parts)
	if err != nil {
		return nil, err
	}
	need := make(map[int32]map[string]int64)
	for p := range parts {
		applied, found, err := s.store.AppliedOffsets(p)
		if err != nil {
			return nil, err
		}
		if found && sameOffsets(s.cfg.Inputs, applied, committed[p]) {
			s.log.Debug("partition state is current", zap.Int32("partition", p), zap.Any("offsets", applied))
			continue
		}
		s.log.Info("partition state is not current; restoring from the changelog",
			zap.Int32("partition", p), zap.Bool("found", found), zap.Any("applied", applied), zap.Any("committed", committed[p]))
		need[p] = committed[p]
	}
	if len(need) == 0 {
		return committed, nil
	}
	return committed, s.restore(ctx, need)
}

// alignAssigned tells the aligner where the consumer starts on each newly
// assigned partition (the committed offset, else the log start) and where
// each input ends, so that an input with nothing to fetch counts as caught
// up from the start.
func (s *Stage) alignAssigned(ctx context.Context, parts map[int32]bool, committed map[int32]map[string]int64) error {
	starts, err := s.adm.ListStartOffsets(ctx, s.cfg.Inputs...)
	if err == nil {
		err = starts.Error()
	}
	if err != nil {
		return fmt.Errorf("listing input start offsets: %w", err)
	}
	ends, err := s.adm.ListCommittedOffsets(ctx, s.cfg.Inputs...)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return fmt.Errorf("listing input end offsets: %w", err)
	}
	for p := range parts {
		start, end := make(map[string]int64), make(map[string]int64)
		for _, t := range s.cfg.Inputs {
			if o, ok := committed[p][t]; ok {
				start[t] = o
			} else if o, ok := starts.Lookup(t, p); ok {
				start[t] = o.Offset
			}
			if o, ok := ends.Lookup(t, p); ok {
				end[t] = o.Offset
			}
		}
		s.align.assigned(p, start, end)
	}
	return nil
}

func sameOffsets(topics []string, a, b map[string]int64) bool {
	for _, t := range topics {
		x, xok := a[t]
		y, yok := b[t]
		if xok != yok || x != y {
			return false
		}
	}
	return true
}

// fetchCommitted returns the group's committed input offsets of parts,
// waiting while a transaction holds them unstable.
func (s *Stage) fetchCommitted(ctx context.Context, parts map[int32]bool) (map[int32]map[string]int64, error) {
	bo := backoff.New(20*time.Millisecond, time.Second)
	for {
		resps, err := s.adm.FetchOffsets(kadm.RequireStable(ctx), s.cfg.Group)
		unstable := errors.Is(err, kerr.UnstableOffsetCommit)
		if err != nil && !unstable {
			return nil, fmt.Errorf("fetching committed offsets: %w", err)
		}
		out := make(map[int32]map[string]int64, len(parts))
		for p := range parts {
			out[p] = make(map[string]int64)
			for _, t := range s.cfg.Inputs {
				r, ok := resps.Lookup(t, p)
				if !ok {
					continue
				}
				if r.Err != nil {
					if errors.Is(r.Err, kerr.UnstableOffsetCommit) {
						unstable = true
						continue
					}
					return nil, fmt.Errorf("fetching committed offset of %s/%d: %w", t, p, r.Err)
				}
				if r.At >= 0 {
					out[p][t] = r.At
				}
			}
		}
		if !unstable {
			return out, nil
		}
		if !bo.Wait(ctx) {
			return nil, ctx.Err()
		}
	}
}

// restore drops each partition in need and rebuilds it from its changelog
// partition, then records need[p] as its applied offsets. A crash midway
// leaves the partition without applied offsets, so it is restored again.
func (s *Stage) restore(ctx context.Context, need map[int32]map[string]int64) error {
	start := time.Now()
	parts := make([]int32, 0, len(need))
	for p := range need {
		if err := s.store.DropPartition(p); err != nil {
			return err
		}
		parts = append(parts, p)
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
	s.stats.restores.Add(int64(len(need)))

	ends, err := s.changelogEnds(ctx, parts)
	if err != nil {
		return err
	}
	var n int64
	if len(ends) > 0 {
		if n, err = s.readChangelog(ctx, ends); err != nil {
			return err
		}
	}
	b := s.store.NewBatch()
	if err := b.Commit(need); err != nil {
		return err
	}
	s.log.Info("restored partitions from the changelog", zap.Int32s("partitions", parts),
		zap.Int64("records", n), zap.Duration("took", time.Since(start)))
	return nil
}

// changelogEnds returns, for each partition with data, the offset to read
// the changelog up to. It waits (up to the transaction timeout) until no
// transaction is open on those partitions, so that the markers of the
// transaction that committed the group's offsets are all written; after
// that it settles for the last stable offset.
func (s *Stage) changelogEnds(ctx context.Context, parts []int32) (map[int32]int64, error) {
	deadline := time.Now().Add(s.cfg.TransactionTimeout)
	bo := backoff.New(20*time.Millisecond, 500*time.Millisecond)
	for {
		stable, err := s.adm.ListCommittedOffsets(ctx, s.cfg.Changelog)
		if err != nil {
			return nil, fmt.Errorf("listing changelog stable offsets: %w", err)
		}
		hwm, err := s.adm.ListEndOffsets(ctx, s.cfg.Changelog)
		if err != nil {
			return nil, fmt.Errorf("listing changelog end offsets: %w", err)
		}
		ends := make(map[int32]int64)
		settled := true
		for _, p := range parts {
			lso, ok := stable.Lookup(s.cfg.Changelog, p)
			if !ok || lso.Err != nil {
				// A new topic may not be visible everywhere yet.
				if time.Now().After(deadline) {
					return nil, fmt.Errorf("listing changelog partition %d: %v", p, lso.Err)
				}
				settled = false
				continue
			}
			if h, ok := hwm.Lookup(s.cfg.Changelog, p); ok && h.Err == nil && h.Offset != lso.Offset {
				settled = false
			}
			if lso.Offset > 0 {
				ends[p] = lso.Offset
			}
		}
		if settled || time.Now().After(deadline) {
			if !settled {
				s.log.Warn("changelog has a transaction open past the transaction timeout; restoring up to its last stable offset")
			}
			return ends, nil
		}
		if !bo.Wait(ctx) {
			return nil, ctx.Err()
		}
	}
}

// readChangelog replays changelog partitions from their start up to ends
// into the store, read_committed, keeping control records so the end
// offset is seen even when the log ends with a transaction marker.
func (s *Stage) readChangelog(ctx context.Context, ends map[int32]int64) (int64, error) {
	offsets := make(map[int32]kgo.Offset, len(ends))
	for p := range ends {
		offsets[p] = kgo.NewOffset().AtStart()
	}
	opts := append([]kgo.Opt{}, s.conn...)
	opts = append(opts,
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{s.cfg.Changelog: offsets}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.KeepControlRecords(),
		kgo.FetchMaxWait(250*time.Millisecond),
	)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return 0, fmt.Errorf("creating restore client: %w", err)
	}
	defer cl.Close()

	pending := make(map[int32]int64, len(ends))
	for p, e := range ends {
		pending[p] = e
	}
	var n int64
	b := s.store.NewBatch()
	defer func() { b.Discard() }()
	for len(pending) > 0 {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		fetches := cl.PollFetches(pctx)
		cancel()
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		var ferr error
		fetches.EachError(func(t string, p int32, err error) {
			if ferr == nil && !errors.Is(err, context.DeadlineExceeded) {
				ferr = fmt.Errorf("reading changelog %s/%d: %w", t, p, err)
			}
		})
		if ferr != nil {
			return n, ferr
		}
		if fetches.NumRecords() == 0 {
			// Stalled: the last record before the end may be an
			// aborted one whose marker lies past it. Move the end.
			if err := s.extendEnds(ctx, pending); err != nil {
				return n, err
			}
			continue
		}
		var werr error
		fetches.EachRecord(func(rec *kgo.Record) {
			end, ok := pending[rec.Partition]
			if !ok || werr != nil {
				return
			}
			if rec.Offset >= end {
				delete(pending, rec.Partition)
				return
			}
			if !rec.Attrs.IsControl() {
				if rec.Value == nil {
					werr = b.Delete(rec.Partition, rec.Key)
				} else {
					werr = b.Set(rec.Partition, rec.Key, rec.Value)
				}
				n++
			}
			if rec.Offset+1 >= end {
				delete(pending, rec.Partition)
			}
		})
		if werr != nil {
			return n, werr
		}
		if b.Len() >= restoreChunk {
			if err := b.Commit(nil); err != nil {
				return n, err
			}
			b = s.store.NewBatch()
		}
	}
	s.stats.restoredRecords.Add(n)
	return n, b.Commit(nil)
}

func (s *Stage) extendEnds(ctx context.Context, pending map[int32]int64) error {
	stable, err := s.adm.ListCommittedOffsets(ctx, s.cfg.Changelog)
	if err != nil {
		return fmt.Errorf("listing changelog stable offsets: %w", err)
	}
	for p, end := range pending {
		if o, ok := stable.Lookup(s.cfg.Changelog, p); ok && o.Err == nil && o.Offset > end {
			pending[p] = o.Offset
		}
	}
	return nil
}
