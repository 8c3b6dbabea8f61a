# Shared set-up for scripts/test and scripts/demo. Sourced, not run.
# Everything here is idempotent: a machine that already has a tool skips its install.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$ROOT/.venv-test"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Runs "$@" as one named phase of a run: logs "==> NAME" before and "==> NAME took N s"
# after. The command runs as if called directly (set -e still stops the run at the first
# failure); a phase that stops the run is logged with the time it had taken.
phase() {
    PHASE_NAME=$1 PHASE_START=$SECONDS
    shift
    trap 'phase_stopped $?' EXIT
    log "$PHASE_NAME"
    "$@"
    trap - EXIT
    log "$PHASE_NAME took $((SECONDS - PHASE_START)) s"
}
phase_stopped() {
    (($1 == 0)) || log "$PHASE_NAME failed after $((SECONDS - PHASE_START)) s (run total $SECONDS s)"
}

# Installs Debian packages that are missing. Each argument is "command:package" or "package"
# (then checked with dpkg). Needs root or sudo; any other machine must bring the tools itself.
ensure_debian_packages() {
    local missing=() spec cmd pkg
    for spec in "$@"; do
        cmd=${spec%%:*}; pkg=${spec#*:}
        if [[ $spec == *:* ]]; then
            command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
        else
            dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
        fi
    done
    ((${#missing[@]})) || return 0
    command -v apt-get >/dev/null 2>&1 ||
        die "missing tools (${missing[*]}) and no apt-get to install them; install them and re-run"
    local sudo=()
    [[ $(id -u) == 0 ]] || sudo=(sudo)
    log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -q >/dev/null
    "${sudo[@]}" apt-get install -y -q "${missing[@]}" >/dev/null
}

# The packages every run needs: a real Secret Service (gnome-keyring on a private D-Bus), curl
# and jq for IBM's documented pipelines.
ensure_base_packages() {
    ensure_debian_packages dbus-run-session:dbus gnome-keyring-daemon:gnome-keyring \
        secret-tool:libsecret-tools curl:curl jq:jq
}

# Podman and the OCI runtime it is run with here (runc: Debian's podman would pick crun, which
# is not installed). scripts/test installs them for the container image test.
ensure_podman() {
    ensure_debian_packages podman:podman runc:runc
}

# Points podman at a private containers.conf (unless CONTAINERS_CONF already names one): runc,
# no default ulimits (a container here may not raise them), and cgroupfs (no systemd to ask for
# a cgroup). /etc is left alone.
podman_env() {
    [[ -n ${CONTAINERS_CONF:-} ]] && return 0
    local conf=$ROOT/target/image/containers.conf
    mkdir -p "$(dirname "$conf")"
    printf '[containers]\ndefault_ulimits = []\n\n[engine]\ncgroup_manager = "cgroupfs"\nruntime = "runc"\n' >"$conf"
    export CONTAINERS_CONF=$conf
}

# Runs "$@" on a private D-Bus session with an unlocked gnome-keyring whose data lives in a
# throwaway directory, so tests never touch the developer's own login keyring.
with_secret_service() {
    if [[ ${IAMCTL_SECRET_SERVICE_READY:-} == 1 ]]; then
        "$@"
        return
    fi
    local kr_home
    kr_home=$(mktemp -d "${TMPDIR:-/tmp}/iamctl-keyring.XXXXXX")
    # The directories exist before the bus starts, and the bus daemon's own start-up notes
    # (activations, the fd limit a container refuses) go to a log, not to a newcomer's screen.
    mkdir -p "$kr_home/data" "$kr_home/run"
    chmod 700 "$kr_home/run"
    printf '#!/bin/sh\nexec dbus-daemon "$@" 2>>"%s/dbus.log"\n' "$kr_home" >"$kr_home/dbus-daemon"
    chmod 700 "$kr_home/dbus-daemon"
    # shellcheck disable=SC2016
    XDG_DATA_HOME="$kr_home/data" XDG_RUNTIME_DIR="$kr_home/run" \
    dbus-run-session --dbus-daemon="$kr_home/dbus-daemon" -- bash -c '
        set -e
        eval "$(printf "iamctl-test\n" | gnome-keyring-daemon --unlock --components=secrets)"
        export GNOME_KEYRING_CONTROL IAMCTL_SECRET_SERVICE_READY=1
        # Prove the Secret Service answers before anything relies on it.
        printf probe | secret-tool store --label=iamctl-probe iamctl probe
        [ "$(secret-tool lookup iamctl probe)" = probe ] || { echo "Secret Service does not answer" >&2; exit 1; }
        secret-tool clear iamctl probe
        exec "$@"' with_secret_service "$@"
    local rc=$?
    rm -rf "$kr_home"
    return $rc
}

# Starts an iam-emulator command line ("$@") in the background, its output in $WORK, waits for
# its ready line, and sets EMU_PID, READY (the line) and URL; dies unless it listens on loopback.
# The caller's EXIT trap stops it (kill "$EMU_PID").
start_emulator() {
    "$@" >"$WORK/emulator.out" 2>"$WORK/emulator.err" &
    EMU_PID=$!
    for _ in $(seq 200); do
        [[ -s $WORK/emulator.out ]] && break
        sleep 0.05
    done
    READY=$(head -n1 "$WORK/emulator.out")
    URL=$(jq -r .url <<<"$READY")
    [[ $URL == http://127.0.0.1:* ]] || die "emulator did not start on loopback: $(cat "$WORK/emulator.err")"
}
