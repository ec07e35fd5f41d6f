#!/bin/bash
# mount -t fuse.vfsd, the way fstab, xfstests and administrators mount:
# mount(8) runs mount.fuse.vfsd (this build's, installed in /sbin inside a
# private mount namespace), which starts vfsd in the background and returns
# once mounted. Checked: the mount's source and type as tools look them up
# (findmnt -S, umount SOURCE), the fsname= and subtype= options, the share
# named by SOURCE alone, mount-point flags and remount, and that a daemon
# which cannot mount makes mount(8) fail with its message.
#
#   tests/devfuse/run-mount-helper.sh --helper PATH
#
# Prints TAP; exits non-zero on any failure. Needs root.
set -u

# shellcheck source=../lib/runner.sh
. "$(dirname "$0")/../lib/runner.sh"

helper=
runner_opts helper=--helper -- "$@"
[ -f "$helper" ] || bail "need --helper"
helper=$(readlink -f "$helper")

# shellcheck source=../lib/mount_helper.sh
. "$(dirname "$0")/../lib/mount_helper.sh"
helper_enter_ns --helper "$helper"

runner_work mhelper
share=$work/share
mnt=$work/mnt
log=$work/vfsd.log
cleanup() { umount -l "$mnt" 2>/dev/null; }
mkdir -p "$share" "$mnt"
chmod 0755 "$work"
helper_install "$helper" "$work"
check "mount.fuse.vfsd installed in /sbin (private namespace)" $?

# The daemon serving $mnt, found by its command line (the path is unique).
daemon_pid() {
	pgrep -f -- "--fuse-mount=$mnt " | head -n 1
}
# Wait up to 30 s for the daemon of $mnt to be gone.
daemon_gone() {
	for _ in $(seq 600); do
		[ -z "$(daemon_pid)" ] && return 0
		sleep 0.05
	done
	return 1
}
# "SOURCE FSTYPE" of what is mounted on $mnt.
mounted_as() {
	findmnt -rn -o SOURCE,FSTYPE --mountpoint "$mnt"
}

# --- the xfstests way: an arbitrary source, the share in source= ----------

out=$(mount -t fuse.vfsd -o "source=$share,allow_other,default_permissions,logfile=$log" \
	test_dev_1 "$mnt" 2>&1)
check "mount -t fuse.vfsd -o source=SHARE test_dev_1 MNT" $? "$out"
check "mount(8) returned with MNT mounted: source test_dev_1, type fuse.vfsd" \
	"$([ "$(mounted_as)" = "test_dev_1 fuse.vfsd" ]; echo $?)" "$(mounted_as)"
check "findmnt -S test_dev_1 finds MNT" \
	"$([ "$(findmnt -rn -o TARGET -S test_dev_1)" = "$mnt" ]; echo $?)"
pid=$(daemon_pid)
check "the daemon runs in its own session" \
	"$([ -n "$pid" ] && [ "$(ps -o sid= -p "$pid" | tr -d ' ')" = "$pid" ]; echo $?)" \
	"pid '$pid'"
echo hello >"$mnt/f" && [ "$(cat "$share/f")" = hello ]
check "a file written on MNT is in the share" $?
out=$(umount test_dev_1 2>&1)
check "umount test_dev_1 (by source)" $? "$out"
daemon_gone
check "unmounting ended the daemon" $?
check "nothing left mounted" "$([ -z "$(mounted_as)" ]; echo $?)"

# --- plain type "fuse" and a chosen fsname --------------------------------

out=$(mount -t fuse.vfsd -o "source=$share,subtype=,fsname=other_name,logfile=$log" \
	test_dev_2 "$mnt" 2>&1)
check "mount with subtype= and fsname=other_name" $? "$out"
check "type is plain fuse, source other_name" \
	"$([ "$(mounted_as)" = "other_name fuse" ]; echo $?)" "$(mounted_as)"
umount other_name
check "umount other_name" $?
daemon_gone
check "daemon gone" $?

# --- fstab style: SOURCE is the share ----------------------------------------

out=$(mount -t fuse.vfsd -o "logfile=$log,cache=never" "$share" "$mnt" 2>&1)
check "mount -t fuse.vfsd -o cache=never SHARE MNT (no source=)" $? "$out"
[ "$(cat "$mnt/f" 2>/dev/null)" = hello ]
check "SOURCE served as the share" $?
pid=$(daemon_pid)
ps -o args= -p "$pid" | grep -q -- "-o cache=never"
check "a vfsd option reaches the daemon" $? "$(ps -o args= -p "$pid")"
umount "$mnt"
check "umount MNT" $?
daemon_gone
check "daemon gone" $?

# --- mount-point flags and remount ----------------------------------------

out=$(mount -t fuse.vfsd -o "source=$share,ro,noexec,logfile=$log" test_dev_3 "$mnt" 2>&1)
check "mount -o ro,noexec" $? "$out"
opts=$(findmnt -rn -o OPTIONS --mountpoint "$mnt")
check "MNT is ro,noexec,nosuid,nodev" \
	"$(echo "$opts" | tr , '\n' | grep -cx 'ro\|noexec\|nosuid\|nodev' | grep -qx 4; echo $?)" \
	"$opts"
err=$(touch "$mnt/new" 2>&1)
check "creating a file on the ro mount fails: Read-only file system" \
	"$(echo "$err" | grep -q 'Read-only file system'; echo $?)" "$err"
out=$(mount -o remount,rw "$mnt" 2>&1)
check "mount -o remount,rw MNT" $? "$out"
touch "$mnt/new" 2>/dev/null && [ -e "$share/new" ]
check "after remount,rw a file can be created" $?
# xfstests remounts with the options it mounted with: vfsd's own are
# ignored (they cannot change), the flags still apply.
out=$(mount -o "remount,ro,source=$share,cache=always" "$mnt" 2>&1)
check "remount,ro with vfsd options again" $? "$out"
err=$(touch "$mnt/new2" 2>&1)
check "the remount made it read-only" \
	"$(echo "$err" | grep -q 'Read-only file system'; echo $?)" "$err"
pid=$(daemon_pid)
ps -o args= -p "$pid" | grep -q -- "cache=always"
check "the daemon kept its options" $(( ! $? ))
umount test_dev_3
daemon_gone
check "daemon gone" $?

# --- unmount and mount again at once (xfstests' cycle mount) -------------
# The old daemon cleans up after the kernel ended its connection; a new
# mount on the same directory by then must not be what it unmounts. The
# old daemon is held stopped until the new mount is up, so the order is
# the bad one every time.

out=$(mount -t fuse.vfsd -o "source=$share,logfile=$log" test_dev_5 "$mnt" 2>&1)
check "mount test_dev_5" $? "$out"
old_pids=$(pgrep -f -- "--fuse-mount=$mnt " | tr '\n' ' ')
kill -STOP $old_pids
umount test_dev_5
out=$(mount -t fuse.vfsd -o "source=$share,logfile=$log" test_dev_6 "$mnt" 2>&1)
check "mount test_dev_6 on the same directory right after umount" $? "$out"
kill -CONT $old_pids
for _ in $(seq 600); do
	alive=
	for p in $old_pids; do kill -0 "$p" 2>/dev/null && alive=1; done
	[ -z "$alive" ] && break
	sleep 0.05
done
check "the old daemon exited" "$([ -z "$alive" ]; echo $?)" "pids $old_pids"
check "test_dev_6 is still mounted after the old daemon's exit" \
	"$([ "$(mounted_as)" = "test_dev_6 fuse.vfsd" ]; echo $?)" "'$(mounted_as)'"
[ "$(cat "$mnt/f" 2>/dev/null)" = hello ]
check "and serves the share" $?
umount test_dev_6
daemon_gone
check "daemon gone" $?

# --- refusals: mount(8) fails with the reason ----------------------------

out=$(mount -t fuse.vfsd -o "source=$work/missing" test_dev_4 "$mnt" 2>&1)
rc=$?
check "a missing share: mount fails with status 32 and vfsd's reason" \
	"$([ $rc = 32 ] && echo "$out" | grep -q 'No such file or directory'; echo $?)" \
	"status $rc: $out"
out=$(mount -t fuse.vfsd -o "source=$share,no_such_option" test_dev_4 "$mnt" 2>&1)
rc=$?
check "an unknown option: mount fails naming it" \
	"$([ $rc = 32 ] && echo "$out" | grep -q 'no_such_option'; echo $?)" \
	"status $rc: $out"
# mount(8) drops suid, its default; the helper itself refuses it.
out=$(/sbin/mount.fuse.vfsd test_dev_4 "$mnt" -o "rw,source=$share,suid" 2>&1)
rc=$?
check "mount.fuse.vfsd refuses suid" \
	"$([ $rc = 32 ] && echo "$out" | grep -q 'always nosuid'; echo $?)" \
	"status $rc: $out"
check "nothing mounted after the refusals" "$([ -z "$(mounted_as)" ]; echo $?)"

check_sanitizer "$log"
echo "1..$ntest"
[ "$nfail" -eq 0 ]
