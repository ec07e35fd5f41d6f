#!/bin/bash
# End-to-end test: boot a Debian guest kernel under QEMU (TCG) whose
# vhost-user-fs device is served by DAEMON, run tests/e2e/guest/e2e_ops in
# the guest's virtio-fs mount, then check the share from the host side.
#
#   tests/e2e/run-guest.sh vfsd|virtiofsd [--daemon-bin PATH]
#                          [--daemon-arg ARG]... [--guest-bin PATH]
#                          [--timeout SECONDS] [--keep]
#
# --daemon-arg adds ARG to the daemon's command line (e.g. a cache mode).
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
tag="vfsd-e2e"
daemon_args=()

usage() {
	echo "usage: $0 vfsd|virtiofsd [--daemon-bin PATH] [--daemon-arg ARG]... [--guest-bin PATH] [--timeout S] [--keep]" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
	vfsd | virtiofsd) daemon=$1 ;;
	--daemon-bin) daemon_bin=${2:-}; shift ;;
	--daemon-bin=*) daemon_bin=${1#*=} ;;
	--daemon-arg) daemon_args+=("${2:-}"); shift ;;
	--daemon-arg=*) daemon_args+=("${1#*=}") ;;
	--guest-bin) guest_bin=${2:-}; shift ;;
	--guest-bin=*) guest_bin=${1#*=} ;;
	--timeout) timeout_s=${2:-}; shift ;;
	--keep) keep=1 ;;
	*) usage ;;
	esac
	shift
done
[ -n "$daemon" ] || usage

# --- TAP output ------------------------------------------------------------

ntest=0
nfail=0

tap_ok() {
	ntest=$((ntest + 1))
	echo "ok $ntest - $1"
}

tap_not_ok() {
	ntest=$((ntest + 1))
	nfail=$((nfail + 1))
	echo "not ok $ntest - $1"
}

tap_check() { # NAME REASON-IF-FAILED CONDITION-STATUS
	if [ "$3" -eq 0 ]; then tap_ok "$1"; else tap_not_ok "$1: $2"; fi
}

diag_file() { # LABEL FILE [LINES]
	[ -s "$2" ] || return 0
	echo "# --- $1 (last ${3:-40} lines) ---"
	tail -n "${3:-40}" "$2" | tr -d '\r' | sed 's/^/#   /'
}

skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

bail() {
	echo "Bail out! $1"
	diag_file "daemon log" "${work:-/nonexistent}/daemon.log"
	diag_file "serial log" "${work:-/nonexistent}/serial.log"
	exit 1
}

# --- preconditions ---------------------------------------------------------

[ "$(id -u)" -eq 0 ] || skip_all "needs root"
command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 not installed"
case "$daemon" in
vfsd)
	[ -n "$daemon_bin" ] || daemon_bin=$top/build/src/cli/vfsd
	[ -x "$daemon_bin" ] || bail "vfsd binary $daemon_bin not found (--daemon-bin)"
	;;
virtiofsd)
	[ -n "$daemon_bin" ] || daemon_bin=/usr/lib/qemu/virtiofsd
	[ -x "$daemon_bin" ] || skip_all "$daemon_bin not installed"
	;;
esac

# --- work dir and cleanup --------------------------------------------------

work=$(mktemp -d "${TMPDIR:-/tmp}/vfsd-e2e-$daemon.XXXXXX") || bail "mktemp failed"
daemon_pid=
qemu_pid=

# PID and its descendants (a sandboxed daemon serves from a child).
process_tree() {
	local c
	echo "$1"
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		process_tree "$c"
	done
}

cleanup() {
	local pids
	# Only processes this script started, by pid.
	if [ -n "$qemu_pid" ]; then
		kill -KILL "$qemu_pid" 2>/dev/null
		wait "$qemu_pid" 2>/dev/null
	fi
	if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
		pids=$(process_tree "$daemon_pid")
		kill -TERM $pids 2>/dev/null
		sleep 0.5
		kill -KILL $pids 2>/dev/null
		wait "$daemon_pid" 2>/dev/null
	fi
	if [ -n "$keep" ]; then
		echo "# kept $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- guest kernel, program, initramfs --------------------------------------

mapfile -t kernel < <("$top/scripts/guest-kernel.sh") ||
	bail "scripts/guest-kernel.sh failed"
[ "${#kernel[@]}" -eq 8 ] || bail "scripts/guest-kernel.sh printed ${#kernel[@]} lines, expected 8"

if [ -n "$guest_bin" ]; then
	[ -x "$guest_bin" ] || bail "guest program $guest_bin not built"
else
	guest_bin=$work/e2e_ops
	${CC:-cc} -std=gnu11 -O2 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -Wall -Wextra \
		-static -o "$guest_bin" "$here"/guest/*.c >"$work/cc.log" 2>&1 ||
		{ diag_file "cc" "$work/cc.log"; bail "cannot build the static guest program"; }
fi

"$top/scripts/build-initramfs.sh" "$work/initrd.gz" "$guest_bin" "${kernel[@]:1}" ||
	bail "scripts/build-initramfs.sh failed"

# --- share and daemon ------------------------------------------------------

share=$work/share
sock=$work/vhost-fs.sock
mkdir -m 0755 "$share" || bail "mkdir $share"
"$guest_bin" host-prepare "$share" || bail "host-prepare failed"
# Checks whose expected answer depends on the peer read which one serves.
echo "$daemon" >"$share/host/daemon" || bail "cannot write $share/host/daemon"

case "$daemon" in
vfsd)
	"$daemon_bin" --socket-path="$sock" --shared-dir="$share" "${daemon_args[@]}" \
		</dev/null >"$work/daemon.log" 2>&1 &
	;;
virtiofsd)
	# Extended attributes are off in virtiofsd unless asked for; vfsd
	# has them on, so both serve the same operations.
	"$daemon_bin" --socket-path="$sock" -o source="$share" -o cache=auto \
		-o xattr "${daemon_args[@]}" </dev/null >"$work/daemon.log" 2>&1 &
	;;
esac
daemon_pid=$!

for _ in $(seq 100); do
	[ -S "$sock" ] && break
	kill -0 "$daemon_pid" 2>/dev/null || break
	sleep 0.1
done
[ -S "$sock" ] || bail "$daemon did not create $sock"

# Open fds of PID and its descendants (virtiofsd serves from a child).
count_fds() {
	local n c
	n=$(ls "/proc/$1/fd" 2>/dev/null | wc -l)
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		n=$((n + $(count_fds "$c")))
	done
	echo "$n"
}
sleep 0.2
fds_start=$(count_fds "$daemon_pid")

# --- boot ------------------------------------------------------------------

t0=$(date +%s)
"$top/scripts/boot-guest.sh" "${kernel[0]}" "$work/initrd.gz" "$sock" "$tag" test \
	</dev/null >"$work/serial.log" 2>"$work/qemu.err" &
qemu_pid=$!
qemu_rc=
fds_end=
end_polls=0
deadline=$((t0 + timeout_s))
while [ "$(date +%s)" -lt "$deadline" ]; do
	if ! kill -0 "$qemu_pid" 2>/dev/null; then
		wait "$qemu_pid"
		qemu_rc=$?
		qemu_pid=
		break
	fi
	# The guest unmounted and waits 3 s before powering off: after the
	# FORGETs and DESTROY of the unmount the daemon should hold no more
	# fds than it did before the guest came.
	if [ -z "$fds_end" ] && grep -q '=== VFSD-E2E END' "$work/serial.log"; then
		end_polls=$((end_polls + 1))
		[ "$end_polls" -lt 6 ] || fds_end=$(count_fds "$daemon_pid")
	fi
	sleep 0.2
done
if [ -z "$qemu_rc" ]; then
	echo "# guest still running after ${timeout_s} s: killed"
	kill -KILL "$qemu_pid" 2>/dev/null
	wait "$qemu_pid" 2>/dev/null
	qemu_pid=
	qemu_rc=124
fi
echo "# guest ran for $(($(date +%s) - t0)) s, qemu exit status $qemu_rc"

# The daemon should notice the closed vhost-user socket and exit by itself.
daemon_rc=
for _ in $(seq 100); do
	if ! kill -0 "$daemon_pid" 2>/dev/null; then
		wait "$daemon_pid"
		daemon_rc=$?
		daemon_pid=
		break
	fi
	sleep 0.1
done

# --- results ---------------------------------------------------------------

tr -d '\r' <"$work/serial.log" >"$work/serial.txt"
sed -n '/=== VFSD-E2E BEGIN/,/^=== VFSD-E2E END/p' "$work/serial.txt" >"$work/guest.txt"

tap_check "guest booted, mounted the share and shut down within ${timeout_s} s" \
	"qemu exit status $qemu_rc" \
	"$([ "$qemu_rc" -eq 0 ] && grep -q '^=== VFSD-E2E END' "$work/guest.txt"; echo $?)"

grep '^VFSD-E2E:' "$work/serial.txt" | sed 's/^/# guest: /'
oops='Kernel panic|BUG:|Oops|WARNING:|Call Trace|virtio_fs: .*(fail|error)'
tap_check "guest kernel logged no oops, warning or virtio-fs error" \
	"$(grep -Em1 "$oops" "$work/serial.txt")" \
	"$(! grep -Eq "$oops" "$work/serial.txt"; echo $?)"

guest_results=0
while IFS= read -r line; do
	case "$line" in
	"ok "*)
		guest_results=$((guest_results + 1))
		tap_ok "guest: ${line#ok * - }"
		;;
	"not ok "*)
		guest_results=$((guest_results + 1))
		tap_not_ok "guest: ${line#not ok * - }"
		;;
	"Bail out!"*)
		tap_not_ok "guest: ${line#Bail out! }"
		;;
	esac
done <"$work/guest.txt"

plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$work/guest.txt" | tail -n 1)
tap_check "guest: every check ran (plan ${plan:-missing}, $guest_results results)" \
	"the guest program did not finish" \
	"$([ -n "$plan" ] && [ "$plan" -eq "$guest_results" ] && [ "$plan" -gt 0 ]; echo $?)"
guest_rc=$(sed -n 's/^=== VFSD-E2E END rc=\([0-9]*\) ===$/\1/p' "$work/guest.txt")
tap_check "guest: test program and umount succeeded" "rc=${guest_rc:-none}" \
	"$([ "${guest_rc:-1}" = 0 ]; echo $?)"

if [ -d "$share/out" ]; then
	while IFS= read -r line; do
		case "$line" in
		"ok "*) tap_ok "${line#ok * - }" ;;
		"not ok "*) tap_not_ok "${line#not ok * - }" ;;
		esac
	done < <("$guest_bin" host-check "$share" 2>&1)
else
	tap_not_ok "host: share has no out/ directory from the guest"
fi

if [ -n "$daemon_rc" ]; then
	echo "# $daemon exited by itself with status $daemon_rc after QEMU went away"
	tap_check "daemon exited by itself with status 0 after QEMU went away" \
		"exit status $daemon_rc" "$([ "$daemon_rc" -eq 0 ]; echo $?)"
else
	echo "# $daemon was still running 10 s after QEMU went away"
	tap_not_ok "daemon exited by itself with status 0 after QEMU went away: still running after 10 s"
fi

echo "# $daemon open fds: $fds_start before the guest, ${fds_end:-unknown} after its umount"
tap_check "daemon released inode and file fds after the guest unmounted" \
	"$fds_start fds before the guest, ${fds_end:-unknown} after the umount" \
	"$([ -n "$fds_end" ] && [ "$fds_end" -le $((fds_start + 64)) ]; echo $?)"

san='ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|SUMMARY: UndefinedBehaviorSanitizer'
tap_check "daemon log has no sanitizer report" "see daemon log" \
	"$(! grep -Eq "$san" "$work/daemon.log"; echo $?)"

echo "1..$ntest"
if [ "$nfail" -ne 0 ]; then
	diag_file "daemon log" "$work/daemon.log" 60
	diag_file "qemu stderr" "$work/qemu.err" 20
	diag_file "serial log" "$work/serial.txt" 80
	echo "# $nfail of $ntest checks failed"
	exit 1
fi
echo "# all $ntest checks passed"
exit 0
