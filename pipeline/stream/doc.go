// Package stream is the runtime of HeldSway's stream stages: a generic
// consume-transform-produce loop in Kafka transactions over a partitioned
// Pebble state (package state), plus global tables. It knows bytes, not
// attribution: a stage is a Config and a ProcessFunc.
//
// # Main types
//
//   - Stage runs a ProcessFunc over co-partitioned input topics in a
//     consumer group. Process sees one record at a time through a Tx:
//     Get/Set/Delete/Scan on the record's state partition and Produce for
//     outputs.
//   - Table materialises a compacted topic (all partitions, every
//     instance) in memory; a stage waits for its tables to catch up.
//
// # Protocol (docs/DESIGN.md, "Exactly-once protocol")
//
// For every polled batch (rebalances blocked until it is finished, via
// kgo.BlockRebalanceOnPoll and AllowRebalance):
//
//  1. Begin a Kafka transaction (kgo.GroupTransactSession, transactional
//     ID Group-InstanceID, read_committed inputs, stable offset fetches).
//  2. Process each record into one indexed Pebble batch with keys prefixed
//     by the partition. A record's writes and outputs are held back until
//     Process returns, and dropped if it fails; the record then goes to
//     the dead-letter topic instead. The last write of each key is produced to the
//     changelog partition equal to the state partition, in the same
//     transaction as the outputs.
//  3. Flush, then commit the transaction together with the input offsets.
//     If anything failed, abort instead: the session rewinds to the
//     committed offsets and the batch is consumed again after a backoff.
//  4. Only after the Kafka commit succeeded, commit the Pebble batch with
//     each partition's applied input offsets in the same atomic write.
//  5. On assignment, before fetching, compare each partition's applied
//     offsets with the group's committed offsets (fetched with
//     RequireStable). Equal: keep the local state. Otherwise drop the
//     partition's key range and replay its changelog partition
//     (read_committed, from the start to the last stable offset once no
//     transaction is open there), then record the committed offsets as
//     applied.
//
// Revoked and lost partitions are not dropped: if they come back and
// nobody committed past them meanwhile, step 5 keeps them; otherwise it
// rebuilds them.
//
// # Aligned inputs (Config.AlignInputs)
//
// Without alignment a batch is what one poll returned, merged by timestamp
// per state partition. With it, polled records wait in an aligner (one
// queue per input partition) and are taken in one timestamp order across
// every input partition the instance owns; an input partition that is behind the broker
// with nothing queued holds back every record newer than its last one, for
// at most MaxInputIdle of waiting in polls (time spent processing batches
// does not count). The consumer has then handed over records the
// transaction does not process, so the transaction's offset commit is
// rewritten (kgo.PreTxnCommitFnContext) to the offset after the last
// record taken from each input partition, and a transaction that does not
// commit ends the group session: the next one starts from the committed
// offsets. The applied offsets written to Pebble are the same prefix, so
// step 5 is unchanged.
//
// # Guarantees
//
// Outputs, changelog records and input offsets commit atomically, so a
// read_committed consumer sees every input's effect exactly once, whatever
// crashes or rebalances happen. A crash before the Kafka commit aborts the
// transaction (a restarted instance with the same InstanceID fences its
// predecessor and aborts its open transaction at once). A crash, or a
// failed Pebble write, between the Kafka and the Pebble commit leaves
// Pebble's applied offsets behind the group's: step 5 detects and repairs
// it. A Pebble failure ends the group session; the stage reopens the store
// and joins again.
//
// Errors: a Process error dead-letters one record (the partition keeps
// flowing); a Process error wrapping ErrAbort, a state error, or a Kafka
// error aborts the transaction and retries with backoff; an error ending
// or beginning a transaction restarts the group session.
//
// # Time
//
// The runtime has no timers that decide outcomes. Event-time expiry (an
// attribution window) belongs to the stage logic: on each access, prune the
// entries older than the window relative to the record's event time. That
// keeps replays and restores deterministic.
package stream
