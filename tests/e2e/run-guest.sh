#!/bin/bash
# End-to-end test: boot a Debian guest kernel under QEMU (TCG) whose
# vhost-user-fs device is served by DAEMON, run tests/e2e/guest/e2e_ops in
# the guest's virtio-fs mount, then check the share from the host side.
#
#   tests/e2e/run-guest.sh vfsd|virtiofsd|virtiofsd-rs [--daemon-bin PATH]
#                          [--daemon-arg ARG]... [--guest-bin PATH]
#                          [--rootless] [--timeout SECONDS] [--keep]
#
# virtiofsd is QEMU's C daemon, virtiofsd-rs the Rust virtiofsd 1.13.3 of
# ../shared/peers (a visible SKIP where it is missing). --daemon-arg adds
# ARG to the daemon's command line (e.g. a cache mode). --rootless runs
# the daemon as an ordinary user made for the run, with the --uid-map and
# --gid-map libvirt's session mode passes (guest root is that user, guest
# uid 1000 is its subordinate id 999), and the host checks those owners.
#
# Prints one TAP stream: the guest's checks, the host's checks of what the
# guest wrote, and whether the daemon exited by itself with status 0 once
# QEMU was gone. Exits non-zero on any failure. Needs root (the daemon and
# the ownership checks do).
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)

daemon=
daemon_bin=
guest_bin=
timeout_s=240
keep=
rootless=
tag="vfsd-e2e"
daemon_args=()

usage() {
	echo "usage: $0 vfsd|virtiofsd|virtiofsd-rs [--daemon-bin PATH] [--daemon-arg ARG]... [--guest-bin PATH] [--rootless] [--timeout S] [--keep]" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
	vfsd | virtiofsd | virtiofsd-rs) daemon=$1 ;;
	--daemon-bin) daemon_bin=${2:-}; shift ;;
	--daemon-bin=*) daemon_bin=${1#*=} ;;
	--daemon-arg) daemon_args+=("${2:-}"); shift ;;
	--daemon-arg=*) daemon_args+=("${1#*=}") ;;
	--guest-bin) guest_bin=${2:-}; shift ;;
	--guest-bin=*) guest_bin=${1#*=} ;;
	--timeout) timeout_s=${2:-}; shift ;;
	--rootless) rootless=1 ;;
	--keep) keep=1 ;;
	*) usage ;;
	esac
	shift
done
[ -n "$daemon" ] || usage

. "$top/tests/lib/runner.sh"
. "$top/tests/lib/guest.sh"
. "$top/tests/lib/rootless.sh"
runner_diag() { guest_diag_all; }

# --- preconditions ---------------------------------------------------------

need_root
need_cmd qemu-system-x86_64
case "$daemon" in
vfsd)
	[ -n "$daemon_bin" ] || daemon_bin=$top/build/src/cli/vfsd
	[ -x "$daemon_bin" ] || bail "vfsd binary $daemon_bin not found (--daemon-bin)"
	;;
virtiofsd)
	[ -n "$daemon_bin" ] || daemon_bin=/usr/lib/qemu/virtiofsd
	[ -x "$daemon_bin" ] || skip_all "$daemon_bin not installed"
	;;
virtiofsd-rs)
	[ -n "$daemon_bin" ] || daemon_bin=$(guest_rust_virtiofsd)
	[ -x "$daemon_bin" ] || skip_all "$daemon_bin not found (the Rust virtiofsd peer)"
	;;
esac
if [ -n "$rootless" ]; then
	why=$(rootless_missing)
	[ -z "$why" ] || skip_all "rootless: $why"
fi

# --- work dir and cleanup --------------------------------------------------

runner_work "e2e-$daemon"
cleanup() {
	guest_cleanup
	rootless_user_del
}

# --- guest kernel, program, initramfs --------------------------------------

if [ -n "$guest_bin" ]; then
	[ -x "$guest_bin" ] || bail "guest program $guest_bin not built"
else
	guest_bin=$work/e2e_ops
	${CC:-cc} -std=gnu11 -O2 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -Wall -Wextra \
		-static -o "$guest_bin" "$here"/guest/*.c >"$work/cc.log" 2>&1 ||
		{ guest_diag "cc" "$work/cc.log"; bail "cannot build the static guest program"; }
fi

guest_prepare "$work/initrd.gz" "$guest_bin" ||
	bail "guest kernel or initramfs (scripts/guest-kernel.sh, build-initramfs.sh) failed"

# --- share and daemon ------------------------------------------------------

share=$work/share
sock=$work/vhost-fs.sock
mkdir -m 0755 "$share" || bail "mkdir $share"
"$guest_bin" host-prepare "$share" || bail "host-prepare failed"
# Checks whose expected answer depends on the peer read which one serves.
echo "$daemon" >"$share/host/daemon" || bail "cannot write $share/host/daemon"
# ...and checks that depend on an option read the options (one a line).
printf '%s\n' "${daemon_args[@]}" >"$share/host/daemon-args" ||
	bail "cannot write $share/host/daemon-args"

# Without root: the share is the user's, what host root made in it is the
# user's (guest root) or its id 999 (guest uid 1000), and the daemon gets
# libvirt's session-mode maps.
host_ids=
if [ -n "$rootless" ]; then
	rootless_user_add || bail "cannot create a test user"
	mapfile -t rl_args < <(rootless_maps)
	daemon_args+=("${rl_args[@]}")
	host_ids=$rl_uid:$rl_gid:$((rl_subuid + 999)):$((rl_subgid + 999))
	chmod 0755 "$work" || bail "chmod $work"
	printf '%s\n' "${daemon_args[@]}" >"$share/host/daemon-args"
	chown -R -h --from=0:0 "$rl_uid:$rl_gid" "$share" &&
		chown -R -h --from=1000:1000 "$((rl_subuid + 999)):$((rl_subgid + 999))" "$share" ||
		bail "chown of the share to $rl_user"
	mkdir -m 0700 "$work/run" && chown "$rl_uid:$rl_gid" "$work/run" || bail "mkdir $work/run"
	# The build tree may sit where the user cannot reach (/root).
	cp "$daemon_bin" "$work/run/daemon" && chmod 0755 "$work/run/daemon" ||
		bail "cannot copy $daemon_bin"
	daemon_bin=$work/run/daemon
	sock=$work/run/vhost-fs.sock
	guest_daemon_wrap=(setpriv --reuid="$rl_uid" --regid="$rl_gid" --clear-groups)
	echo "# rootless: user $rl_user ($rl_uid:$rl_gid), ranges $rl_subuid and $rl_subgid x $rl_count"
fi

guest_start_daemon "$daemon" "$daemon_bin" "$share" "$sock" "$work/daemon.log" \
	"${daemon_args[@]}" || bail "$daemon did not create $sock"
if [ -n "$rootless" ]; then
	check "the daemon runs as $rl_user, not root" \
		"$([ "$(stat -c %u "/proc/$guest_daemon_pid")" = "$rl_uid" ]; echo $?)" \
		"owner of /proc/$guest_daemon_pid: $(stat -c %u "/proc/$guest_daemon_pid")"
fi
sleep 0.2
fds_start=$(guest_count_fds "$guest_daemon_pid")

# --- boot ------------------------------------------------------------------

# The guest unmounted and waits 3 s before powering off: after the FORGETs
# and DESTROY of the unmount the daemon should hold no more fds than it did
# before the guest came.
fds_end=
end_polls=0
guest_poll() {
	if [ -z "$fds_end" ] && grep -q '=== VFSD-E2E END' "$work/serial.log"; then
		end_polls=$((end_polls + 1))
		[ "$end_polls" -lt 6 ] || fds_end=$(guest_count_fds "$guest_daemon_pid")
	fi
}
guest_boot "$work/initrd.gz" "$sock" "$tag" test "$timeout_s"
# The daemon should notice the closed vhost-user socket and exit by itself.
guest_wait_daemon 10

# --- results ---------------------------------------------------------------

guest_check_boot "$timeout_s"
guest_relay_tap guest

if [ -d "$share/out" ]; then
	while IFS= read -r line; do
		case "$line" in
		"ok "*) check "${line#ok * - }" 0 ;;
		"not ok "*) check "${line#not ok * - }" 1 "failed on the host" ;;
		esac
	done < <(E2E_HOST_IDS=$host_ids "$guest_bin" host-check "$share" 2>&1)
else
	check "host: share has no out/ directory from the guest" 1
fi

if [ -n "$guest_daemon_rc" ]; then
	echo "# $daemon exited by itself with status $guest_daemon_rc after QEMU went away"
	check "daemon exited by itself with status 0 after QEMU went away" \
		"$([ "$guest_daemon_rc" -eq 0 ]; echo $?)" "exit status $guest_daemon_rc"
else
	echo "# $daemon was still running 10 s after QEMU went away"
	check "daemon exited by itself with status 0 after QEMU went away" 1 "still running after 10 s"
fi

echo "# $daemon open fds: $fds_start before the guest, ${fds_end:-unknown} after its umount"
check "daemon released inode and file fds after the guest unmounted" \
	"$([ -n "$fds_end" ] && [ "$fds_end" -le $((fds_start + 64)) ]; echo $?)" \
	"$fds_start fds before the guest, ${fds_end:-unknown} after the umount"

check_sanitizer "$work/daemon.log"

echo "1..$ntest"
if [ "$nfail" -ne 0 ]; then
	guest_diag_all
	echo "# $nfail of $ntest checks failed"
	exit 1
fi
echo "# all $ntest checks passed"
exit 0
