// Package chtest gives tests a ClickHouse database of their own.
//
// New returns a Server: the DSN of a fresh, uniquely named database (not yet
// created, so the code under test creates it) that is dropped when the test
// ends. The server behind it is, in order:
//
//   - the one named by the HELDSWAY_TEST_CLICKHOUSE environment variable, a
//     clickhouse-go DSN such as clickhouse://127.0.0.1:9000 (the native
//     protocol; any database in it is ignored);
//   - otherwise a private clickhouse-server started once per test binary on
//     free loopback ports, configured from deploy/clickhouse (the same
//     template start.sh renders), with its files in a temporary directory.
//
// When neither is possible because no ClickHouse is installed, New skips the
// test, saying how to install one, except when CI=true: CI must never skip
// silently, so there it fails the test.
//
// A test that needs ClickHouse to go away calls Private instead: a server
// of its own (always a local binary, HELDSWAY_TEST_CLICKHOUSE does not
// apply), which it can stop with SIGTERM (Server.Stop) or SIGKILL
// (Server.Kill) and start again on the same data directory and ports
// (Server.Start, which waits until it answers):
//
//	srv := chtest.Private(t)
//	// ... load data through srv.DSN ...
//	srv.Kill(t)
//	// ... ClickHouse is down ...
//	srv.Start(t)
//
// Stopping the shared server is not possible: other tests use it.
//
// Stop the private server from TestMain:
//
//	func TestMain(m *testing.M) { chtest.Main(m) }
//
// If a test binary ends without that, the server still dies with it
// (Linux parent-death signal), but its temporary directory is left behind.
package chtest
