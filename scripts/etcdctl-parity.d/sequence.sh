# The etcdctl sequence of scripts/etcdctl-parity, sourced by it. run_sequence runs every step
# against $ENDPOINT and appends to $TRANSCRIPT; $RUN_DIR is the backend's scratch directory.
# Steps are bash snippets; the transcript records the snippet text (not its expansion), so
# both backends' transcripts can be compared line for line. Steps that need time to pass
# (watches, elections) run under `timeout` and replay history with --rev, so their output
# does not depend on timing.

# step SCRIPT: runs SCRIPT and records its text, stdout, stderr and exit status.
step() {
    local status
    (cd "$RUN_DIR" && eval "$1") >"$RUN_DIR/stdout" 2>"$RUN_DIR/stderr" </dev/null
    status=$?
    record "$1" "$RUN_DIR" "$status"
}

# side_by_side SCRIPT...: runs read-only SCRIPTs (history-replaying watches that wait out a
# timeout) at the same time and records each as `step` would, in the order given: the
# transcript is the same as from one step after another, in the time of the longest.
side_by_side() {
    local i=0 pids=() status script
    for script in "$@"; do
        mkdir -p "$RUN_DIR/side-$i"
        (cd "$RUN_DIR" && eval "$script") >"$RUN_DIR/side-$i/stdout" 2>"$RUN_DIR/side-$i/stderr" </dev/null &
        pids+=($!)
        i=$((i + 1))
    done
    i=0
    for script in "$@"; do
        wait "${pids[$i]}"
        status=$?
        record "$script" "$RUN_DIR/side-$i" "$status"
        i=$((i + 1))
    done
}

# record SCRIPT DIR STATUS: appends a step's text, the stdout and stderr left in DIR, and its
# exit status to the transcript.
record() {
    {
        printf '$ %s\n' "$1"
        cat "$2/stdout"
        [ -s "$2/stdout" ] && [ -n "$(tail -c1 "$2/stdout")" ] && printf '\n[no newline at end of stdout]\n'
        printf -- '--- stderr\n'
        cat "$2/stderr"
        printf -- '--- exit %d\n\n' "$3"
    } >>"$TRANSCRIPT"
}

# The lease ID (hex) the last `lease grant` step printed.
granted_lease() { awk '/ granted with TTL/ {print $2}' "$RUN_DIR/stdout"; }

run_sequence() {
    export ETCDCTL_API=3 ETCDCTL_ENDPOINTS="$ENDPOINT"
    : >"$TRANSCRIPT"
    kv_steps
    txn_steps
    watch_lease_steps
    cluster_steps
}

source "$(dirname "${BASH_SOURCE[0]}")/steps-kv.sh"
source "$(dirname "${BASH_SOURCE[0]}")/steps-cluster.sh"
