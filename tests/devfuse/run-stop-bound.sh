#!/bin/bash
# A host FUSE mount's daemon ends when its mount ends, even with a request
# stuck in the kernel: the share holds a FUSE filesystem whose daemon is
# stopped (SIGSTOP), a client's request into it leaves a vfsd worker in an
# uninterruptible wait, then the mount goes (umount -f: the connection is
# aborted).
# vfsd must exit by itself (docs/ARCHITECTURE.md, "Stopping"), not wait for
# the stuck worker forever.
# The inner daemon is resumed at the end, which frees the stuck thread.
#
#   tests/devfuse/run-stop-bound.sh --daemon-bin PATH [--mode uring]
#
# With --mode uring, FUSE over io_uring is on (enable_uring set, and put
# back at the end), so the stuck request is a ring thread's.
#
# Prints TAP; exits non-zero on any failure. Needs root.
set -u

# shellcheck source=../lib/runner.sh
. "$(dirname "$0")/../lib/runner.sh"

daemon_bin=
mode=plain
runner_opts daemon_bin=--daemon-bin mode=--mode -- "$@"
need_exec "$daemon_bin" --daemon-bin
need_root
need_cmd mountpoint
uring_param=/sys/module/fuse/parameters/enable_uring
uring_was=
if [ "$mode" = uring ]; then
	[ -w "$uring_param" ] || skip_all "no $uring_param: kernel without FUSE over io_uring"
	uring_was=$(cat "$uring_param")
	echo Y >"$uring_param" || skip_all "cannot set $uring_param"
fi

runner_work stopbound
share=$work/share
inner=$work/inner
mnt=$work/mnt
mkdir -p "$share/hang" "$inner" "$mnt"
inner_pids=
outer_pid=
client_pid=

cleanup() {
	[ -n "$inner_pids" ] && kill -CONT $inner_pids 2>/dev/null
	[ -n "$client_pid" ] && kill -9 "$client_pid" 2>/dev/null
	umount -l "$mnt" 2>/dev/null
	umount -l "$share/hang" 2>/dev/null
	[ -n "$outer_pid" ] && kill -9 "$outer_pid" 2>/dev/null
	[ -n "$inner_pids" ] && kill $inner_pids 2>/dev/null
	wait 2>/dev/null
	[ -z "$uring_was" ] || echo "$uring_was" >"$uring_param"
}

runner_diag() {
	sed 's/^/# outer: /' "$work/outer.log" 2>/dev/null | tail -n 20
}

# Wait (up to 10 s) until $1 is a mount point.
wait_mounted() {
	for _ in $(seq 100); do
		mountpoint -q "$1" && return 0
		sleep 0.1
	done
	return 1
}

# The filesystem that will hang: a vfsd mount inside the share.
"$daemon_bin" --fuse-mount="$share/hang" --shared-dir="$inner" \
	--sandbox=none >"$work/inner.log" 2>&1 &
wait_mounted "$share/hang" || bail "the inner mount did not come up"
inner_pids=$(pgrep -f -- "--fuse-mount=$share/hang ")
[ -n "$inner_pids" ] || bail "inner daemon not found"

"$daemon_bin" --fuse-mount="$mnt" --shared-dir="$share" \
	>"$work/outer.log" 2>&1 &
outer_pid=$!
wait_mounted "$mnt" || bail "the vfsd mount did not come up"
check "vfsd serves $mnt" 0
if [ "$mode" = uring ]; then
	stat "$mnt" >/dev/null
	grep -q "FUSE over io_uring: " "$work/outer.log"
	check "... over io_uring" $? "the rings did not start"
fi

# shellcheck disable=SC2086
kill -STOP $inner_pids
stat "$mnt/hang/x" >/dev/null 2>&1 &
client_pid=$!
sleep 1
kill -0 "$client_pid" 2>/dev/null
check "a request into the stopped filesystem is stuck" $? \
	"stat returned: the inner filesystem did not hang"

# The mount ends: a forced unmount aborts the connection (the client's
# request already reached vfsd, so killing the client would not end it:
# the kernel waits for the answer). The client gets its error and goes.
umount -f "$mnt" 2>/dev/null || umount -l "$mnt"

# A liveness bound, far above the daemon's own (2 s): not a timing check.
for _ in $(seq 300); do
	kill -0 "$outer_pid" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$outer_pid" 2>/dev/null; then
	check "vfsd exits after its mount ended, with a worker stuck" 1 \
		"still running 30 s later"
else
	wait "$outer_pid"
	status=$?
	outer_pid=
	check "vfsd exits after its mount ended, with a worker stuck" 0
	[ "$status" -eq 0 ]
	check "... with status 0" $? "status $status"
	grep -q "stuck in the kernel" "$work/outer.log"
	check "... and says it left a request stuck in the kernel" $?
fi
check_sanitizer "$work/outer.log"

echo "1..$ntest"
[ "$nfail" -eq 0 ]
