# The transcript normalizer of scripts/etcdctl-parity, sourced by it.
# normalize FILE CLIENT_PORT PEER_PORT: prints FILE with every rule below applied. Each rule
# removes something that legitimately differs between two fresh servers; nothing else is
# touched, so every other difference shows up in the diff.
normalize() {
    python3 - "$@" <<'PYEOF'
import re, sys

path, client_port, peer_port = sys.argv[1], sys.argv[2], sys.argv[3]
ids = {}

def id_name(value):
    # Cluster, member and lease IDs are random per server. Each distinct ID becomes <id-N>,
    # N in order of first appearance, so equal IDs stay equal and distinct ones distinct.
    return ids.setdefault(value, "<id-%d>" % (len(ids) + 1))

def normalize_line(line, command):
    # The servers listen on different free ports.
    line = re.sub(r":%s\b" % client_port, ":<client-port>", line)
    if peer_port != "none":
        line = re.sub(r":%s\b" % peer_port, ":<peer-port>", line)
    # clientv3's retry log lines carry a timestamp and a per-process client UUID.
    line = re.sub(r'"ts":"[^"]*"', '"ts":"<ts>"', line)
    line = re.sub(r"endpoint://client-[0-9a-f-]+/", "endpoint://client-<uuid>/", line)
    # IDs in decimal (JSON and fields output print uint64/int64 IDs as numbers; 12+ digits
    # is no revision, count or TTL in this sequence) and in hex (simple and table output).
    line = re.sub(r'(?<=":)\d{12,}|(?<=" : )\d{12,}', lambda m: id_name(int(m.group(0))), line)
    line = re.sub(r"(?<![0-9A-Za-z])[0-9a-f]{12,16}(?![0-9A-Za-z])", lambda m: id_name(int(m.group(0), 16)), line)
    # Raft term and indexes count etcd's internal raft entries (elections, config changes);
    # db size depends on the storage engine. Only the Status and header fields, by name.
    line = re.sub(r'"(raft_term|raftTerm|raftIndex|raftAppliedIndex|dbSize|dbSizeInUse)":\d+', r'"\1":<n>', line)
    line = re.sub(r'"RaftTerm" : \d+', '"RaftTerm" : <n>', line)
    if command.startswith("etcdctl endpoint status") and not line.startswith("["):
        # Positional columns of the simple and table formats: DB SIZE, RAFT TERM, RAFT INDEX,
        # RAFT APPLIED INDEX (same reasons as above).
        sep = "|" if line.startswith("|") else ","
        cells = line.split(sep)
        offset = 1 if sep == "|" else 0
        if len(cells) >= 10 + offset and "ENDPOINT" not in line:
            for index in (3, 6, 7, 8):
                cells[index + offset] = " <n>"
            line = sep.join(cells)
    # Health is timed.
    line = re.sub(r"took = [0-9.]+[a-zµ]+", "took = <duration>", line)
    if command.startswith("etcdctl endpoint health") and line.startswith("|"):
        line = re.sub(r"\| [0-9.]+[a-zµ]+ +\|", "| <duration> |", line)
    # A lease's remaining TTL depends on when the step ran (granted TTL and -1 stay).
    line = re.sub(r"remaining\(\d+s\)", "remaining(<ttl>s)", line)
    line = re.sub(r'"ttl":\d+', '"ttl":<ttl>', line)
    if command.startswith("etcdctl lease timetolive"):
        # etcd lists a lease's attached keys in Go map order (random): compare them as a set.
        line = re.sub(r"attached keys\(\[([^]]*)\]\)",
                      lambda m: "attached keys([%s])" % " ".join(sorted(m.group(1).split())), line)
        line = re.sub(r'"keys":\[([^]]*)\]',
                      lambda m: '"keys":[%s]' % ",".join(sorted(m.group(1).split(","))), line)
    # Tables pad every column to its widest cell, and the cells normalized above have
    # different widths on the two servers: collapse the padding and the border dashes.
    if line.startswith("|") or line.startswith("+"):
        line = re.sub(r" +", " ", line)
        line = re.sub(r"-+", "-", line)
    return line

def check_perf(lines):
    # check perf prints a progress bar (carriage returns; the first verdict sometimes lands on
    # the bar's last line), measured figures, and verdicts that depend on the machine: on a
    # busy 2-core box either server can miss the 0.5 s slowest-request bar (etcd 3.4 itself
    # stalled 0.75 s there). Keep which checks ran, not their outcome (EtcdctlCheckPerfTests
    # judges the outcome); anything else it prints, errors included, stays verbatim.
    kept = []
    for verdict in re.findall(r"(?:PASS|FAIL|Slowest request|Stddev too|Error)[^\r\n]*", "\n".join(lines)):
        if "Throughput" in verdict: kept.append("<verdict> throughput")
        elif "Slowest request" in verdict: kept.append("<verdict> slowest request")
        elif "Stddev" in verdict: kept.append("<verdict> stddev")
        elif verdict in ("PASS", "FAIL"): kept.append("<verdict>")
        else: kept.append(verdict)
    return kept

out, block, command = [], [], ""
def flush():
    global block
    if command.startswith("etcdctl check perf"):
        body = [l for l in block if not l.startswith("--- ")]
        tail = [re.sub(r"^--- exit [01]$", "--- exit <0 or 1>", l) for l in block if l.startswith("--- exit")]
        block = check_perf(body) + tail
    if command == "etcdctl lease list":
        # etcd lists leases in Go map order (random): compare them as a set.
        end = block.index("--- stderr") if "--- stderr" in block else len(block)
        block = block[:1] + sorted(block[1:end]) + block[end:]
    out.extend(block)
    block = []

for raw in open(path, encoding="utf-8", errors="replace").read().split("\n"):
    if raw.startswith("$ "):
        flush()
        command = raw[2:]
        out.append(normalize_line(raw, ""))
        continue
    block.append(normalize_line(raw, command))
flush()
sys.stdout.write("\n".join(out))
PYEOF
}
