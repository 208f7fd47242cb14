// Package avrogen generates the schemas package's fast path from the .avsc
// files: one Go struct per Avro record (TypesFile), and for each record the
// binary writer and reader used for the current schema version and the
// conversions to and from goavro's native form used to read earlier
// versions (CodecFile). The schemas package's go:generate line runs it
// (through cmd/avrogen), and TestGeneratedCodeIsCurrent there fails when a
// committed file differs from what Generate returns.
//
// goavro stays the schema authority: every file must build a goavro codec
// before any code is generated from it. The generator understands the
// shapes HeldSway's schemas use (records; string, long, int, boolean,
// bytes and timestamp-millis fields; ["null", T] unions; arrays of strings
// or records; maps of strings) and refuses any other with an error naming
// the field, rather than generating code that might not match goavro.
//
// The generated readers take a fixed number of allocations per record, not
// one per field: slots.go sizes the pool slots its optional values go to.
//
// The generated code calls the schemas package's primitives (wenc, wdec,
// natWriter, natReader in wire.go and native.go) and its kind constants
// (k<Record> in catalog.go); it does not compile anywhere else.
package avrogen
