#!/bin/bash
# flock ends with its holder: right after a process that held a flock on a
# file exits, another process's flock -n on it must succeed, as on a local
# filesystem. vfsd serves (with --flock) a share that is itself a FUSE
# mount (a second vfsd with --flock, standing in for GlusterFS): there the
# host kernel ends a lock at close(2) only by a RELEASE it sends later, so
# vfsd must end the guest's flock itself when the guest releases the file.
#
#   tests/devfuse/run-flock-order.sh --daemon-bin PATH
#
# Prints TAP; a TAP SKIP without root. FLOCK_ORDER_OPTS: more vfsd options.
# Not in make check yet: with the unlock at release 0-8 of 300 tries
# still find the file locked (17-23 without it); the rest is the holder's
# RELEASE and the next lock request arriving on two CPUs' FUSE-over-io_uring
# queues, unordered (0 of 300 when pinned to one CPU; docs/CONFORMANCE.md).
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=../lib/runner.sh
. "$top/tests/lib/runner.sh"
need_root

# shellcheck source=../lib/fuse.sh
. "$top/tests/lib/fuse.sh"

cleanup() {
	fuse_cleanup
	[ -n "$inner_pid" ] && kill "$inner_pid" 2>/dev/null
	[ -n "${inner:-}" ] && umount -l "$inner" 2>/dev/null
}
inner_pid=
fuse_runner flock-order "$@"
backing=$work/backing
inner=$work/inner
mkdir -p "$backing" "$inner"

# The backing FUSE mount: vfsd over a plain directory, flock on.
"$daemon_bin" --fuse-mount="$inner" --shared-dir="$backing" --flock \
	>"$work/inner.log" 2>&1 &
inner_pid=$!
for _ in $(seq 200); do
	grep -q " $inner fuse" /proc/mounts && break
	sleep 0.05
done
grep -q " $inner fuse" /proc/mounts
check "the backing FUSE mount is up" $? "$(tail -n 3 "$work/inner.log")"

share=$inner
fuse_start --flock ${FLOCK_ORDER_OPTS:-}
check "vfsd serves the FUSE mount with --flock" $? "$(tail -n 5 "$log")"
: >"$mnt/f"

# A child takes the lock and exits; the parent tries the moment wait()
# returns (a shell's fork and exec of flock(1) leaves time to hide it).
rounds=300
busy=$(python3 - "$mnt/f" "$rounds" <<'PY'
import fcntl, os, sys
path, rounds, busy = sys.argv[1], int(sys.argv[2]), 0
for _ in range(rounds):
    if os.fork() == 0:
        fd = os.open(path, os.O_RDWR)
        fcntl.flock(fd, fcntl.LOCK_EX)
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
