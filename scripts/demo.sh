#!/usr/bin/env bash
# make demo: HeldSway's story once, on this machine, a line per step.
#  1. starts a loopback ClickHouse (installing Debian's package if needed)
#     and `heldsway up` (embedded Kafka, ingest, processor, sink);
#  2. imports the example codes (codes/testdata/example.csv);
#  3. clicks Mike's link (GET /c/MIKEFIT15);
#  4. places three orders through the conversion API: one with Sarah's code
#     SARAH10, one after Mike's click (no code), and one with TECHTOM15, a
#     code that requires a click from Tom, with no click (coupon stuffing);
#  5. refunds part of Sarah's order;
#  6. prints the attributions (who earned what, and why), the refund's
#     adjustment, the fraud flag and SARAH10's `heldsway report` row;
#  7. stops the stack; ClickHouse and the data stay under DATA_DIR.
# It exits non-zero, saying which, when any part of the story is missing.
#
# Ports: HTTP_PORT (8080), KAFKA_PORT (9092), CH_PORT (9000), CH_HTTP_PORT (8123).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA_DIR="${DATA_DIR:-./.heldsway}"
BIN=./bin/heldsway
HTTP=127.0.0.1:${HTTP_PORT:-8080}
KAFKA=127.0.0.1:${KAFKA_PORT:-9092}
CH_PORT=${CH_PORT:-9000}
CH_HTTP_PORT=${CH_HTTP_PORT:-8123}
WAIT=${DEMO_WAIT_SECONDS:-90}
mkdir -p "$DATA_DIR"
LOG="$DATA_DIR/demo-up.log"

# Everything printed goes through one filter that strips terminal escape
# codes (colours, cursor moves), so the output reads the same in a log.
exec > >(sed -u -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1b[()][A-Za-z0-9]//g' -e 's/\r$//') 2>&1
FILTER_PID=$!

step() { printf '==> %s\n' "$*"; }
fail() { printf 'demo FAILED: %s\n' "$*"; [ -f "$LOG" ] && { echo "last lines of $LOG:"; tail -20 "$LOG"; }; exit 1; }
# money MINOR CURRENCY: 1078 USD -> 10.78 USD (two-decimal currencies).
money() { local v=$1 s=""; [ "${v#-}" != "$v" ] && { s=-; v=${v#-}; }; printf '%s%d.%02d %s' "$s" $((v / 100)) $((v % 100)) "$2"; }
# field NAME < json: the first (top-level) value of NAME, quotes removed.
field() { grep -o "\"$1\":\(\"[^\"]*\"\|[-0-9]*\|null\|\[[^]]*\]\)" | head -1 | sed -e "s/^\"$1\"://" -e 's/^"//' -e 's/"$//'; }
kafka() { "$BIN" "$@" --data-dir "$DATA_DIR" --kafka-listen "$KAFKA" --log-level error; }

step "starting ClickHouse on 127.0.0.1:$CH_PORT (data under $DATA_DIR/clickhouse)"
./deploy/clickhouse/start.sh "$DATA_DIR/clickhouse" "$CH_PORT" "$CH_HTTP_PORT"
CH="clickhouse://127.0.0.1:$CH_PORT/heldsway"

step "starting heldsway up: Kafka on $KAFKA, HTTP on $HTTP, clicks redirect to https://shop.example/, program scripts/demo.program.yaml (10% commission on clicks) (log: $LOG)"
"$BIN" up --data-dir "$DATA_DIR" --http-addr "$HTTP" --kafka-listen "$KAFKA" --clickhouse "$CH" \
  --destination default=https://shop.example/ --program scripts/demo.program.yaml --log-format json >"$LOG" 2>&1 &
UP_PID=$!
cleanup() {
  if kill -0 "$UP_PID" 2>/dev/null; then
    kill -TERM "$UP_PID"; wait "$UP_PID" || true
  fi
  # Let the filter print everything before the script ends.
  exec >&- 2>&-
  wait "$FILTER_PID" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 1 $((WAIT * 2))); do
  curl -fsS "http://$HTTP/healthz" >/dev/null 2>&1 && break
  kill -0 "$UP_PID" 2>/dev/null || fail "heldsway up exited"
  sleep 0.5
done
curl -fsS "http://$HTTP/healthz" >/dev/null 2>&1 || fail "heldsway up not healthy after ${WAIT}s"
TOKEN=$(cat "$DATA_DIR/secrets/api-token")
RUN=$(date +%s)

step "1. import codes: codes/testdata/example.csv (SARAH10 for Sarah, MIKEFIT15 for Mike, TECHTOM15 for Tom: requires a click)"
kafka codes import codes/testdata/example.csv | sed 's/^/   /'

step "2. click: a shopper follows Mike's link GET /c/MIKEFIT15"
loc=$(curl -fsS -o /dev/null -D - -A 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0' \
  "http://$HTTP/c/MIKEFIT15" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
VID=$(printf '%s' "$loc" | sed -n 's/.*[?&]hs_vid=\([^&]*\).*/\1/p')
CID=$(printf '%s' "$loc" | sed -n 's/.*[?&]hs_cid=\([^&]*\).*/\1/p')
[ -n "$VID" ] && [ -n "$CID" ] || fail "the click redirect carried no hs_vid/hs_cid: '$loc'"
echo "   302 to $loc"

post() {
  curl -fsS -X POST "http://$HTTP$1" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' -d "$2" >/dev/null || fail "POST $1 was refused"
}
O1=demo-$RUN-1 O2=demo-$RUN-2 O3=demo-$RUN-3
CLICKED=$(date +%s)
step "3. orders through the conversion API"
echo "   $O1: 59.90 USD with Sarah's code SARAH10"
post /v1/conversions "{\"order_id\":\"$O1\",\"currency\":\"USD\",\"subtotal\":5990,\"discount\":599,\"codes\":[\"SARAH10\"],\"customer\":{\"email\":\"jane+$RUN@example.com\"}}"
echo "   $O3: 80.00 USD with Tom's TECHTOM15 and no click from Tom (a stuffing attempt)"
post /v1/conversions "{\"order_id\":\"$O3\",\"currency\":\"USD\",\"subtotal\":8000,\"discount\":1200,\"codes\":[\"TECHTOM15\"],\"customer\":{\"email\":\"carl+$RUN@example.com\"}}"
# A click seconds before checkout is flagged click_injection (--injection-threshold,
# default 10s): the shopper who clicked browses a little before buying.
while [ $(($(date +%s) - CLICKED)) -le 11 ]; do sleep 1; done
echo "   $O2: 120.00 USD, no code, by the shopper who clicked Mike's link 12 seconds ago"
post /v1/conversions "{\"order_id\":\"$O2\",\"currency\":\"USD\",\"subtotal\":12000,\"visitor_id\":\"$VID\",\"click_id\":\"$CID\",\"customer\":{\"email\":\"bob+$RUN@example.com\"}}"

step "4. refund: 20.00 USD of $O1"
post /v1/refunds "{\"refund_id\":\"demo-$RUN-r1\",\"order_id\":\"$O1\",\"currency\":\"USD\",\"amount\":2000}"

# Read the outputs until the story is complete (or WAIT seconds pass).
attr="" adj="" flags=""
for _ in $(seq 1 $((WAIT / 3))); do
  attr=$(kafka tail attributions --from-beginning --timeout 3s | grep "\"order_id\":\"demo-$RUN-" || true)
  adj=$(kafka tail adjustments --from-beginning --timeout 1s | grep "\"order_id\":\"$O1\"" || true)
  flags=$(kafka tail flags --from-beginning --timeout 1s | grep "\"order_id\":\"$O3\"" || true)
  [ "$(printf '%s\n' "$attr" | grep -c .)" -ge 3 ] && [ -n "$adj" ] && [ -n "$flags" ] && break
done

step "5. attributions (heldsway.attributions.v1): who earned what, and why"
for o in "$O1" "$O2" "$O3"; do
  a=$(printf '%s\n' "$attr" | grep "\"order_id\":\"$o\"" | tail -1)
  [ -n "$a" ] || fail "no attribution for $o"
  aff=$(field affiliate_id <<<"$a") method=$(field method <<<"$a") status=$(field status <<<"$a")
  com=$(field commission <<<"$a") cur=$(field currency <<<"$a") net=$(field net_amount <<<"$a")
  why=$(printf '%s' "$a" | grep -o '"reason":"[^"]*"' | head -1 | sed 's/.*:"\(.*\)"/\1/')
  reasons=$(field reasons <<<"$a")
  printf '   %s: %s earned %s on %s net, by %s (%s), status %s%s\n' "$o" "$aff" "$(money "$com" "$cur")" \
    "$(money "$net" "$cur")" "$method" "$why" "$status" "$([ "$reasons" != null ] && echo ", reasons $reasons")"
  case $o in
  "$O1") [ "$aff/$method/$status/$com" = "aff_sarah_lee/code/approved/1078" ] || fail "$o: want Sarah by code, 10.78 USD, approved" ;;
  "$O2") [ "$aff/$method/$status/$com" = "aff_mike_ross/click/approved/2400" ] || fail "$o: want Mike by click, 24.00 USD (the 20% commission of the MIKEFIT15 link he was credited through), approved" ;;
  "$O3") [ "$aff/$status" = "aff_tom_tech/pending_review" ] || fail "$o: want Tom, pending_review (coupon stuffing)" ;;
  esac
done

step "6. adjustment (heldsway.adjustments.v1): the refund reverses part of Sarah's commission"
[ -n "$adj" ] || fail "no adjustment for the refund of $O1"
printf '   %s: %s %s (%s, refund %s)\n' "$O1" "$(field affiliate_id <<<"$adj")" \
  "$(money "$(field amount <<<"$adj")" "$(field currency <<<"$adj")")" "$(field reason <<<"$adj")" "$(field refund_id <<<"$adj")"
[ "$(field amount <<<"$adj")" = -400 ] || fail "$O1: want -4.00 USD (20.00 of 53.91 net refunded, of 10.78 commission)"

step "7. fraud flag (heldsway.flags.v1): TECHTOM15 redeemed without a click from its affiliate"
[ -n "$flags" ] || fail "no fraud flag for $O3"
ftype=$(field type <<<"$flags")
printf '   %s: %s on %s (affiliate %s, severity %s, clicks in window %s)\n' "$O3" "$ftype" "$(field code <<<"$flags")" \
  "$(field affiliate_id <<<"$flags")" "$(field severity <<<"$flags")" "$(field clicks_in_window <<<"$flags")"
[ "$ftype" = code_without_click ] || fail "$O3: want a code_without_click flag, got $ftype"

step "8. heldsway report --code SARAH10 (ClickHouse rollups, refreshed now)"
rep=""
for _ in $(seq 1 $((WAIT / 2))); do
  rep=$("$BIN" report --clickhouse "$CH" --code SARAH10 --refresh --data-dir "$DATA_DIR" --log-level error 2>&1) || true
  printf '%s\n' "$rep" | grep -q '^ *SARAH10 ' && break
  sleep 2
done
printf '%s\n' "$rep" | sed 's/^/   /'
printf '%s\n' "$rep" | grep -q '^ *SARAH10 ' || fail "no SARAH10 row in heldsway report"

step "done: click and code -> Kafka (Avro) -> attribution, refund reversal, fraud flag -> ClickHouse"
echo "ClickHouse keeps running for the next run (stop it: make clickhouse-stop DATA_DIR=$DATA_DIR)."
echo "Run the stack in the foreground with: make up"
