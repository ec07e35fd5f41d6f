#!/bin/bash
# flock ends with its holder: right after a process that held a flock on a
# file exits, another process's flock -n on it must succeed, as on a local
# filesystem. vfsd serves (with --flock) a share that is itself a FUSE
# mount (a second vfsd with --flock, standing in for GlusterFS): there the
# host kernel ends a lock at close(2) only by a RELEASE it sends later, so
# vfsd must end the guest's flock itself when the guest releases the file.
#
# The holder runs on another CPU than the next locker, and vfsd serves the
# requests with several threads: the holder's RELEASE may be picked up
# after the next lock request, by another thread; vfsd must not answer
# "locked" before the requests it had received earlier are handled
# (docs/CONFORMANCE.md, "flock"). MODE:
#   uring  both daemons serve FUSE over io_uring (enable_uring is set for
#          the run and put back after): the RELEASE comes on the holder's
#          CPU's ring, the lock request on another's
#   read   both read /dev/fuse (enable_uring cleared for the run), with
#          their default four threads
#
#   tests/devfuse/run-flock-order.sh --daemon-bin PATH MODE
#
# Prints TAP; a TAP SKIP without root, or in uring mode without FUSE over
# io_uring. FLOCK_ORDER_OPTS: more vfsd options; FLOCK_ORDER_ROUNDS: tries
# (300).
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=../lib/runner.sh
. "$top/tests/lib/runner.sh"
need_root

# shellcheck source=../lib/fuse.sh
. "$top/tests/lib/fuse.sh"

mode=
case "${*: -1}" in
uring | read) mode=${*: -1}; set -- "${@:1:$#-1}" ;;
esac
[ -n "$mode" ] || bail "need a mode: uring or read"

uring_param=/sys/module/fuse/parameters/enable_uring
uring_was=
cleanup() {
	fuse_cleanup
	[ -n "$inner_pid" ] && kill "$inner_pid" 2>/dev/null
	[ -n "${inner:-}" ] && umount -l "$inner" 2>/dev/null
	[ -z "$uring_was" ] || echo "$uring_was" >"$uring_param"
}
inner_pid=
fuse_runner flock-order "$@"
fuse_keep_log=1
backing=$work/backing
inner=$work/inner
mkdir -p "$backing" "$inner"

# The module parameter is read when a connection starts (INIT).
if [ -e "$uring_param" ]; then
	[ -w "$uring_param" ] || skip_all "cannot write $uring_param"
	uring_was=$(cat "$uring_param")
	if [ "$mode" = uring ]; then
		echo Y >"$uring_param" || skip_all "cannot set $uring_param"
	else
		echo N >"$uring_param" || bail "cannot clear $uring_param"
	fi
elif [ "$mode" = uring ]; then
	skip_all "no $uring_param: kernel without FUSE over io_uring"
fi

# Whether vfsd's log $1 says it serves in this mode.
on_mode() {
	if [ "$mode" = uring ]; then
		grep -q "FUSE over io_uring: " "$1"
	else
		! grep -q "FUSE over io_uring: " "$1"
	fi
}

# The backing FUSE mount: vfsd over a plain directory, flock on.
"$daemon_bin" --fuse-mount="$inner" --shared-dir="$backing" --flock \
	>"$work/inner.log" 2>&1 &
inner_pid=$!
for _ in $(seq 200); do
	grep -q " $inner fuse" /proc/mounts && break
	sleep 0.05
done
grep -q " $inner fuse" /proc/mounts
up=$?
# The first request (INIT) decides whether the rings come up.
ls "$inner" >/dev/null 2>&1
[ "$up" = 0 ] && [ "$mode" = uring ] && ! on_mode "$work/inner.log" &&
	skip_all "$(grep -o 'FUSE over io_uring.*' "$work/inner.log" | head -n 1)"
on_mode "$work/inner.log"
check "the backing FUSE mount is up, mode $mode" $(( up || $? )) \
	"$(tail -n 3 "$work/inner.log")"

share=$inner
fuse_start --flock ${FLOCK_ORDER_OPTS:-}
check "vfsd serves the FUSE mount with --flock" $? "$(tail -n 5 "$log")"
: >"$mnt/f"
on_mode "$log"
check "vfsd serves it, mode $mode" $? "$(tail -n 5 "$log")"

# A child on one CPU takes the lock and exits; the parent, on another,
# tries the moment wait() returns (a shell's fork and exec of flock(1)
# leaves time to hide it), every other round on a file it opens then, else
# on one it holds open. A busy loop on each CPU makes the daemons' threads
# wait for a CPU at random, as on a loaded host, so the order in which
# they pick requests up varies. On one CPU nothing races (one ring; a
# reader runs at a time).
rounds=${FLOCK_ORDER_ROUNDS:-300}
busy=$(python3 - "$mnt/f" "$rounds" <<'PY'
import ctypes, fcntl, os, signal, sys
path, rounds, busy = sys.argv[1], int(sys.argv[2]), 0
cpus = sorted(os.sched_getaffinity(0))
held = os.open(path, os.O_RDWR)
hogs = []
for c in cpus[:2] if len(cpus) > 1 else []:
    pid = os.fork()
    if pid == 0:
        # PR_SET_PDEATHSIG: the loop ends with this script, whatever ends it.
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)
        os.sched_setaffinity(0, {c})
        while True:
            pass
    hogs.append(pid)
try:
    for i in range(rounds):
        if len(cpus) > 1:
            os.sched_setaffinity(0, {cpus[i % 2]})
        child = os.fork()
        if child == 0:
            if len(cpus) > 1:
                os.sched_setaffinity(0, {cpus[(i + 1) % 2]})
            fcntl.flock(os.open(path, os.O_RDWR), fcntl.LOCK_EX)
            os._exit(0)
        os.waitpid(child, 0)
        fd = held if i % 2 else os.open(path, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(fd, fcntl.LOCK_UN)
        except BlockingIOError:
            busy += 1
        if fd != held:
            os.close(fd)
finally:
    for h in hogs:
        os.kill(h, signal.SIGKILL)
        os.waitpid(h, 0)
print(busy)
PY
)
check "$rounds flocks right after their holder exited: none found the file locked" \
	"$([ "$busy" = 0 ]; echo $?)" "$busy of $rounds got EWOULDBLOCK"

# The second try must not turn a lock that is held into a free one.
held=$(python3 - "$mnt/f" <<'PY'
import fcntl, os, sys
holder, other = os.open(sys.argv[1], os.O_RDWR), os.open(sys.argv[1], os.O_RDWR)
fcntl.flock(holder, fcntl.LOCK_EX)
try:
    fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
    print("granted")
except BlockingIOError:
    print("EWOULDBLOCK")
PY
)
check "a flock -n on a file whose lock is held: EWOULDBLOCK" \
	"$([ "$held" = EWOULDBLOCK ]; echo $?)" "$held"

kill -TERM "$pid"
fuse_wait_exit
check "SIGTERM: vfsd exits with status 0" "$([ "$status" = 0 ]; echo $?)" \
	"status $status"
echo "1..$ntest"
[ "$nfail" -eq 0 ]
