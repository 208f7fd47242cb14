package stream

import (
	"sort"
	"sync/atomic"
	"time"
)

// Stats is a snapshot of a stage's counters, for metrics and health.
type Stats struct {
	// RecordsProcessed counts input records in committed transactions,
	// dead-lettered ones included.
	RecordsProcessed int64
	// RecordsDeadLettered counts records Process rejected, in committed
	// transactions.
	RecordsDeadLettered int64
	// TxnCommitted and TxnAborted count Kafka transactions.
	TxnCommitted, TxnAborted int64
	// Restores counts partitions rebuilt from the changelog;
	// RestoredRecords the changelog records read to do so.
	Restores, RestoredRecords int64
	// StateCommitFailures counts Pebble commits that failed after their
	// Kafka transaction committed (each leads to a restore).
	StateCommitFailures int64
	// SessionRestarts counts group sessions torn down by an
	// infrastructure error and started again.
	SessionRestarts int64
	// AlignSkips counts the times an aligned input partition that was
	// behind stopped holding the other inputs back after MaxInputIdle of
	// polling without a delivery (records may then be processed out of
	// timestamp order across the inputs).
	AlignSkips int64
	// Assigned lists the partitions this instance owns and has validated.
	Assigned []int32
	// LastCommit is when the last transaction committed (zero if none).
	LastCommit time.Time
	// Time spent, summed over batches: waiting in poll for records,
	// processing them, flushing the produced records, ending the Kafka
	// transaction, and committing the state.
	PollTime, ProcessTime, FlushTime, TxnEndTime, StateCommitTime time.Duration
}

type counters struct {
	processed, deadLettered         atomic.Int64
	committed, aborted              atomic.Int64
	restores, restoredRecords       atomic.Int64
	stateCommitFailures, sessionRes atomic.Int64
	alignSkips                      atomic.Int64
	// nanoseconds by phase
	poll, process, flush, txnEnd, stateCommit atomic.Int64
}

// Stats returns a snapshot of the stage's counters.
func (s *Stage) Stats() Stats {
	st := Stats{
		RecordsProcessed:    s.stats.processed.Load(),
		RecordsDeadLettered: s.stats.deadLettered.Load(),
		TxnCommitted:        s.stats.committed.Load(),
		TxnAborted:          s.stats.aborted.Load(),
		Restores:            s.stats.restores.Load(),
		RestoredRecords:     s.stats.restoredRecords.Load(),
		StateCommitFailures: s.stats.stateCommitFailures.Load(),
		SessionRestarts:     s.stats.sessionRes.Load(),
		AlignSkips:          s.stats.alignSkips.Load(),
		PollTime:            time.Duration(s.stats.poll.Load()),
		ProcessTime:         time.Duration(s.stats.process.Load()),
		FlushTime:           time.Duration(s.stats.flush.Load()),
		TxnEndTime:          time.Duration(s.stats.txnEnd.Load()),
		StateCommitTime:     time.Duration(s.stats.stateCommit.Load()),
	}
	s.mu.Lock()
	for p := range s.mu.owned {
		st.Assigned = append(st.Assigned, p)
	}
	st.LastCommit = s.mu.lastCommit
	s.mu.Unlock()
	sort.Slice(st.Assigned, func(i, j int) bool { return st.Assigned[i] < st.Assigned[j] })
	return st
}
