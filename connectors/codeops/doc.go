// Package codeops runs the code registry's operations as the `heldsway
// codes` subcommands do them: Open loads the registry from Kafka (and, to
// write, prepares its writer, with store sync when asked); then Import,
// Generate, List, Export, Bulk and Sync do one operation each and write
// what they did to an io.Writer. The HTTP form of the same operations is
// connectors/codeadmin.
//
// The rules live below it: codes/registry (the registry, its writer, the
// bulk selections), codes/csvfile (the CSV format, the importer, the
// naming rules, the report and list formats) and connectors/codesync (the
// stores). codeops only chains them and says what happened.
//
// Errors in what the caller asked for (a missing stores file, a bad rule,
// a file that cannot be opened) are *ConfigError, whose message is the
// underlying error's; a command exits 2 on them.
package codeops
