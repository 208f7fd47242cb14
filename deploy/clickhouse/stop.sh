#!/usr/bin/env bash
# stop.sh [DATA_DIR]
#
# Stops the ClickHouse server start.sh started from DATA_DIR (default
# ./.heldsway/clickhouse): SIGTERM, then SIGKILL if it has not exited within
# 30 seconds. Leaves the data in place.
set -euo pipefail

data_dir=${1:-./.heldsway/clickhouse}
pid_file=$data_dir/server.pid

log() { echo "clickhouse: $*" >&2; }

if [ ! -f "$pid_file" ]; then
	log "no $pid_file: nothing to stop"
	exit 0
fi
pid=$(cat "$pid_file")
if ! kill -0 "$pid" 2>/dev/null; then
	log "server (pid $pid) is not running"
	rm -f "$pid_file"
	exit 0
fi
kill -TERM "$pid"
for _ in $(seq 1 60); do
	kill -0 "$pid" 2>/dev/null || { rm -f "$pid_file"; log "stopped (pid $pid)"; exit 0; }
	sleep 0.5
done
log "server (pid $pid) did not exit within 30s; killing it"
kill -KILL "$pid" 2>/dev/null || true
rm -f "$pid_file"
