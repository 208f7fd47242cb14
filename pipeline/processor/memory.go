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
}

// memoryPlan splits a budget among the stages, in percent of the budget:
//
//	stage      value cache  block cache  memtables (2x)
//	attribute  24           8            2x3
//	redeem      4           3            2x1.5
//	adjust      8           4            2x2
//
// 64% in all; the remaining third is the Go heap's: the open transaction
// of each stage (its state writes, changelog and outputs, up to
// MaxPollRecords records), decoding, and the Kafka clients' buffers.
// Customers (attribute) are the state every event reads, so they get the
// largest cache: a customer's hot value is about 100-300 bytes, so 1 GiB
// keeps about a million customers in memory; the block cache serves the
// rest and the decided orders' snapshots.
func memoryPlan(total int64) map[string]stageMemory {
	pct := func(p float64) int64 { return int64(float64(total) * p / 100) }
	return map[string]stageMemory{
		"attribute": {valueCache: int(pct(24)), blockCache: pct(8), memTable: uint64(pct(3))},
		"redeem":    {valueCache: int(pct(4)), blockCache: pct(3), memTable: uint64(pct(1.5))},
		"adjust":    {valueCache: int(pct(8)), blockCache: pct(4), memTable: uint64(pct(2))},
	}
}
