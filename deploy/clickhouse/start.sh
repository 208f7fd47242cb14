#!/usr/bin/env bash
# start.sh [DATA_DIR] [NATIVE_PORT] [HTTP_PORT]
#
# Starts a local ClickHouse server for HeldSway on 127.0.0.1 with every file
# under DATA_DIR (default ./.heldsway/clickhouse; native port 9000, HTTP port
# 8123). Renders config.xml and users.xml from this directory into
# DATA_DIR/etc, runs the server in the background (pid in DATA_DIR/server.pid,
# output in DATA_DIR/log/) and waits until it answers SELECT 1.
#
# If something already answers on the native port it says so and exits 0.
# If clickhouse-server is missing it installs it with apt-get (as root).
# Stop it with stop.sh DATA_DIR.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
data_dir=${1:-./.heldsway/clickhouse}
native_port=${2:-9000}
http_port=${3:-8123}
wait_seconds=${HELDSWAY_CLICKHOUSE_WAIT:-60}

log() { echo "clickhouse: $*" >&2; }

for p in "$native_port" "$http_port"; do
	case $p in
	'' | *[!0-9]*) log "port must be a number, got '$p'"; exit 2 ;;
	esac
done

# answers PORT: true when something accepts TCP connections on 127.0.0.1:PORT.
answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if answers "$native_port"; then
	log "something already answers on 127.0.0.1:$native_port; assuming it is ClickHouse, not starting another"
	exit 0
fi

# server_cmd sets the command that runs the server: clickhouse-server (Debian,
# older packages) or the single clickhouse binary (current packages).
server_cmd=()
find_server() {
	PATH="$PATH:/usr/sbin:/usr/bin:/usr/local/bin"
	if command -v clickhouse-server >/dev/null; then
		server_cmd=("$(command -v clickhouse-server)")
	elif command -v clickhouse >/dev/null; then
		server_cmd=("$(command -v clickhouse)" server)
	else
		return 1
	fi
}

if ! find_server; then
	if [ "$(id -u)" -ne 0 ]; then
		log "clickhouse-server is not installed and installing it needs root: run 'apt-get install -y clickhouse-server clickhouse-client' as root"
		exit 1
	fi
	log "clickhouse-server is not installed; running: apt-get update && apt-get install -y clickhouse-server clickhouse-client"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update
	apt-get install -y clickhouse-server clickhouse-client
	find_server || { log "clickhouse-server still not found after installing"; exit 1; }
fi

mkdir -p "$data_dir"
data_dir=$(cd "$data_dir" && pwd)
pid_file=$data_dir/server.pid
out_file=$data_dir/log/stdout.log

if [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
	log "a server from $data_dir is running (pid $(cat "$pid_file")) but does not answer on port $native_port; stop it with stop.sh $data_dir"
	exit 1
fi

# Keep in step with render.go: same directories, same placeholders.
for d in etc data tmp log user_files format_schemas; do
	mkdir -p "$data_dir/$d"
done
sed -e "s#@DATA_DIR@#$data_dir#g" \
	-e "s#@NATIVE_PORT@#$native_port#g" \
	-e "s#@HTTP_PORT@#$http_port#g" \
	"$here/config.xml" >"$data_dir/etc/config.xml"
cp "$here/users.xml" "$data_dir/etc/users.xml"

log "starting ${server_cmd[*]} with $data_dir/etc/config.xml (native 127.0.0.1:$native_port, http 127.0.0.1:$http_port)"
(
	cd "$data_dir"
	nohup "${server_cmd[@]}" --config-file="$data_dir/etc/config.xml" >"$out_file" 2>&1 &
	echo $! >"$pid_file"
)
pid=$(cat "$pid_file")

# ready: the server answers SELECT 1 on the HTTP port (or, without curl, via
# clickhouse-client on the native port).
ready() {
	if command -v curl >/dev/null; then
		[ "$(curl -fsS "http://127.0.0.1:$http_port/?query=SELECT%201" 2>/dev/null)" = 1 ]
	elif command -v clickhouse-client >/dev/null; then
		[ "$(clickhouse-client --host 127.0.0.1 --port "$native_port" -q 'SELECT 1' 2>/dev/null)" = 1 ]
	else
		answers "$native_port"
	fi
}

deadline=$((SECONDS + wait_seconds))
until ready; do
	if ! kill -0 "$pid" 2>/dev/null; then
		log "server exited during start; last lines of its logs:"
		tail -n 30 "$out_file" "$data_dir/log/clickhouse-server.err.log" >&2 2>/dev/null || true
		rm -f "$pid_file"
		exit 1
	fi
	if [ "$SECONDS" -ge "$deadline" ]; then
		log "server (pid $pid) did not answer SELECT 1 within ${wait_seconds}s; last lines of its logs:"
		tail -n 30 "$out_file" "$data_dir/log/clickhouse-server.err.log" >&2 2>/dev/null || true
		exit 1
	fi
	sleep 0.5
done
log "ready: clickhouse://127.0.0.1:$native_port (pid $pid, data in $data_dir)"
