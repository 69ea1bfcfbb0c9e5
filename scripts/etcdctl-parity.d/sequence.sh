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
    {
        printf '$ %s\n' "$1"
        cat "$RUN_DIR/stdout"
        [ -s "$RUN_DIR/stdout" ] && [ -n "$(tail -c1 "$RUN_DIR/stdout")" ] && printf '\n[no newline at end of stdout]\n'
        printf -- '--- stderr\n'
        cat "$RUN_DIR/stderr"
        printf -- '--- exit %d\n\n' "$status"
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
