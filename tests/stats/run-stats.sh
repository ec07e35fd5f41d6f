#!/bin/bash
# Metrics over the host kernel's FUSE client: vfsd serves a fresh share
# with --fuse-mount and --stats-socket under the default sandbox, a known
# workload runs on the mount, and `vfsd stats` must account for it in all
# three formats. Then the socket must be gone after each way of ending.
#
# With --client-bin (tools/vfsd-client), the same over vhost-user with
# --sandbox=none, where the server itself removes the socket.
#
#   tests/stats/run-stats.sh --daemon-bin PATH [--client-bin PATH]
#
# Prints TAP; exits non-zero on any failure. Needs root.
set -u

# shellcheck source=../lib/runner.sh
. "$(dirname "$0")/../lib/runner.sh"
# shellcheck source=../lib/fuse.sh
. "$(dirname "$0")/../lib/fuse.sh"

daemon_bin= client_bin=
runner_opts daemon_bin=--daemon-bin client_bin=--client-bin -- "$@"
need_exec "$daemon_bin" --daemon-bin

runner_work stats
share=$work/share
mnt=$work/mnt
sock=$work/stats.sock
log=$work/vfsd.log
cleanup() { fuse_cleanup; }
mkdir -p "$share" "$mnt"
chmod 0755 "$work"

# The checks ask for stats as soon as the mount is up.
fuse_ready() { [ -S "$sock" ]; }
start_vfsd() { fuse_start --stats-socket="$sock" "$@"; }

stats() {
	"$daemon_bin" stats "$sock" "$@"
}

# --- a known workload under the default sandbox ----------------------------

N=40
M=$((3 * 1024 * 1024))
head -c "$M" /dev/urandom >"$share/big"

start_vfsd
check "vfsd mounted with --stats-socket" $? "$(tail -n 5 "$log")"
# The mount and the socket come before confinement, its log line after.
for _ in $(seq 100); do
	grep -q "sandbox namespace, seccomp on" "$log" && break
	sleep 0.05
done
grep -q "sandbox namespace, seccomp on" "$log"
check "running in the default sandbox" $? "$(tail -n 5 "$log")"
[ "$(stat -c %a "$sock")" = 600 ]
check "stats socket is 0600" $? "$(stat -c %a "$sock")"

for i in $(seq "$N"); do
	echo "file $i" >"$mnt/f$i" || break
done
cat "$mnt/big" >"$work/big.read"
cmp -s "$share/big" "$work/big.read"
check "workload: $N creates and a $M-byte read" $?
ls "$mnt/no-such-file" >/dev/null 2>&1

stats >"$work/text.out" 2>"$work/text.err"
check "vfsd stats prints a table" \
	"$(grep -q '^OPCODE' "$work/text.out" && grep -q '^CREATE' "$work/text.out"; echo $?)" \
	"$(cat "$work/text.err")"
sed 's/^/# /' "$work/text.out"

# The stats thread answered, so it runs: it, like every thread of the
# server but the one that serves (and takes SIGTERM, SIGINT, SIGHUP to
# clean up), has those signals blocked (util/thread.h).
srv=$(awk '{ print $1 }' "/proc/$pid/task/$pid/children" 2>/dev/null)
srv=${srv:-$pid}
bad=
threads=0
for t in /proc/"$srv"/task/*; do
	[ "${t##*/}" = "$srv" ] && continue
	threads=$((threads + 1))
	blk=$(awk '$1 == "SigBlk:" { print $2 }' "$t/status")
	[ $((16#$blk & 0x4003)) = $((0x4003)) ] || bad+="${t##*/}:$blk "
done
check "the server's $threads other threads block SIGTERM, SIGINT and SIGHUP" \
	"$([ -z "$bad" ] && [ "$threads" -gt 0 ]; echo $?)" "unblocked in $bad"

stats --json >"$work/stats.json"
python3 -m json.tool "$work/stats.json" >/dev/null
check "vfsd stats --json parses" $?

python3 - "$work/stats.json" "$N" "$M" >"$work/json.check" 2>&1 <<'PY'
import json, sys
st = json.load(open(sys.argv[1]))
n, m = int(sys.argv[2]), int(sys.argv[3])
req = st["requests"]
bad = []
if req.get("CREATE", {}).get("count", 0) < n:
    bad.append("CREATE count %s < %d" % (req.get("CREATE"), n))
if st["bytes_read"] < m:
    bad.append("bytes_read %d < %d" % (st["bytes_read"], m))
if st["bytes_written"] < n * len("file 1\n"):
    bad.append("bytes_written %d" % st["bytes_written"])
for op, v in req.items():
    if sum(v["latency_buckets"]) != v["count"]:
        bad.append("%s: histogram total %d != count %d"
                   % (op, sum(v["latency_buckets"]), v["count"]))
if st["errors_by_errno"].get("ENOENT", 0) < 1:
    bad.append("no ENOENT counted")
if st["in_flight"] != 0:
    bad.append("in_flight %d while idle" % st["in_flight"])
if st["inodes"] < n or st["open_fds"] < 1:
    bad.append("inodes %d open_fds %d" % (st["inodes"], st["open_fds"]))
if len(st["bucket_upper_bounds_us"]) + 1 != len(req["CREATE"]["latency_buckets"]):
    bad.append("bucket bounds do not match the buckets")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
check "JSON: CREATE >= $N, bytes read >= $M, histograms total the counts" \
	$? "$(tr '\n' ';' <"$work/json.check")"

stats --prometheus >"$work/prom.out"
python3 - "$work/prom.out" >"$work/prom.check" 2>&1 <<'PY'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
sample = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*"'
                    r'(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*")*\})? [0-9]+$')
helps, types, bad = set(), {}, []
for l in lines:
    if l.startswith("# HELP "):
        helps.add(l.split()[2])
    elif l.startswith("# TYPE "):
        _, _, name, kind = l.split()
        types[name] = kind
    elif not sample.match(l):
        bad.append("bad sample line: " + l)
    else:
        name = l.split("{")[0].split(" ")[0]
        base = re.sub(r'_(bucket|sum|count)$', '', name)
        if name not in types and base not in types:
            bad.append("sample without TYPE: " + l)
for n in ("vfsd_requests_total", "vfsd_request_duration_microseconds",
          "vfsd_read_bytes_total", "vfsd_inodes", "vfsd_open_fds",
          "vfsd_requests_in_flight", "vfsd_handles", "vfsd_errors_total"):
    if n not in helps or n not in types:
        bad.append("missing HELP/TYPE for " + n)
if types.get("vfsd_request_duration_microseconds") != "histogram":
    bad.append("duration is not a histogram")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
check "Prometheus: HELP/TYPE lines and valid samples" \
	$? "$(head -n 3 "$work/prom.check" | tr '\n' ';')"

printf 'yaml\n' | python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(sys.stdin.buffer.read())
out = b""
while True:
    b = s.recv(4096)
    if not b:
        break
    out += b
sys.stdout.write(out.decode())' "$sock" >"$work/bad.out" 2>&1
grep -q '^error:' "$work/bad.out"
check "an unknown format gets an error line" $? "$(cat "$work/bad.out")"

# A client that connects and says nothing must not block the others.
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
time.sleep(5)' "$sock" &
silent=$!
sleep 0.2
timeout 4 "$daemon_bin" stats "$sock" --json >"$work/again.json"
check "a silent client is dropped after 2 s, not held" $?
kill "$silent" 2>/dev/null
wait "$silent" 2>/dev/null

stats_one() { # OPCODE -> count from JSON
	stats --json | python3 -c '
import json, sys
print(json.load(sys.stdin)["requests"].get(sys.argv[1], {}).get("count", 0))' "$1"
}
before=$(stats_one MKDIR)
mkdir "$mnt/d1" "$mnt/d2" "$mnt/d3"
after=$(stats_one MKDIR)
check "counts move with the workload (MKDIR $before -> $after)" \
	"$([ "$after" -eq $((before + 3)) ]; echo $?)"

umount "$mnt"
fuse_wait_exit
check "unmount: vfsd exits with status 0" \
	"$([ "$status" = 0 ]; echo $?)" "status $status"
[ ! -e "$sock" ]
check "unmount: the supervisor removed the stats socket" $?

# --- ending by signal, and without a supervisor -----------------------------

start_vfsd
check "mount again" $?
kill -TERM "$pid"
fuse_wait_exit
check "SIGTERM: exit 0 and the stats socket is gone" \
	"$([ "$status" = 0 ] && [ ! -e "$sock" ]; echo $?)" "status $status"

# Without --seccomp=none, LeakSanitizer's exit-time scan cannot stop the
# threads in a sanitized build with --sandbox=none (with or without
# --stats-socket); the filter itself is covered in the default sandbox above.
start_vfsd --sandbox=none --seccomp=none
check "mount with --sandbox=none" $? "$(tail -n 5 "$log")"
stats --json | python3 -m json.tool >/dev/null
check "stats answer with --sandbox=none" $?
umount "$mnt"
fuse_wait_exit
check "--sandbox=none: exit 0 and the stats socket is gone" \
	"$([ "$status" = 0 ] && [ ! -e "$sock" ]; echo $?)" "status $status"

# --- vhost-user, no supervisor: the server removes both sockets ------------

if [ -x "$client_bin" ]; then
	vu=$work/vu.sock
	"$daemon_bin" --socket-path="$vu" --shared-dir="$share" \
		--sandbox=none --seccomp=none --stats-socket="$sock" \
		>"$log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		[ -S "$vu" ] && [ -S "$sock" ] && break
		sleep 0.05
	done
	"$client_bin" bench --socket="$vu" --duration=2 --workload=getattr \
		--queues=1 --depth=1 >"$work/bench.out" 2>&1 &
	bench=$!
	sleep 1
	stats --json >"$work/vu.json"
	python3 -c '
import json, sys
st = json.load(open(sys.argv[1]))
sys.exit(0 if st["requests"].get("INIT", {}).get("count", 0) == 1 and
         sum(v["count"] for v in st["requests"].values()) > 1 else 1)' \
		"$work/vu.json"
	check "vhost-user: INIT and requests counted while the front end runs" $? \
		"$(head -c 300 "$work/vu.json")"
	wait "$bench"
	fuse_wait_exit
	check "vhost-user: exit 0 when the front end leaves, sockets gone" \
		"$([ "$status" = 0 ] && [ ! -e "$sock" ] && [ ! -e "$vu" ]; echo $?)" \
		"status $status"
fi

"$daemon_bin" stats "$sock" >/dev/null 2>&1
check "vfsd stats on a missing socket exits 1" "$([ $? -eq 1 ]; echo $?)"
"$daemon_bin" stats >/dev/null 2>&1
check "vfsd stats without a socket is a usage error (2)" \
	"$([ $? -eq 2 ]; echo $?)"

check_sanitizer "$log"

echo "1..$ntest"
[ "$nfail" -eq 0 ]
