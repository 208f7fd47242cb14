// Package harness runs HeldSway's benchmark: it starts the embedded broker
// and the processor as child processes of the heldsway binary (so each
// one's peak RSS is its own), feeds them a world from package world,
// measures throughput, checkout-to-attribution latency at a fixed rate,
// memory and state size, scores the outputs against the world's oracle,
// measures the broker's raw produce+consume ceiling and, unless skipped,
// the processor's attribution code run inside Goka (package bench/goka,
// run as the Goka peer binary bench/cmd/goka-peer: Config.GokaBinary),
// and writes the figures as JSON and as a markdown table. The throughput
// phase's world has exactly the run's events; the latency phase offers a
// second world of its own (latencyWorld).
//
// Measurements:
//
//   - Throughput: input events / wall time from the first produce until
//     every processor group has no lag (a transactional input ends with a
//     commit marker, so lag <= 1) with unchanging commits. The processor
//     is running and joined before the first produce.
//   - Latency: at a fixed offered rate, the time from an order's
//     production (its record timestamp, set by the producer) to its
//     attribution being readable by a read_committed consumer (the
//     attribution carries the order's timestamp).
//   - Peak RSS: VmHWM of each child in /proc/<pid>/status before it stops.
//   - Pebble size: the processor's state directory after the run, per
//     million distinct customers.
package harness
