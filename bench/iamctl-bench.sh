#!/usr/bin/env bash
# Benchmarks iamctl's two user-facing hot spots against their peers, in one run:
#   1. `iamctl oauth-tokens` with a valid cached token vs `/bin/true` and `gh auth token`
#      (targets: >= 20x faster than gh, within 3x of /bin/true);
#   2. `iamctl login --apikey` against the local emulator vs a fresh Python process using
#      IBM's SDK IAMAuthenticator to fetch a token (target: >= 5x faster);
#   3. the token helpers other tools call in loops, with a valid cached token: `iamctl
#      credential kubectl` and the Docker helper's `get` (target: <= 2x oauth-tokens each).
# Starts the release emulator binary, runs hyperfine, prints means and ratios, and writes the
# raw hyperfine JSON to bench/out/. Runs under a private Secret Service (scripts/lib.sh), so
# logins store their secrets in a real keyring, as users' do.
#
# Needs: hyperfine, jq, gh (Debian packages), python3-venv. Env: VENV (default
# /tmp/venv-bench, created from tests/conformance/requirements.txt when missing),
# IAMCTL_BENCH_NO_BUILD=1 to skip `cargo build --release`.
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"

if [[ ${IAMCTL_SECRET_SERVICE_READY:-} != 1 ]]; then
    ensure_base_packages
    ensure_debian_packages hyperfine:hyperfine gh:gh
    exec bash -c '. scripts/lib.sh; with_secret_service bash bench/iamctl-bench.sh'
fi

VENV=${VENV:-/tmp/venv-bench}
if [[ ! -x $VENV/bin/python ]]; then
    log "creating $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check -r tests/conformance/requirements.txt
fi
if [[ ${IAMCTL_BENCH_NO_BUILD:-} != 1 ]]; then
    log "cargo build --release"
    cargo build --release --locked -p iamctl -p iam-emulator --bins
fi
IAMCTL="$ROOT/target/release/iamctl"
EMULATOR="$ROOT/target/release/iam-emulator"
OUT="$ROOT/bench/out"
mkdir -p "$OUT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/iamctl-bench.XXXXXX")
EMU_PID=
cleanup() {
    [[ -n $EMU_PID ]] && kill "$EMU_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

log "starting the emulator"
start_emulator "$EMULATOR" --listen 127.0.0.1:0
APIKEY=$(jq -r .apikey <<<"$READY")
printf '%s' "$APIKEY" >"$WORK/apikey"
chmod 600 "$WORK/apikey"

export IAMCTL_HOME="$WORK/iamctl-home"
export NO_COLOR=1
"$IAMCTL" login -q -a "$URL" --apikey "@$WORK/apikey" --no-region
"$IAMCTL" oauth-tokens | grep -q '^IAM token:  Bearer ' || die "oauth-tokens does not work"

# gh with a token in its hosts file, as `gh auth login --with-token` leaves it.
export GH_CONFIG_DIR="$WORK/gh"
mkdir -p "$GH_CONFIG_DIR"
cat >"$GH_CONFIG_DIR/hosts.yml" <<'EOF'
github.com:
    oauth_token: gho_benchmarkTokenNotRealxxxxxxxxxxxxxxxx
    user: bench
    git_protocol: https
EOF
gh auth token >/dev/null || die "gh auth token does not work"

log "oauth-tokens with a cached token"
hyperfine -N --warmup 50 --min-runs 500 --export-json "$OUT/oauth-tokens.json" \
    -n true /bin/true \
    -n iamctl "$IAMCTL oauth-tokens" \
    -n gh "gh auth token"

log "token helpers with a cached token"
"$IAMCTL" credential kubectl | jq -e '.status.token' >/dev/null || die "credential kubectl does not work"
printf 'us.icr.io' >"$WORK/registry"
"$IAMCTL" credential docker get <"$WORK/registry" | jq -e .Secret >/dev/null ||
    die "credential docker get does not work"
# The Docker helper reads the registry on stdin, which needs a shell; hyperfine subtracts the
# shell's own start-up from every command here, the others included.
hyperfine --shell=bash --warmup 50 --min-runs 300 --export-json "$OUT/helpers.json" \
    -n oauth-tokens "$IAMCTL oauth-tokens" \
    -n kubectl "$IAMCTL credential kubectl" \
    -n docker-get "$IAMCTL credential docker get <$WORK/registry"

log "login --apikey against the emulator"
export BENCH_URL=$URL BENCH_APIKEY_FILE="$WORK/apikey"
cat >"$WORK/sdk_token.py" <<'EOF'
import os
from ibm_cloud_sdk_core.authenticators import IAMAuthenticator
key = open(os.environ["BENCH_APIKEY_FILE"]).read().strip()
auth = IAMAuthenticator(key, url=os.environ["BENCH_URL"])
assert auth.token_manager.get_token()
EOF
"$VENV/bin/python" "$WORK/sdk_token.py" || die "the Python SDK cannot get a token"
hyperfine -N --warmup 3 --min-runs 30 --export-json "$OUT/login.json" \
    -n iamctl "$IAMCTL login -q -a $URL --apikey @$WORK/apikey --no-region" \
    -n python-sdk "$VENV/bin/python $WORK/sdk_token.py"

# Medians: the machine is shared, and a colleague's build landing in one command's runs
# skews its mean far more than its median.
mean() { jq -r --arg n "$2" '.results[] | select(.command == $n) | .median' "$1"; }
T_TRUE=$(mean "$OUT/oauth-tokens.json" true)
T_IAMCTL=$(mean "$OUT/oauth-tokens.json" iamctl)
T_GH=$(mean "$OUT/oauth-tokens.json" gh)
T_LOGIN=$(mean "$OUT/login.json" iamctl)
T_PY=$(mean "$OUT/login.json" python-sdk)
T_H_TOKENS=$(mean "$OUT/helpers.json" oauth-tokens)
T_H_KUBE=$(mean "$OUT/helpers.json" kubectl)
T_H_DOCKER=$(mean "$OUT/helpers.json" docker-get)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
ms() { awk -v a="$1" 'BEGIN { printf "%.2f ms", a * 1000 }'; }
verdict() { awk -v r="$1" -v t="$2" -v op="$3" 'BEGIN { ok = (op == ">=") ? r >= t : r <= t; print ok ? "met" : "MISSED" }'; }

R_GH=$(ratio "$T_GH" "$T_IAMCTL")
R_TRUE=$(ratio "$T_IAMCTL" "$T_TRUE")
R_PY=$(ratio "$T_PY" "$T_LOGIN")
R_KUBE=$(ratio "$T_H_KUBE" "$T_H_TOKENS")
R_DOCKER=$(ratio "$T_H_DOCKER" "$T_H_TOKENS")
cat <<EOF

iamctl benchmark, medians ($(nproc) cores, $(uname -sr), load $(cut -d' ' -f1-3 /proc/loadavg))
  /bin/true                          $(ms "$T_TRUE")
  iamctl oauth-tokens (cached)       $(ms "$T_IAMCTL")
  gh auth token                      $(ms "$T_GH")
  iamctl login --apikey (emulator)   $(ms "$T_LOGIN")
  Python SDK IAMAuthenticator        $(ms "$T_PY")
  oauth-tokens (through a shell)     $(ms "$T_H_TOKENS")
  credential kubectl (cached)        $(ms "$T_H_KUBE")
  credential docker get (cached)     $(ms "$T_H_DOCKER")

  gh / iamctl oauth-tokens           ${R_GH}x   (target >= 20x: $(verdict "$R_GH" 20 ">="))
  iamctl oauth-tokens / /bin/true    ${R_TRUE}x   (target <= 3x: $(verdict "$R_TRUE" 3 "<="))
  Python SDK / iamctl login          ${R_PY}x   (target >= 5x: $(verdict "$R_PY" 5 ">="))
  credential kubectl / oauth-tokens  ${R_KUBE}x   (target <= 2x: $(verdict "$R_KUBE" 2 "<="))
  docker get / oauth-tokens          ${R_DOCKER}x   (target <= 2x: $(verdict "$R_DOCKER" 2 "<="))
EOF
