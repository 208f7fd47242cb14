// Package clickhouse holds the configuration for running a local ClickHouse
// server (18.16 as packaged by Debian, or a current release) on loopback,
// with every file it writes under one data directory.
//
// config.xml is a template with the placeholders @DATA_DIR@, @NATIVE_PORT@
// and @HTTP_PORT@; users.xml is used as is. Two things render them: start.sh
// (sed) for developers and Render for Go test helpers
// (sinks/clickhouse/chtest), so both start the same server.
//
// The heldsway database and its tables are not part of the configuration:
// sinks/clickhouse creates them with its migrations.
package clickhouse
