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

    # --- put
    step 'etcdctl put "" v'
    step 'etcdctl put a 1'
    step 'etcdctl put b 2'
    step 'etcdctl put c 3'
    step 'etcdctl put d 4'
    step 'etcdctl put a 10 --prev-kv'
    step 'etcdctl put a 11 --prev-kv -w json'
    step 'etcdctl put a 12 -w fields'
    step 'etcdctl put b --ignore-value'
    step 'etcdctl put nokey --ignore-value'
    step 'etcdctl put nokey v --ignore-lease'
    step 'etcdctl put k/1 v1 && etcdctl put k/2 v2 && etcdctl put k/3 v3 && etcdctl put k/2 v2b'
    # Sort fixtures, five different orders and no ties (etcd's sort is not stable): by key
    # a b c d, by create c a d b, by mod c d a b, by version d1 a2 b3 c4, by value a=m d=n
    # b=w2 c=x.
    step 'for kv in "c x1" "c x2" "c x3" "c x" "a z" "d n" "b w" "a m" "b q" "b w2"; do etcdctl put s/$kv || exit; done'

    # --- get
    step 'etcdctl get a'
    step 'etcdctl get nokey'
    step 'etcdctl get a -w json'
    step 'etcdctl get nokey -w json'
    step 'etcdctl get a -w fields'
    step 'etcdctl get ""'
    step 'etcdctl get k/ --prefix'
    step 'etcdctl get k/ --prefix -w json'
    step 'etcdctl get c --from-key --keys-only'
    step 'etcdctl get a c'
    step 'etcdctl get a c -w json'
    step 'etcdctl get a --rev=2'
    step 'etcdctl get a --rev=3 -w json'
    step 'etcdctl get a --rev=99999'
    step 'etcdctl get "" --prefix --keys-only'
    step 'etcdctl get "" --from-key --limit=3'
    step 'etcdctl get k/ --prefix --limit=2'
    step 'etcdctl get k/ --prefix --limit=2 -w json'
    for target in KEY CREATE MODIFY VERSION VALUE; do
        for order in ASCEND DESCEND; do
            step "etcdctl get s/ --prefix --sort-by=$target --order=$order"
        done
    done
    step 'etcdctl get s/ --prefix --sort-by=CREATE'
    step 'etcdctl get s/ --prefix --order=DESCEND --keys-only'
    step 'etcdctl get s/ --prefix --sort-by=MODIFY --order=DESCEND --limit=2 -w json'
    step 'etcdctl get s/ --prefix --sort-by=bogus'
    step 'etcdctl get k/ --prefix --print-value-only'
    # etcdctl 3.4 has no --count-only (3.5 added it): both sides print the same usage error.
    step 'etcdctl get k/ --prefix --count-only'
    step 'etcdctl get k/ --prefix --consistency=s --keys-only'
    step 'etcdctl get k/ --prefix --hex'

    # --- del
    step 'etcdctl del nokey'
    step 'etcdctl del ""'
    step 'etcdctl del d --prev-kv'
    step 'etcdctl del k/ --prefix --prev-kv'
    step 'etcdctl del k/ --prefix'
    step 'etcdctl del b c --prev-kv -w json'
    step 'etcdctl put z/1 1 && etcdctl put z/2 2 && etcdctl del z/ --from-key'

    # --- txn (non-interactive: compares, blank line, success ops, blank line, failure ops)
    step 'etcdctl txn <<EOF
value("a") = "12"
mod("c") > "0"
create("nokey") = "0"
version("a") < "100"

put a 13
get a
del nokey

put a failed

EOF'
    step 'etcdctl txn <<EOF
value("a") = "12"

put a 14

put a else
get a --rev=2
get c

EOF'
    step 'etcdctl txn -w json <<EOF
value("nokey") = ""

put a never

get a

EOF'
    step 'etcdctl txn -w json <<EOF
mod("a") != "0"

put t/json 1
del c


EOF'
    # Inner headers: etcd gives each operation the revision the transaction had reached
    # when it ran (reads before the first write see the old revision).
    step 'etcdctl txn -w json <<EOF

del nokey
get a --keys-only
put a inner
get a --keys-only
del nokey


EOF'
    step 'etcdctl txn <<EOF

put dup 1
put dup 2


EOF'
    step 'etcdctl txn <<EOF

del r/ --prefix
put r/1 x


EOF'
    step 'etcdctl txn <<EOF

put both 1

put both 2

EOF'
    step 'etcdctl txn <<EOF
value("") = "x"

put a never


EOF'
    step 'etcdctl txn <<EOF

put a never --lease=1234abcd


EOF'
    step '{ echo; for i in $(seq 128); do echo "put t/$i v"; done; echo; echo; } | etcdctl txn | sort | uniq -c'
    step '{ echo; for i in $(seq 129); do echo "put u/$i v"; done; echo; echo; } | etcdctl txn'
    step '{ for i in $(seq 129); do echo "version(\"a\") > \"0\""; done; echo; echo "put u/x v"; echo; echo; } | etcdctl txn'
    step '{ echo; echo; for i in $(seq 129); do echo "put u/$i v"; done; echo; } | etcdctl txn'
    step 'etcdctl del t/ --prefix'
    step 'etcdctl get u/ --prefix --keys-only'

    # --- watch (history replay with --rev; timeout ends the watch: exit status 124)
    step 'timeout 2 etcdctl watch --rev=1 a'
    step 'timeout 2 etcdctl watch --rev=1 --prefix s/ --prev-kv'
    step 'timeout 2 etcdctl watch --rev=1 --prefix k/ -w json'
    step 'timeout 2 etcdctl watch --rev=1 b c'
    step 'timeout 2 etcdctl watch --rev=99999 a'
    step 'timeout 2 etcdctl watch --rev=1 --prefix k/ -- sh -c "echo \$ETCD_WATCH_EVENT_TYPE \$ETCD_WATCH_REVISION \$ETCD_WATCH_KEY \$ETCD_WATCH_VALUE"'
    step '{ echo "watch --rev=1 a"; sleep 1; echo "watch --rev=1 --prefix k/ --prev-kv"; sleep 1; } | etcdctl watch -i'
    # Live events: the watch starts at the next revision, so a late start replays them.
    step 'rev=$(etcdctl get w -w json | sed "s/.*\"revision\":\([0-9]*\).*/\1/"); (sleep 1; etcdctl put w live; etcdctl put w again) >/dev/null & timeout 4 etcdctl watch w --prev-kv --rev=$((rev + 1)); wait'

    # --- lease
    step 'etcdctl lease grant 60'
    local lease; lease=$(granted_lease)
    step "etcdctl put la 1 --lease=$lease && etcdctl put lb 2 --lease=$lease"
    step "etcdctl lease timetolive $lease"
    step "etcdctl lease timetolive $lease --keys"
    step "etcdctl lease timetolive $lease --keys -w json"
    step "etcdctl lease keep-alive --once $lease"
    step "etcdctl lease keep-alive --once $lease -w json"
    step "timeout 2 etcdctl lease keep-alive $lease"
    step 'etcdctl lease grant 60'
    local other; other=$(granted_lease)
    step 'etcdctl lease list'
    step "etcdctl lease revoke $other"
    step 'etcdctl lease list -w json'
    # Below the 2 s minimum TTL; these leases expire on their own (nothing lists leases later).
    step 'etcdctl lease grant 1'
    step 'etcdctl lease grant 0 -w json'
    step 'etcdctl lease grant 9000000001'
    step "etcdctl get l --prefix -w json"
    step "etcdctl lease revoke $lease -w json"
    step "etcdctl lease revoke $lease"
    step "etcdctl get l --prefix"
    step "etcdctl lease timetolive $lease"
    step 'etcdctl put k v --lease=1234abcd'
    step 'etcdctl lease revoke 1234abcd'
    step 'etcdctl lease timetolive 1234abcd'
    step 'etcdctl lease timetolive 1234abcd -w json'
    step 'etcdctl lease keep-alive --once 1234abcd'
    step 'etcdctl lease revoke notahexid'

    # --- compaction
    step 'etcdctl get a -w json'
    step 'etcdctl compaction 5'
    step 'etcdctl compaction 5'
    step 'etcdctl compaction 3'
    step 'etcdctl compaction 99999'
    step 'etcdctl get a --rev=4'
    step 'etcdctl get a --rev=5 -w json'
    step 'etcdctl get a --rev=99999'
    step 'timeout 2 etcdctl watch --rev=2 a'
    step 'timeout 2 etcdctl watch --rev=5 --prefix s/'
    step 'etcdctl compaction --physical 10'
    step 'etcdctl txn <<EOF

get a --rev=6


EOF'

    # --- cluster and maintenance
    step 'etcdctl endpoint status'
    step 'etcdctl endpoint status -w table'
    step 'etcdctl endpoint status -w json'
    step 'etcdctl endpoint status --cluster -w table'
    step 'etcdctl endpoint health'
    step 'etcdctl endpoint health -w table'
    step 'etcdctl member list'
    step 'etcdctl member list -w json'
    step 'etcdctl member list -w table'
    step 'etcdctl alarm list'
    step 'etcdctl alarm list -w json'
    step 'etcdctl alarm disarm'
    step 'etcdctl defrag'
    # Not compared: `endpoint hashkv` (the hash is over each server's own storage format) and
    # `snapshot save` (the file is each server's own database).

    # --- lock and elect (both keep a session lease; these come after the lease steps)
    step 'etcdctl lock mylock echo hi'
    step 'etcdctl lock mylock -- sh -c "echo \$ETCD_LOCK_KEY \$ETCD_LOCK_REV"'
    step 'etcdctl lock held sleep 2 & sleep 1; etcdctl lock held echo second; wait'
    step 'etcdctl get mylock --prefix; etcdctl get held --prefix'
    step 'timeout 2 etcdctl elect myelection candidate1'
    step 'timeout 4 etcdctl elect myelection candidate2 & sleep 1; timeout 2 etcdctl elect -l myelection; wait'
    step 'etcdctl get myelection --prefix -w json'

    # --- check perf (60 s; only its PASS/FAIL lines are compared, see normalize)
    if [ "$CHECK_PERF" = 1 ]; then
        step 'etcdctl check perf --load=s'
    fi
}
