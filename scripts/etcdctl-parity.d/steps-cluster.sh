# watch, lease, compaction, cluster, lock/elect and check perf steps of
# scripts/etcdctl-parity (sourced by sequence.sh).

watch_lease_steps() {
    # --- watch (history replay with --rev; timeout ends the watch: exit status 124)
    side_by_side 'timeout 2 etcdctl watch --rev=1 a' \
        'timeout 2 etcdctl watch --rev=1 --prefix s/ --prev-kv' \
        'timeout 2 etcdctl watch --rev=1 --prefix k/ -w json' \
        'timeout 2 etcdctl watch --rev=1 b c' \
        'timeout 2 etcdctl watch --rev=99999 a' \
        'timeout 2 etcdctl watch --rev=1 --prefix k/ -- sh -c "echo \$ETCD_WATCH_EVENT_TYPE \$ETCD_WATCH_REVISION \$ETCD_WATCH_KEY \$ETCD_WATCH_VALUE"'
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
}

cluster_steps() {
    # --- compaction
    step 'etcdctl get a -w json'
    step 'etcdctl compaction 5'
    step 'etcdctl compaction 5'
    step 'etcdctl compaction 3'
    step 'etcdctl compaction 99999'
    step 'etcdctl get a --rev=4'
    step 'etcdctl get a --rev=5 -w json'
    step 'etcdctl get a --rev=99999'
    side_by_side 'timeout 2 etcdctl watch --rev=2 a' 'timeout 2 etcdctl watch --rev=5 --prefix s/'
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

    # --- check perf (60 s; which checks ran and any error are compared, not the machine-
    # dependent verdicts: see normalize.sh)
    if [ "$CHECK_PERF" = 1 ]; then
        step 'etcdctl check perf --load=s'
    fi
}
