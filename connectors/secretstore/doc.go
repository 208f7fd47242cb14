// Package secretstore finds the secrets a heldsway process needs (the API
// token, the hash key, the Kafka SASL and ClickHouse passwords) without
// putting them on a command line: from a file when one is named, else
// from an environment variable, else, for the secrets a single-machine
// setup may generate, from a file under the data directory, created (mode
// 0600, in a 0700 directory) with 32 random bytes on first use so it stays
// stable across restarts.
package secretstore
