package schemas

// The record types (types_gen.go) and their codec (codec_gen.go) are
// generated from avro/*.avsc by internal/avrogen; TestGeneratedCodeIsCurrent
// fails when either committed file is stale.
//
//go:generate go run ./internal/avrogen/cmd/avrogen
