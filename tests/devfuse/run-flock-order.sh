#!/bin/bash
# flock ends with its holder: right after a process that held a flock on a
# file exits, another process's flock -n on it must succeed, as on a local
# filesystem. vfsd serves (with --flock) a share that is itself a FUSE
# mount (a second vfsd with --flock, standing in for GlusterFS): there the
# host kernel ends a lock at close(2) only by a RELEASE it sends later, so
# vfsd must end the guest's flock itself when the guest releases the file.
#
# Both daemons serve FUSE over io_uring (enable_uring is set for the run
# and put back after), and the holder runs on another CPU than the next
# locker: its RELEASE then reaches vfsd on another CPU's ring than the
# next lock request, which vfsd may pick up first; it must not answer
# "locked" before the requests it had received earlier are handled
# (docs/CONFORMANCE.md, "flock").
#
#   tests/devfuse/run-flock-order.sh --daemon-bin PATH
#
# Prints TAP; a TAP SKIP without root or without FUSE over io_uring.
# FLOCK_ORDER_OPTS: more vfsd options; FLOCK_ORDER_ROUNDS: tries (1000).
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=../lib/runner.sh
. "$top/tests/lib/runner.sh"
need_root

# shellcheck source=../lib/fuse.sh
. "$top/tests/lib/fuse.sh"

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

[ -w "$uring_param" ] || skip_all "no $uring_param: kernel without FUSE over io_uring"
uring_was=$(cat "$uring_param")
echo Y >"$uring_param" || skip_all "cannot set $uring_param"

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
[ "$up" = 0 ] && ! grep -q "FUSE over io_uring: " "$work/inner.log" &&
	skip_all "$(grep -o 'FUSE over io_uring.*' "$work/inner.log" | head -n 1)"
check "the backing FUSE mount is up, on io_uring" $up "$(tail -n 3 "$work/inner.log")"

share=$inner
fuse_start --flock ${FLOCK_ORDER_OPTS:-}
check "vfsd serves the FUSE mount with --flock" $? "$(tail -n 5 "$log")"
: >"$mnt/f"
grep -q "FUSE over io_uring: " "$log"
check "vfsd serves it on io_uring" $? "$(tail -n 5 "$log")"

# A child on one CPU takes the lock and exits; the parent, on another,
# tries the moment wait() returns (a shell's fork and exec of flock(1)
# leaves time to hide it). One CPU has one ring: nothing to race there.
rounds=${FLOCK_ORDER_ROUNDS:-1000}
busy=$(python3 - "$mnt/f" "$rounds" <<'PY'
import fcntl, os, sys
path, rounds, busy = sys.argv[1], int(sys.argv[2]), 0
cpus = sorted(os.sched_getaffinity(0))
for i in range(rounds):
    if len(cpus) > 1:
        os.sched_setaffinity(0, {cpus[i % 2]})
    if os.fork() == 0:
        if len(cpus) > 1:
            os.sched_setaffinity(0, {cpus[(i + 1) % 2]})
        fcntl.flock(os.open(path, os.O_RDWR), fcntl.LOCK_EX)
        os._exit(0)
    os.wait()
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        busy += 1
    os.close(fd)
print(busy)
PY
)
check "$rounds flocks right after their holder exited: none found the file locked" \
	"$([ "$busy" = 0 ]; echo $?)" "$busy of $rounds got EWOULDBLOCK"

kill -TERM "$pid"
fuse_wait_exit
check "SIGTERM: vfsd exits with status 0" "$([ "$status" = 0 ]; echo $?)" \
	"status $status"
echo "1..$ntest"
[ "$nfail" -eq 0 ]
