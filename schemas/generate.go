package schemas

// The record types and their codecs (records_gen.go) are generated from
// avro/*.avsc by internal/avrogen; TestGeneratedCodeIsCurrent fails when
// the committed file is stale.
//
//go:generate go run ./internal/avrogen/cmd/avrogen
