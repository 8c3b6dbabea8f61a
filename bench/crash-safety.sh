#!/usr/bin/env bash
# Crash safety, measured (issue 12): kills iamctl with SIGKILL at random moments of login,
# refresh, target, logout, service-api-key-create --file and session-switch, thousands of
# times, against the release emulator on loopback and a private Secret Service. After every
# kill it checks what a user would meet next:
#   - the next command works, or fails with a documented exit code, "FAILED", one line and a
#     "Tip:" (never a panic or a backtrace);
#   - every JSON file under the home parses and `iamctl sessions --output json` works;
#   - temporary files under the home do not pile up (counted after every kill);
#   - a --file key file is complete (JSON with an apikey) or absent;
#   - a fresh login afterwards works (recovery);
# and at the end, after logging out of every session, that no keyring secret of this home is
# left (secret-tool search, the attributes iamctl's entries carry: service iamctl, username
# "<home>|<iam endpoint>|<session>|<iam_id>|<kind>").
#
# Env: CRASH_KILLS (default 2000, spread evenly over the operations), CRASH_OPS (default
# "login refresh target logout keyfile switch"), CRASH_MAX_SECONDS
# (default 1800: the run stops there, whatever the count), IAMCTL_PREBUILT=DIR (iamctl and
# iam-emulator from DIR instead of `cargo build --release`), CRASH_SEED (bash RANDOM seed).
# Exit status: 0 when no kill left a problem, 1 otherwise, 2 when the Secret Service itself
# died mid-run (the counts up to then are printed).
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"

if [[ ${IAMCTL_SECRET_SERVICE_READY:-} != 1 ]]; then
    ensure_base_packages
    exec bash -c '. scripts/lib.sh; with_secret_service bash bench/crash-safety.sh'
fi
command -v timeout >/dev/null || die "timeout (coreutils) is missing"

if [[ -n ${IAMCTL_PREBUILT:-} ]]; then
    BIN=$IAMCTL_PREBUILT
else
    log "cargo build --release"
    cargo build --release --locked -p iamctl -p iam-emulator --bins
    BIN=$ROOT/target/release
fi
IAMCTL=$BIN/iamctl
EMULATOR=$BIN/iam-emulator
[[ -x $IAMCTL && -x $EMULATOR ]] || die "no iamctl and iam-emulator in $BIN"

KILLS=${CRASH_KILLS:-2000}
MAX_SECONDS=${CRASH_MAX_SECONDS:-1800}
RANDOM=${CRASH_SEED:-$$}
read -r -a OPS <<<"${CRASH_OPS:-login refresh target logout keyfile switch}"
PER_OP=$(((KILLS + ${#OPS[@]} - 1) / ${#OPS[@]}))

WORK=$(mktemp -d "${TMPDIR:-/tmp}/iamctl-crash.XXXXXX")
EMU_PID=
cleanup() {
    [[ -n $EMU_PID ]] && kill "$EMU_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

start_emulator "$EMULATOR" --listen 127.0.0.1:0
DEMO=$(jq -r '.accounts[0].id' <<<"$READY")
STAGING=$(jq -r '.accounts[1].id' <<<"$READY")
umask 077
jq -r .apikey <<<"$READY" >"$WORK/user.key"
jq -r .service_apikey <<<"$READY" >"$WORK/service.key"

export IAMCTL_HOME=$WORK/home NO_COLOR=1 IBMCLOUD_HTTP_TIMEOUT=20
unset IAMCTL_SESSION IBMCLOUD_API_KEY IAMCTL_TRACE IBMCLOUD_TRACE
KEYDIR=$WORK/keys
mkdir -p "$KEYDIR"
S=crash

ic() { "$IAMCTL" "$@"; }
login_as() { # SESSION user|service, not killed; must work
    ic --session "$1" login -a "$URL" --apikey "@$WORK/$2.key" --no-region -q >/dev/null
}
token_ttl() { # SECONDS: the lifetime of access tokens issued from now on
    curl -fsS -X PUT "$URL/emulator/config" -H 'Content-Type: application/json' \
        -d "{\"token_ttl\": $1}" >/dev/null
}

# The killed command of each operation (run from op_cmd's array), and what it needs first.
N=0
op_setup() {
    case $1 in
    login) ;; # whatever the last kill left
    # A token with 5 s to live is in its refresh window at once: the next oauth-tokens
    # renews it with the refresh token (iamctl judges expiry by its own clock, so moving
    # the emulator's clock would not do).
    refresh) token_ttl 5 && login_as $S user && token_ttl 3600 ;;
    target | logout) login_as $S user ;;
    keyfile) login_as $S user ;;
    switch) ;;
    esac
}
op_cmd() {
    N=$((N + 1))
    case $1 in
    # Alternating identities: a login killed between storing the new identity's secrets and
    # writing the session file is where an orphan secret would come from.
    login) if ((N % 2)); then CMD=(--session $S login -a "$URL" --apikey "@$WORK/user.key" -c "$DEMO" --no-region)
        else CMD=(--session $S login -a "$URL" --apikey "@$WORK/service.key" --no-region); fi ;;
    refresh) CMD=(--session $S oauth-tokens) ;;
    target) if ((N % 2)); then CMD=(--session $S target -c "$STAGING" -r eu-de)
        else CMD=(--session $S target -c "$DEMO" -r us-south); fi ;;
    logout) CMD=(--session $S logout) ;;
    keyfile) KEYFILE=$KEYDIR/key-$N.json
        CMD=(--session $S service-api-key-create "crash-$N" crash-sid --file "$KEYFILE") ;;
    switch) if ((N % 2)); then CMD=(session-switch alpha); else CMD=(session-switch beta); fi ;;
    esac
}
# What a user runs next after each operation.
op_next() {
    case $1 in
    switch) NEXT=(target) ;;
    *) NEXT=(--session $S oauth-tokens) ;;
    esac
}

# Setting up: sessions for session-switch, the service ID for keys, typical durations.
login_as alpha user
login_as beta service
login_as $S user
ic --session $S service-id-create crash-sid -d 'crash-safety keys' -q >/dev/null
declare -A TYPICAL_US
for op in "${OPS[@]}"; do
    times=()
    for _ in 1 2 3 4 5 6 7; do
        op_setup "$op"
        op_cmd "$op"
        t0=$(date +%s%N)
        ic "${CMD[@]}" >/dev/null 2>&1 || die "$op does not work unkilled: ${CMD[*]}"
        times+=($((($(date +%s%N) - t0) / 1000)))
    done
    TYPICAL_US[$op]=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 4p)
done
login_as $S user
log "typical durations (median of 7, µs): $(for op in "${OPS[@]}"; do printf '%s=%s ' "$op" "${TYPICAL_US[$op]}"; done)"

declare -A KILLED=() FINISHED=() PROBLEMS=() NEXT_CODES=() TRIED=() TMP_LEFT=()
declare -A PROBLEM_KINDS=() # "op|kind" -> count
MAX_TMP=0
TMP_NOW=0
problem() { # OP KIND DETAIL
    PROBLEMS[$1]=$((${PROBLEMS[$1]:-0} + 1))
    PROBLEM_KINDS["$1|$2"]=$((${PROBLEM_KINDS["$1|$2"]:-0} + 1))
    if ((${PROBLEM_KINDS["$1|$2"]} <= 3)); then
        printf 'problem after a killed %s: %s: %s\n' "$1" "$2" "$3" >&2
    fi
}

# "FAILED", then one line, then only "Tip: ..." lines (warnings may come first); documented
# exit codes only.
check_failure_text() { # OP CODE STDERR-FILE
    local op=$1 code=$2 err=$3
    if grep -qE 'panicked|RUST_BACKTRACE|stack backtrace' "$err"; then
        problem "$op" panic "$(head -c 300 "$err")"
        return
    fi
    case $code in 1 | 2 | 3 | 4 | 5 | 6) ;; *) problem "$op" "exit $code" "$(head -c 300 "$err")"; return ;; esac
    local body
    body=$(grep -v '^WARNING: ' "$err" || true)
    if [[ $(sed -n 1p <<<"$body") != FAILED ]] || [[ -z $(sed -n 2p <<<"$body") ]] ||
        sed -n '3,$p' <<<"$body" | grep -qv '^Tip: '; then
        problem "$op" "unclear error" "$(head -c 300 "$err")"
    fi
}

check_home() { # OP
    local op=$1 f files=()
    # Through a file, not a process substitution: one run's bash 5.2 blocked for good in
    # waitpid after thousands of them, with only the emulator left as its child.
    find "$IAMCTL_HOME" -name '*.json' -print0 >"$WORK/json.list"
    mapfile -d '' files <"$WORK/json.list"
    # One jq for all files; file by file only to name the one that does not parse.
    if ((${#files[@]})) && ! jq empty "${files[@]}" >/dev/null 2>&1; then
        for f in "${files[@]}"; do
            jq empty "$f" 2>/dev/null || problem "$op" "corrupt file" "$f: $(head -c 120 "$f")"
        done
    fi
    if [[ -f $IAMCTL_HOME/current ]] && ! grep -qxE '[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}' "$IAMCTL_HOME/current"; then
        problem "$op" "corrupt file" "current: $(head -c 80 "$IAMCTL_HOME/current")"
    fi
    if ! ic sessions --output json >"$WORK/sessions.out" 2>"$WORK/sessions.err" ||
        ! jq empty "$WORK/sessions.out" 2>/dev/null; then
        problem "$op" "sessions fails" "$(head -c 300 "$WORK/sessions.err")"
    fi
    TMP_NOW=$(find "$IAMCTL_HOME" \( -name '*.tmp*' -o -name '.tmp*' \) | wc -l)
    ((TMP_NOW > MAX_TMP)) && MAX_TMP=$TMP_NOW
    return 0
}

check_keyfile() {
    [[ -e $KEYFILE ]] || return 0
    # jq 1.6 exits 0 on an empty file even with -e, so the value itself is looked at.
    if [[ -z $(jq -r '.apikey // empty' "$KEYFILE" 2>/dev/null) ]]; then
        problem keyfile "partial key file" "$(stat -c %s "$KEYFILE") bytes"
    fi
    rm -f "$KEYFILE"
}

# The Secret Service itself can die under this load (gnome-keyring-daemon once stopped on a
# GLib assertion after about 1,500 kills); D-Bus then starts a new one whose keyring is
# locked, and every later command would fail for a reason that is not iamctl's. Its PID is
# watched, and the run stops when it dies, saying so.
KEYRING_PID=$(dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets 2>/dev/null |
    awk '/uint32/ { print $2 }')
[[ -n $KEYRING_PID ]] || die "cannot find the Secret Service's process on the D-Bus session"
KEYRING_DIED=0

log "killing iamctl $KILLS times ($PER_OP per operation, at most $MAX_SECONDS s)"
START=$SECONDS
TMP_START=$(find "$IAMCTL_HOME" \( -name '*.tmp*' -o -name '.tmp*' \) | wc -l)
done_ops=0
attempts=0
while ((done_ops < ${#OPS[@]} && SECONDS - START < MAX_SECONDS)); do
    done_ops=0
    for op in "${OPS[@]}"; do
        if ((${KILLED[$op]:-0} >= PER_OP || ${TRIED[$op]:-0} >= 4 * PER_OP)); then
            done_ops=$((done_ops + 1))
            continue
        fi
        attempts=$((attempts + 1))
        TRIED[$op]=$((${TRIED[$op]:-0} + 1))
        if ! op_setup "$op" 2>"$WORK/setup.err"; then
            problem "$op" "recovery login failed" "$(head -c 300 "$WORK/setup.err")"
            # Start over from a clean session so one problem is not counted forever.
            ic --session $S logout >/dev/null 2>&1 || true
            login_as $S user || true
            continue
        fi
        op_cmd "$op"
        # A random moment in [0.1 ms, 1.2 x typical]: the tail past the typical duration
        # catches slow runs; a kill that comes too late counts as finished, not killed.
        max_us=$((TYPICAL_US[$op] * 12 / 10))
        delay_us=$((((RANDOM << 15) | RANDOM) % max_us + 100))
        delay=$(printf '%d.%06d' $((delay_us / 1000000)) $((delay_us % 1000000)))
        set +e
        # --foreground: timeout kills only iamctl and exits 137 itself, so bash does not
        # report a job killed by a signal ("Killed") thousands of times.
        timeout --foreground -s KILL "$delay" "$IAMCTL" "${CMD[@]}" >/dev/null 2>"$WORK/op.err"
        rc=$?
        set -e
        if ((rc == 137)); then
            KILLED[$op]=$((${KILLED[$op]:-0} + 1))
        else
            FINISHED[$op]=$((${FINISHED[$op]:-0} + 1))
        fi
        [[ $op == keyfile ]] && check_keyfile
        op_next "$op"
        set +e
        ic "${NEXT[@]}" >/dev/null 2>"$WORK/next.err"
        code=$?
        set -e
        NEXT_CODES["$op|$code"]=$((${NEXT_CODES["$op|$code"]:-0} + 1))
        ((code == 0)) || check_failure_text "$op" "$code" "$WORK/next.err"
        before=$TMP_NOW
        check_home "$op"
        ((TMP_NOW > before)) && TMP_LEFT[$op]=$((${TMP_LEFT[$op]:-0} + TMP_NOW - before))
        if ! kill -0 "$KEYRING_PID" 2>/dev/null; then
            KEYRING_DIED=1
            break 2
        fi
    done
done
ELAPSED=$((SECONDS - START))

# Logout of every session, then no secret of this home may be left in the keyring (not
# countable when the Secret Service died: its successor's keyring is locked).
ORPHANS=0
((KEYRING_DIED)) || for s in $S alpha beta; do ic --session "$s" logout >/dev/null 2>&1 || true; done
((KEYRING_DIED)) || for _ in $(seq 20); do
    if out=$(secret-tool search --all service iamctl 2>&1 >/dev/null); then
        ORPHANS=$(grep -c "attribute.username = $IAMCTL_HOME|" <<<"$out" || true)
        break
    fi
    sleep 0.1
done
((ORPHANS == 0)) || { problem logout "orphaned keyring secret" "$ORPHANS left after logout of every session"; grep "attribute.username = $IAMCTL_HOME|" <<<"$out" >&2; }
TMP_BOUND=${CRASH_TMP_BOUND:-10}
((MAX_TMP <= TMP_BOUND)) || problem all "temp files pile up" "up to $MAX_TMP under the home (bound $TMP_BOUND)"
TMP_END=$(find "$IAMCTL_HOME" \( -name '*.tmp*' -o -name '.tmp*' \) | wc -l)

total_killed=0 total_problems=0
printf '\n%-9s %7s %9s %9s %9s %10s  %s\n' operation killed finished problems tmp-left typical 'next command: exit code:count' 
for op in "${OPS[@]}"; do
    codes=$(for k in "${!NEXT_CODES[@]}"; do
        if [[ $k == "$op|"* ]]; then printf '%s:%s ' "${k#*|}" "${NEXT_CODES[$k]}"; fi
    done)
    printf '%-9s %7d %9d %9d %9d %8.1fms  %s\n' "$op" "${KILLED[$op]:-0}" "${FINISHED[$op]:-0}" \
        "${PROBLEMS[$op]:-0}" "${TMP_LEFT[$op]:-0}" "$(awk "BEGIN{print ${TYPICAL_US[$op]}/1000}")" "$codes"
    total_killed=$((total_killed + ${KILLED[$op]:-0}))
done
for k in "${!PROBLEMS[@]}"; do total_problems=$((total_problems + PROBLEMS[$k])); done
echo
if ((${#PROBLEM_KINDS[@]})); then
    echo "problems by kind:"
    for k in "${!PROBLEM_KINDS[@]}"; do printf '  %s: %d\n' "$k" "${PROBLEM_KINDS[$k]}"; done
fi
printf 'RESULT: %d kills (%d attempts) in %d s; %d problems; temp files under the home: %d at start, max %d, %d at end; keyring secrets left after logout: %d\n' \
    "$total_killed" "$attempts" "$ELAPSED" "$total_problems" "$TMP_START" "$MAX_TMP" "$TMP_END" "$ORPHANS"
if ((KEYRING_DIED)); then
    echo "STOPPED: the Secret Service (gnome-keyring-daemon, PID $KEYRING_PID) died during the run, which is not iamctl's doing; the counts above end there. Run again." >&2
    exit 2
fi
((total_problems == 0))
