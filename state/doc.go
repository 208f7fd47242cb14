// Package state is the local, partitioned key-value store behind every
// stream stage: a Pebble database whose keys are namespaced by input
// partition, plus the input offsets each partition's state reflects.
//
// # Layout
//
// Every data key is the partition as a 4-byte big-endian int32 followed by
// the user key, so one partition's state is one contiguous key range and
// [Store.DropPartition] is a single range delete. Partitions are never
// negative, so the prefix 0xFFFFFFFF is free for metadata: the key
// 0xFFFFFFFF | partition (int32 big-endian) holds the partition's applied
// input offsets (for every input topic, the next offset to consume), encoded
// as a sequence of (uvarint topic length, topic, varint offset).
//
// # Transactions
//
// A [Batch] is an indexed Pebble batch: its reads see its own writes, then
// the database. [Batch.Commit] writes the batch and the applied offsets of
// the partitions it touched in one atomic Pebble write, synced to disk
// unless [Config.NoSync] is set.
//
// # Failure
//
// Disk-full and I/O errors are returned, never panicked. Pebble treats a
// failed write-ahead-log write as fatal for the open database (its commit
// pipeline cannot continue), so after a failed commit the Store is poisoned:
// every later call returns an error wrapping [ErrFailed], and the caller must
// Close it and Open the directory again. A Pebble batch is atomic, so after
// reopening the database holds either the state from before the failed
// commit or, if the write reached the disk despite the error, the state from
// after it — never part of a batch. Because the applied offsets are in the
// same batch, a caller can always tell which.
package state
