#!/usr/bin/env bash
# Runs every cargo-fuzz target of the repository for a fixed number of executions and prints
# one table row per target: crate, target, executions, coverage, crashes, seconds.
#
#   bench/fuzz.sh                      every target of every fuzz crate, 1,000,000 runs each
#   FUZZ_RUNS=100000 bench/fuzz.sh     fewer runs (a quick check)
#   bench/fuzz.sh emulator/fuzz:http   only these targets (CRATE:TARGET, or TARGET of any crate)
#
# Fuzz crates: emulator/fuzz (the emulator's parsers) and fuzz (iamctl's), each when present.
# Each target runs alone (one job, one process: the machine has 2 cores) on a fresh copy of
# its seeds (CRATE/seeds/TARGET) under bench/out/fuzz/, with CRATE/dict/TARGET.dict when
# there is one. FUZZ_MAX_SECONDS (default 0: none) caps each target's time; a capped target
# reports the executions it reached. FUZZ_OUT (default bench/out/fuzz) is where the corpora,
# logs and summary go: two runs at once (one per core, on different targets) need two. A crash (or any other failure of libFuzzer) makes the
# script exit 1 and name the artifact: rerun it with
#   (cd CRATE && cargo +nightly fuzz run TARGET ARTIFACT)
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${FUZZ_RUNS:-1000000}
MAX_SECONDS=${FUZZ_MAX_SECONDS:-0}
OUT=${FUZZ_OUT:-$ROOT/bench/out/fuzz}
CRATES=(emulator/fuzz fuzz)

case $RUNS in '' | *[!0-9]*) echo "fuzz.sh: FUZZ_RUNS must be a number, not '$RUNS'" >&2; exit 2 ;; esac
case $MAX_SECONDS in '' | *[!0-9]*) echo "fuzz.sh: FUZZ_MAX_SECONDS must be a number" >&2; exit 2 ;; esac
command -v cargo >/dev/null || { echo "fuzz.sh: cargo not found" >&2; exit 2; }
cargo +nightly fuzz --version >/dev/null 2>&1 || {
    echo "fuzz.sh: needs 'cargo +nightly fuzz' (rustup toolchain install nightly; cargo install cargo-fuzz)" >&2
    exit 2
}

mkdir -p "$OUT"
SUMMARY="$OUT/summary.txt"
ROW='%-14s %-12s %12s %8s %8s %7s %9s\n'
{
    printf "fuzz.sh: %s runs per target%s, %s, %s\n" "$RUNS" \
        "$([ "$MAX_SECONDS" -gt 0 ] && echo ", at most ${MAX_SECONDS} s" || true)" \
        "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')" "$(date -u +%Y-%m-%dT%H:%MZ)"
    printf "$ROW" crate target executions cov ft crashes seconds
} | tee "$SUMMARY"

failed=()
found=0
for crate in "${CRATES[@]}"; do
    dir="$ROOT/$crate"
    [ -f "$dir/Cargo.toml" ] || continue
    targets=$(cd "$dir" && cargo +nightly fuzz list)
    want=()
    if [ $# -eq 0 ]; then
        for t in $targets; do want+=("$t"); done
    else
        # In the order asked for (slow targets last, say).
        for arg in "$@"; do
            for t in $targets; do
                [ "$arg" = "$t" ] || [ "$arg" = "$crate:$t" ] && want+=("$t")
            done
        done
    fi
    [ ${#want[@]} -gt 0 ] || continue
    for t in "${want[@]}"; do
        # Release with debug assertions and overflow checks (cargo-fuzz's default) and
        # AddressSanitizer.
        (cd "$dir" && cargo +nightly fuzz build "$t" >"$OUT/build.log" 2>&1) || {
            tail -n 20 "$OUT/build.log" >&2
            echo "fuzz.sh: $crate: target $t does not build: (cd $crate && cargo +nightly fuzz build $t)" >&2
            failed+=("$crate:$t (build)")
            continue
        }
        found=$((found + 1))
        bin="$dir/target/$(rustc +nightly -vV | sed -n 's/^host: //p')/release/$t"
        work="$OUT/${crate//\//_}/$t"
        rm -rf "$work"
        mkdir -p "$work/corpus" "$work/artifacts"
        [ -d "$dir/seeds/$t" ] && cp -R "$dir/seeds/$t/." "$work/corpus/"
        args=(-runs="$RUNS" -print_final_stats=1 -artifact_prefix="$work/artifacts/"
            -close_fd_mask=1 -rss_limit_mb=4096)
        [ -f "$dir/dict/$t.dict" ] && args+=(-dict="$dir/dict/$t.dict")
        [ "$MAX_SECONDS" -gt 0 ] && args+=(-max_total_time="$MAX_SECONDS")
        start=$(date +%s.%N)
        set +e
        "$bin" "${args[@]}" "$work/corpus" >"$work/log" 2>&1
        rc=$?
        set -e
        seconds=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.0f", e - s }')
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
        # The last status line (`#N DONE cov: C ft: F ...`, or the last `pulse`/`NEW` line).
        status=$(grep -E '^#[0-9]+' "$work/log" | tail -n 1 || true)
        cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$status")
        ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$status")
        artifacts=$(find "$work/artifacts" -type f | sort)
        crashes=$(printf '%s' "$artifacts" | grep -c . || true)
        printf "$ROW" "$crate" "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$crashes" "$seconds" | tee -a "$SUMMARY"
        if [ "$rc" -ne 0 ] || [ "$crashes" -gt 0 ]; then
            failed+=("$crate:$t")
            echo "fuzz.sh: $crate:$t failed (exit $rc); log $work/log" >&2
            for a in $artifacts; do echo "fuzz.sh:   artifact $a" >&2; done
            grep -m 5 -E 'panicked at|ERROR: |SUMMARY: ' "$work/log" | sed 's/^/fuzz.sh:   /' >&2 || true
        fi
    done
done

if [ "$found" -eq 0 ] && [ ${#failed[@]} -eq 0 ]; then
    echo "fuzz.sh: no fuzz target found${*:+ matching $*}" >&2
    exit 2
fi
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz.sh: FAILED: ${failed[*]}" | tee -a "$SUMMARY" >&2
    exit 1
fi
echo "fuzz.sh: no crash; summary in ${SUMMARY#"$ROOT"/}" >&2
