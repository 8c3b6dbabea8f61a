#!/usr/bin/env bash
# Token endpoint benchmark: builds iam-emulator in release mode, starts it on a free loopback
# port, and drives API-key grants with wrk (32 connections, ~10 s by default), printing
# requests/s and latency percentiles. Target on the project's 2-core machine: >= 1,500
# grants/s with p99 < 25 ms. Results are recorded in docs/benchmarks.md.
#
#   bench/emulator-token.sh [DURATION] [CONNECTIONS]      e.g. bench/emulator-token.sh 10s 32
#
# Variants: BENCH_CLIENT=bx adds the CLI's Basic client (a refresh session per grant);
# BENCH_STATE=1 runs the emulator with --state (persistence must not cost throughput).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${1:-10s}
CONNECTIONS=${2:-32}
THREADS=${WRK_THREADS:-2}

command -v wrk >/dev/null || { echo "wrk is missing (Debian: apt-get install wrk)" >&2; exit 1; }
cd "$ROOT"
cargo build --release --locked -p iam-emulator --bin iam-emulator >&2

OUT=$(mktemp -d "${TMPDIR:-/tmp}/iam-emu-bench.XXXXXX")
cleanup() {
    [[ -n ${EMU_PID:-} ]] && kill "$EMU_PID" 2>/dev/null && wait "$EMU_PID" 2>/dev/null
    rm -rf "$OUT"
}
trap cleanup EXIT

mkfifo "$OUT/ready"
EMU_ARGS=(--listen 127.0.0.1:0)
[[ ${BENCH_STATE:-} == 1 ]] && EMU_ARGS+=(--state "$OUT/state.json")
"$ROOT/target/release/iam-emulator" "${EMU_ARGS[@]}" >"$OUT/ready" 2>"$OUT/stderr" &
EMU_PID=$!
# The first stdout line is the ready JSON; later lines (none today) are ignored.
exec 3<"$OUT/ready"
IFS= read -r -t 30 READY <&3 || { echo "emulator did not become ready" >&2; cat "$OUT/stderr" >&2; exit 1; }
URL=$(jq -r .url <<<"$READY")
APIKEY=$(jq -r .apikey <<<"$READY")

# Warm up (connections, allocator, CPU frequency) before measuring.
APIKEY=$APIKEY BENCH_CLIENT=${BENCH_CLIENT:-} wrk -t"$THREADS" -c"$CONNECTIONS" -d2s -s "$ROOT/bench/emulator-token.lua" "$URL" >/dev/null
APIKEY=$APIKEY BENCH_CLIENT=${BENCH_CLIENT:-} wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency \
    -s "$ROOT/bench/emulator-token.lua" "$URL" | tee "$OUT/wrk.txt"

STATS=$(curl -s "$URL/emulator/stats")
GRANTS=$(jq '.token_grants["urn:ibm:params:oauth:grant-type:apikey"]' <<<"$STATS")
echo "emulator counted $GRANTS API-key grants"
RPS=$(sed -n 's/.*rps=\([0-9.]*\).*/\1/p' "$OUT/wrk.txt")
P99=$(sed -n 's/.*p99_ms=\([0-9.]*\).*/\1/p' "$OUT/wrk.txt")
ERRS=$(sed -n 's/.*errors_status=\([0-9]*\) errors_socket=\([0-9]*\).*/\1 \2/p' "$OUT/wrk.txt")
echo "RESULT: ${RPS} grants/s, p99 ${P99} ms, ${CONNECTIONS} connections, $(nproc) cores (non-200, socket errors: ${ERRS})"
if [[ $ERRS != "0 0" ]]; then
    echo "FAIL: some requests failed" >&2
    exit 1
fi
awk -v r="$RPS" -v p="$P99" 'BEGIN { exit !(r >= 1500 && p < 25) }' &&
    echo "target met (>= 1500 grants/s, p99 < 25 ms)" ||
    { echo "target missed (>= 1500 grants/s, p99 < 25 ms)" >&2; exit 2; }
