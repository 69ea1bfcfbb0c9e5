# put, get, del and txn steps of scripts/etcdctl-parity (sourced by sequence.sh).

kv_steps() {
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
}

txn_steps() {
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
}
