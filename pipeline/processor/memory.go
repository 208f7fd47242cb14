package processor

// Memory budget defaults.
const (
	DefaultMemoryBytes = 1 << 30
	MinMemoryBytes     = 256 << 20
)

// stageMemory is what one stage's store may hold in memory.
type stageMemory struct {
	valueCache int    // committed values in front of Pebble, off the Go heap
	blockCache int64  // Pebble's block cache
	memTable   uint64 // one Pebble memtable (up to two are in memory)
	keyFilter  int64  // the store's filter of keys written
}

// memoryPlan splits a budget among the stages, in percent of the budget:
//
//	stage      value cache  block cache  memtables (2x)  key filter
//	attribute  20           10           2x3             1.5
//	redeem      4            8           2x1.5           1
//	adjust      6           10           2x2             1.5
//
// 75% in all (value caches and block caches fill only as the state
// grows); the remaining quarter is the Go heap's: the open transaction
// of each stage (its state writes, changelog and outputs, up to
// MaxPollRecords records), decoding, and the Kafka clients' buffers.
// Customers (attribute) are the state every event reads, so they get the
// largest value cache: a customer's hot value is about 100-300 bytes, so
// 1 GiB keeps about half a million customers in memory; the block caches
// serve the rest, the decided orders' snapshots, and the index and filter
// blocks every lookup of a key that exists reads. The key filters (16
// MiB each at 1 GiB, about 10 bits per key for 13 million keys) answer
// lookups of keys never written, most of redeem's and adjust's, without
// Pebble.
func memoryPlan(total int64) map[string]stageMemory {
	pct := func(p float64) int64 { return int64(float64(total) * p / 100) }
	return map[string]stageMemory{
		"attribute": {valueCache: int(pct(20)), blockCache: pct(10), memTable: uint64(pct(3)), keyFilter: pct(1.5)},
		"redeem":    {valueCache: int(pct(4)), blockCache: pct(8), memTable: uint64(pct(1.5)), keyFilter: pct(1)},
		"adjust":    {valueCache: int(pct(6)), blockCache: pct(10), memTable: uint64(pct(2)), keyFilter: pct(1.5)},
	}
}
