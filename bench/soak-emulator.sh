#!/usr/bin/env bash
# Soak: mixed traffic against a release-built iam-emulator on loopback for a fixed time (default
# 600 s), as fast as it answers; reports resident memory (VmRSS) at start and end and each
# minute, requests and p99 latency per minute, and unexpected errors (which must be 0).
#
#   bench/soak-emulator.sh                   10 minutes
#   SOAK_SECONDS=60 bench/soak-emulator.sh   one minute
#
# The traffic (bench/soak_emulator.py, Python standard library only): grants of every kind
# (apikey, refresh, passcode, cr-token, assume, delegated refresh token, VPC instance
# identity), IAM Identity CRUD, paged lists, admin calls and injected faults (503, delay,
# drop), from SOAK_PROCS processes (default 2) of SOAK_THREADS keep-alive connections each
# (default 8). The emulator runs with --state, so persistence is soaked too. Nothing leaves
# loopback: the emulator listens on 127.0.0.1 and the client refuses any other address.
# Raw results land in bench/out/soak/. Exit 1 on any unexpected error or if the emulator
# dies.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_TOTAL=${SOAK_SECONDS:-600}
case $SECONDS_TOTAL in '' | *[!0-9]*) echo "soak: SOAK_SECONDS must be a number" >&2; exit 2 ;; esac
PYTHON=${PYTHON:-python3}
OUT="$ROOT/bench/out/soak"

cd "$ROOT"
if [ -z "${EMU_BIN:-}" ]; then
    cargo build --release --locked -p iam-emulator --bin iam-emulator >&2
    EMU_BIN="$ROOT/target/release/iam-emulator"
fi
mkdir -p "$OUT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/iam-emu-soak.XXXXXX")
cleanup() {
    [ -n "${SAMPLER:-}" ] && kill "$SAMPLER" 2>/dev/null
    [ -n "${EMU_PID:-}" ] && kill "$EMU_PID" 2>/dev/null && wait "$EMU_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

mkfifo "$WORK/ready"
"$EMU_BIN" --listen 127.0.0.1:0 --state "$WORK/state.json" >"$WORK/ready" 2>"$OUT/emulator.stderr" &
EMU_PID=$!
exec 3<"$WORK/ready"
IFS= read -r -t 60 READY <&3 || { echo "soak: the emulator did not become ready" >&2; cat "$OUT/emulator.stderr" >&2; exit 1; }
URL=$("$PYTHON" -c 'import json,sys; print(json.loads(sys.argv[1])["url"])' "$READY")
case $URL in http://127.*) ;; *) echo "soak: $URL is not loopback" >&2; exit 1 ;; esac

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$EMU_PID/status"; }
RSS_START=$(rss)
# One sample a minute (and at the end), bounded by the soak's own length.
(
    for _ in $(seq 1 $((SECONDS_TOTAL / 60 + 1))); do
        sleep 60
        echo "$(date -u +%H:%M:%S) $(rss 2>/dev/null || echo gone)"
    done
) >"$OUT/rss.txt" &
SAMPLER=$!

echo "soak: $SECONDS_TOTAL s against $URL (pid $EMU_PID), VmRSS at start ${RSS_START} kB" >&2
"$PYTHON" "$ROOT/bench/soak_emulator.py" "$URL" "$SECONDS_TOTAL" <<<"$READY" >"$OUT/result.json"
kill "$SAMPLER" 2>/dev/null || true
SAMPLER=
if ! kill -0 "$EMU_PID" 2>/dev/null; then
    echo "soak: the emulator died" >&2
    cat "$OUT/emulator.stderr" >&2
    exit 1
fi
RSS_END=$(rss)
STATE_BYTES=$(stat -c %s "$WORK/state.json")

"$PYTHON" - "$OUT/result.json" "$RSS_START" "$RSS_END" "$STATE_BYTES" "$OUT/rss.txt" <<'EOF' | tee "$OUT/summary.txt"
import json, sys
r = json.load(open(sys.argv[1]))
start, end, state = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
samples = open(sys.argv[5]).read().split()
print(f"clients: {r['processes']} processes x {r['threads']} connections; refresh tokens revoked {r['revokes']} times")
print(f"{'minute':>6} {'requests':>9} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
total = 0
for m in r["minutes"]:
    total += m["requests"]
    print(f"{m['minute']:>6} {m['requests']:>9} {m['requests'] / 60:>7.0f} {m['p50_ms']:>8} {m['p99_ms']:>8} {m['max_ms']:>8}")
print(f"total requests: {total}")
print(f"VmRSS start {start} kB, end {end} kB; per minute: {' '.join(samples[1::2])} kB")
print(f"state file at end: {state} bytes")
print("requests per operation: " + ", ".join(f"{k} {v}" for k, v in r["per_op"].items()))
print(f"unexpected errors: {r['unexpected_errors']}")
for e in r["first_errors"]:
    print(f"  {e}")
EOF
[ "$(sed -n 's/^unexpected errors: //p' "$OUT/summary.txt")" = 0 ]
