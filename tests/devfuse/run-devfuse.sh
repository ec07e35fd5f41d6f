#!/bin/bash
# The core test program over the host kernel's FUSE client: vfsd serves a
# fresh share with --fuse-mount, tests/e2e/guest/e2e_ops runs against the
# mount on the host (the same checks a guest runs over virtio-fs), then the
# host side of the share is checked. Then every way the daemon can end is
# tried, and each must leave nothing mounted:
#   SIGTERM, SIGINT, the kernel aborting the connection
#   (/sys/fs/fuse/connections/N/abort), and SIGKILL followed by the
#   administrator's `umount -l`.
#
#   tests/devfuse/run-devfuse.sh --daemon-bin PATH --guest-bin PATH
#
# Prints TAP; exits non-zero on any failure. Needs root.
set -u

# shellcheck source=../lib/runner.sh
. "$(dirname "$0")/../lib/runner.sh"
# shellcheck source=../lib/fuse.sh
. "$(dirname "$0")/../lib/fuse.sh"

daemon_bin= guest_bin=
runner_opts daemon_bin=--daemon-bin guest_bin=--guest-bin -- "$@"
need_exec "$daemon_bin" --daemon-bin
need_exec "$guest_bin" --guest-bin

runner_work devfuse
share=$work/share
mnt=$work/mnt
log=$work/vfsd.log
cleanup() { fuse_cleanup; }
mkdir -p "$share" "$mnt"
chmod 0755 "$work"

# --- the test program over the mount --------------------------------------

"$guest_bin" host-prepare "$share" >"$work/prepare.log" 2>&1
check "host-prepare filled the share" $? "$(tail -n 3 "$work/prepare.log")"

# The program's xattr checks want them, off by default as in virtiofsd.
fuse_start --xattr
check "vfsd mounted the share on $mnt" $? "$(tail -n 5 "$log")"

fuse_e2e_round ""

check_sanitizer "$log"

# --- O_DIRECT through the daemon (--allow-direct-io) ----------------------

fuse_start --allow-direct-io
check "mount with --allow-direct-io" $?
head -c 3145728 /dev/urandom >"$work/direct.src"
cp "$work/direct.src" "$share/direct.in"
dd if="$mnt/direct.in" of="$work/direct.read" bs=1M iflag=direct 2>/dev/null
cmp -s "$work/direct.src" "$work/direct.read"
check "O_DIRECT read returns the host file's bytes" $?
dd if="$work/direct.src" of="$mnt/direct.out" bs=1M oflag=direct 2>/dev/null
cmp -s "$work/direct.src" "$share/direct.out"
check "O_DIRECT write lands on the host byte for byte" $?
kill -TERM "$pid"
fuse_wait_exit

# --- the other ways to end ------------------------------------------------

fuse_start
check "restart after SIGTERM mounts again" $?
kill -INT "$pid"
fuse_wait_exit
check "SIGINT: exit status 0 and nothing mounted" \
	"$([ "$status" = 0 ] && ! fuse_mounted; echo $?)" "status $status"

# fusectl is mounted by systemd; a host without it (a fresh container or
# CI machine) has no /sys/fs/fuse/connections/N until it is mounted here.
fusectl_ensure
check "fusectl mounted at /sys/fs/fuse/connections" $?
fuse_start
check "mount for the abort test" $?
dev=$(stat -c %d "$mnt")
ls "$mnt" >/dev/null
if [ -w "/sys/fs/fuse/connections/$dev/abort" ]; then
	echo 1 >"/sys/fs/fuse/connections/$dev/abort"
	fuse_wait_exit
	check "kernel abort: vfsd exits with status 0" \
		"$([ "$status" = 0 ]; echo $?)" "status $status"
	fuse_mounted
	check "kernel abort: nothing left mounted" $(( ! $? ))
else
	check "fusectl exposes connection $dev" 1 \
		"/sys/fs/fuse/connections/$dev/abort missing"
	# Do not leave this daemon serving $mnt under the next test's mount.
	fuse_stop
fi

fuse_start
check "mount for the SIGKILL test" $?
fuse_kill
ls "$mnt" >/dev/null 2>&1
ls_rc=$?
check "SIGKILL: the dead mount answers with an error, not a hang" \
	"$([ "$ls_rc" -ne 0 ]; echo $?)"
umount -l "$mnt"
check "SIGKILL: umount -l recovers the mount point" \
	"$(! fuse_mounted && [ -d "$mnt" ] && ls "$mnt" >/dev/null; echo $?)"

# A mount point that is already busy is refused before anything happens.
mount -t tmpfs vfsd-busy "$mnt"
"$daemon_bin" --fuse-mount="$mnt" --shared-dir="$share" >"$work/busy.log" 2>&1
busy_rc=$?
umount "$mnt"
check "busy mount point: exit 1 with a clear error" \
	"$([ "$busy_rc" -eq 1 ] && grep -q busy "$work/busy.log"; echo $?)" \
	"$(cat "$work/busy.log")"

echo "1..$ntest"
[ "$nfail" -eq 0 ]
