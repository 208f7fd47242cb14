// Package schemas is HeldSway's wire contract: the Avro schemas of every
// record on its topics (avro/*.avsc, embedded), the Go types mirroring them
// (Click, Order, Refund, Code, Attribution, Adjustment, Flag, DeadLetter),
// the topic names, and the Serde that turns one into the other.
//
// # Framing
//
// A Serde writes one of two framings and reads both:
//
//   - Avro single-object encoding (the default): 0xC3 0x01, the 8-byte
//     little-endian CRC-64-AVRO (Rabin) fingerprint of the writer's
//     canonical schema, then the Avro binary body. It needs no registry:
//     the fingerprint is looked up among the embedded current and earlier
//     schema versions.
//   - Confluent Schema Registry framing (WithRegistry): 0x00, the 4-byte
//     big-endian registry id of the writer's schema, then the body. Each
//     current schema is registered under "<topic>-value" on first use (or
//     by Register); unknown ids are fetched from the registry and cached.
//
// Decoding rejects trailing bytes, and never panics on any input: fuzz
// targets with a committed seed corpus in testdata/fuzz guard that.
//
// The record types and the code that encodes and decodes them straight
// from and to the structs are generated from avro/*.avsc (types_gen.go
// and codec_gen.go, by internal/avrogen: run go generate ./schemas after
// editing a schema); TestGeneratedCodeIsCurrent fails while a generated
// file is stale, and
// tests check the generated codec byte for byte against goavro. goavro
// stays the schema authority: it parses every schema, computes the
// canonical forms and fingerprints, and decodes records written with
// other schema versions. docs/benchmarks.md has the cost per record.
//
// # Values
//
// Times are timestamp-millis: encoding truncates to the millisecond
// (toward the past) and decoding returns UTC. Empty arrays and maps decode
// as nil, as does an empty DeadLetter.Value; an optional bytes field keeps
// null (nil) apart from empty. Decoded values never alias the input: a
// record's strings are substrings of one copy of it, its bytes values
// slices of another, and its optional values share one allocation (per
// array block for items), so keeping any one value keeps those copies
// alive. Decoded slices are capped: appending to one copies it.
//
// # Evolution
//
// Topics are versioned in their names (.v1). Within one, a schema may only
// gain fields, and each new field must have a default; never remove, rename
// or retype a field. Keep each previous version in avro/history as
// <name>.v<N>.avsc: the package refuses to load a history schema the
// current one cannot read. A record written with an earlier version (found
// by fingerprint or registry id) is decoded with that writer schema and
// projected onto the current one: fields the writer lacks take the current
// schema's default, fields the reader does not know are dropped, and int
// promotes to long as Avro allows. goavro has no such resolution; evolve.go
// supplies it.
//
// # Ids
//
// ID derives the deterministic event ids records carry from their natural
// keys. Payout systems deduplicate on these ids, so ID's output is stable
// forever.
package schemas
