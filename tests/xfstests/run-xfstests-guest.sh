#!/bin/bash
# A few xfstests cases (guest-tests) run from a guest: Debian's kernel
# under QEMU (TCG) mounts a vfsd share over virtio-fs (FSTYP=virtiofs), as
# a virtual machine does. The guest has no userland of its own: its root is
# the host's /, read-only, through a second virtio-fs device served by a
# second vfsd (--readonly, tag hostroot), so xfstests' bash, perl, xfs_io
# and the suite built in --src-dir are the host's. The guest side is
# guest-run.sh; the results are compared with the same lists as the
# /dev/fuse run (compare.py --target vfsd).
#
#   tests/xfstests/run-xfstests-guest.sh --build-dir DIR --daemon-bin PATH
#       [--daemon-arg ARG]... [--list FILE] [--src-dir DIR]
#       [--timeout SECONDS] [--keep]
#
# --daemon-arg goes to both daemons (a sanitized build's --sandbox=none).
# The share's daemon gets --xattr --modcaps=+sys_admin, as the /dev/fuse
# run's (trusted.* xattrs for xfstests' root). The users xfstests wants
# are added to /etc through an overlay in a private mount namespace, where
# the hostroot daemon starts, so the guest sees them and the host's /etc
# is never written. Prints TAP; 1..0 # SKIP when the suite's tarball or
# QEMU is missing. Needs root.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
args=("$@")

build=
daemon_bin=
daemon_args=()
list=$here/guest-tests
src=
timeout_s=600
keep=
while [ $# -gt 0 ]; do
	case "$1" in
	--build-dir) build=$2; shift ;;
	--daemon-bin) daemon_bin=$2; shift ;;
	--daemon-arg) daemon_args+=("$2"); shift ;;
	--daemon-arg=*) daemon_args+=("${1#*=}") ;;
	--list) list=$2; shift ;;
	--src-dir) src=$2; shift ;;
	--timeout) timeout_s=$2; shift ;;
	--keep) keep=1 ;;
	*) echo "unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done

. "$top/tests/lib/runner.sh"
. "$top/tests/lib/guest.sh"
. "$top/tests/lib/mount_helper.sh"
. "$top/tests/lib/xfstests.sh"
runner_diag() {
	guest_diag_all
	guest_diag "hostroot daemon log" "$work/hostroot.log" 20
}

[ -n "$build" ] || bail "need --build-dir"
need_root
need_cmd qemu-system-x86_64
tarball=$(xfstests_tarball "$top")
[ -n "$tarball" ] || skip_all "no xfstests tarball in $top/../shared/suites"
need_exec "$daemon_bin" --daemon-bin
build=$(mkdir -p "$build" && cd "$build" && pwd)
src=$(mkdir -p "${src:-$build/xfstests-src}" && cd "${src:-$build/xfstests-src}" && pwd)

runner_private_ns "${args[@]}"
xfstests_build "$src" "$tarball" || bail "xfstests did not build"

# $work under the build directory, not /tmp: the guest sees the host's
# tree, but its own tmpfs on /tmp, and the users' homes are in $work.
TMPDIR=$build runner_work xfstests-guest
chmod 0755 "$work"
hostroot_pid=
cleanup() {
	guest_cleanup
	[ -z "$hostroot_pid" ] || kill -TERM "$hostroot_pid" 2>/dev/null
}
xfstests_users "$work"

tests=$(sed 's/#.*//' "$list" | xargs)
printf 'XFSTESTS_SRC=%s\nXFSTESTS_TESTS="%s"\nXFSTESTS_TAG=vfsd_test\n' \
	"$src" "$tests" >"$work/xfstests.env"
guest_prepare "$work/initrd.gz" - --file "$here/guest-run.sh:/bin/guest-run" \
	--file "$work/xfstests.env:/etc/xfstests.env" ||
	bail "guest kernel or initramfs (scripts/guest-kernel.sh, build-initramfs.sh) failed"

# --- the two daemons -----------------------------------------------------------

# The host's /, which changes under nothing the guest reads: cache=always.
# The namespace sandbox cannot pivot_root into / (EBUSY): chroot.
"$daemon_bin" --socket-path="$work/hostroot.sock" --shared-dir=/ --readonly \
	--cache=always --sandbox=chroot "${daemon_args[@]}" </dev/null >"$work/hostroot.log" 2>&1 &
hostroot_pid=$!
mkdir -m 0755 "$work/share" || bail "mkdir $work/share"
guest_start_daemon vfsd "$daemon_bin" "$work/share" "$work/test.sock" \
	"$work/daemon.log" --modcaps=+sys_admin "${daemon_args[@]}" ||
	bail "vfsd did not create $work/test.sock"
# Started first, it may still be starting (opening / takes longer).
for _ in $(seq 300); do
	[ -S "$work/hostroot.sock" ] && break
	kill -0 "$hostroot_pid" 2>/dev/null || break
	sleep 0.1
done
[ -S "$work/hostroot.sock" ] || bail "the hostroot vfsd did not create its socket"

# --- boot: hostroot is the first device (the initramfs mounts it), the share
# the second ---------------------------------------------------------------------

start=$(date +%s)
VFSD_QEMU_EXTRA="-chardev socket,id=c1,path=$work/test.sock -device vhost-user-fs-pci,chardev=c1,tag=vfsd_test" \
	guest_boot "$work/initrd.gz" "$work/hostroot.sock" hostroot run "$timeout_s"
elapsed=$(($(date +%s) - start))
guest_wait_daemon 10

guest_check_boot "$timeout_s"
sed -n 's/^XFSTESTS: /# guest: /p' "$work/guest.txt"
sed -n 's/^XFSTESTS-OUT: //p' "$work/guest.txt" >"$work/check.out"
grep -E '^(Ran|Not run|Failures|Failed|Passed)' "$work/check.out" | sed 's/^/# /' | cut -c1-2000
sed -n 's/^XFSTESTS-XML: //p' "$work/guest.txt" | base64 -d | gunzip >"$work/result.xml" 2>/dev/null
if ! python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$work/result.xml" 2>/dev/null; then
	tail -n 40 "$work/check.out" | sed 's/^/# /'
	check "xfstests ran in the guest and its report came back" 1 "no readable result.xml"
	runner_diag
	echo "1..$ntest"
	exit 1
fi
xfstests_compare "$work/result.xml" vfsd "$elapsed" "" --guest
compare_rc=$?

rc=$(sed -n 's/^=== VFSD-E2E END rc=\([0-9]*\) ===$/\1/p' "$work/guest.txt")
check "guest unmounted the share and its own mounts" "$([ "${rc:-1}" = 0 ]; echo $?)" "rc=${rc:-none}"
check "vfsd exited by itself with status 0 after QEMU went away" \
	"$([ "${guest_daemon_rc:-x}" = 0 ]; echo $?)" "exit status ${guest_daemon_rc:-none (still running)}"
check_sanitizer "$work/daemon.log"
check_sanitizer "$work/hostroot.log" "hostroot daemon log has no sanitizer report"

echo "1..$ntest"
if [ "$nfail" -ne 0 ] || [ "$compare_rc" -ne 0 ]; then
	runner_diag
	exit 1
fi
exit 0
