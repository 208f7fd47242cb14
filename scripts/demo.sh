#!/usr/bin/env bash
# make demo: the whole pipeline once, on this machine.
#  1. starts a loopback ClickHouse (installing Debian's package if needed),
#  2. starts `heldsway up` (embedded Kafka broker, ingest, ClickHouse sink),
#  3. posts an order to the conversion API,
#  4. shows it on Kafka as Avro (decoded) and in ClickHouse,
#  5. stops the stack; the data stays under DATA_DIR for another run.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA_DIR="${DATA_DIR:-./.heldsway}"
BIN=./bin/heldsway
HTTP=127.0.0.1:${HTTP_PORT:-8080}
CH_PORT=${CH_PORT:-9000}
mkdir -p "$DATA_DIR"
LOG="$DATA_DIR/demo-up.log"

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

say "starting ClickHouse on 127.0.0.1:$CH_PORT (data under $DATA_DIR/clickhouse)"
./deploy/clickhouse/start.sh "$DATA_DIR/clickhouse" "$CH_PORT"

say "starting heldsway up (log: $LOG)"
"$BIN" up --data-dir "$DATA_DIR" --http-addr "$HTTP" \
  --clickhouse "clickhouse://127.0.0.1:$CH_PORT/heldsway" --log-format console >"$LOG" 2>&1 &
UP_PID=$!
cleanup() {
  if kill -0 "$UP_PID" 2>/dev/null; then
    kill -TERM "$UP_PID"; wait "$UP_PID" || true
  fi
}
trap cleanup EXIT

for i in $(seq 1 60); do
  if curl -fsS "http://$HTTP/healthz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$UP_PID" 2>/dev/null; then echo "heldsway up exited:"; tail -30 "$LOG"; exit 1; fi
  sleep 0.5
done
curl -fsS "http://$HTTP/healthz"; echo

TOKEN=$(cat "$DATA_DIR/secrets/api-token")
ORDER_ID="demo-$(date +%s)"
say "POST /v1/conversions: order $ORDER_ID, 59.90 EUR with code sarah10"
curl -fsS -X POST "http://$HTTP/v1/conversions" \
  -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d "{\"order_id\":\"$ORDER_ID\",\"currency\":\"EUR\",\"subtotal\":5990,\"discount\":599,\"shipping\":490,\"codes\":[\"sarah10\"],\"customer\":{\"email\":\"Jane.Doe@example.com\"}}"
echo

say "the order on Kafka (heldsway.orders.v1, Avro decoded by heldsway tail)"
"$BIN" tail orders --data-dir "$DATA_DIR" --from-beginning --timeout 10s --log-level warn | grep "$ORDER_ID"

say "the order in ClickHouse (heldsway.orders)"
for i in $(seq 1 40); do
  n=$(clickhouse-client --port "$CH_PORT" -q "SELECT count() FROM heldsway.orders WHERE order_id = '$ORDER_ID'" 2>/dev/null || echo 0)
  [ "$n" = "1" ] && break
  sleep 0.5
done
clickhouse-client --port "$CH_PORT" --format PrettyCompactMonoBlock -q \
  "SELECT order_id, platform, currency, subtotal, discount, total, codes, occurred_at FROM heldsway.orders FINAL WHERE order_id = '$ORDER_ID'"
if [ "$n" != "1" ]; then echo "order did not reach ClickHouse; see $LOG"; tail -30 "$LOG"; exit 1; fi

say "done: HTTP -> Kafka (Avro) -> ClickHouse"
echo "ClickHouse keeps running for the next run (stop it: make clickhouse-stop DATA_DIR=$DATA_DIR)."
echo "Run the stack in the foreground with: make up"
