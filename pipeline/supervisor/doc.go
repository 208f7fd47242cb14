// Package supervisor runs a process's stages (ingest, processor, sink,
// rollup refresher, HTTP server) side by side: the first stage to stop,
// with an error or without, stops the others, and Wait returns when all
// have stopped, with their errors joined. A process supervisor (systemd,
// Kubernetes) then restarts the whole process.
//
// A stage's error is prefixed with its name ("sink: ...") when it has
// one; context.Canceled, how stages stop when told to, is not an error.
package supervisor
