#!/bin/bash
# Demo: share a small directory with a throwaway QEMU guest through vfsd.
# The guest mounts it over virtio-fs, lists it, reads a file and writes one
# back; the script shows what the guest printed and the written file as the
# host sees it. Exits 0 only if all of that worked.
#
#   scripts/demo.sh [BUILD_DIR]      (default: build)
set -u

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-build}
case "$build" in
/*) ;;
*) build=$top/$build ;;
esac
vfsd=$build/src/cli/vfsd
guest_bin=$build/tests/e2e/e2e_ops
tag="vfsd-demo"
timeout_s=120

die() {
	echo "demo: $*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "run as root (vfsd serves the share as root)"
[ -x "$vfsd" ] || die "$vfsd not found; build first (make build)"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not installed"

work=$(mktemp -d "${TMPDIR:-/tmp}/vfsd-demo.XXXXXX") || die "mktemp failed"
vfsd_pid=
qemu_pid=
# PID and its descendants (the sandboxed vfsd serves from a child).
process_tree() {
	local c
	echo "$1"
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		process_tree "$c"
	done
}

cleanup() {
	local pids
	if [ -n "$qemu_pid" ]; then
		kill -KILL "$qemu_pid" 2>/dev/null
		wait "$qemu_pid" 2>/dev/null
	fi
	if [ -n "$vfsd_pid" ] && kill -0 "$vfsd_pid" 2>/dev/null; then
		pids=$(process_tree "$vfsd_pid")
		kill -TERM $pids 2>/dev/null
		sleep 0.5
		kill -KILL $pids 2>/dev/null
		wait "$vfsd_pid" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

section() {
	if [ -t 1 ]; then
		printf '\n\033[1m== %s ==\033[0m\n' "$*"
	else
		printf '\n== %s ==\n' "$*"
	fi
}

section "preparing the guest kernel and initramfs"
mapfile -t kernel < <("$top/scripts/guest-kernel.sh") || die "guest kernel unavailable"
[ "${#kernel[@]}" -eq 8 ] || die "scripts/guest-kernel.sh failed"
echo "kernel: ${kernel[0]}"
if ! [ -x "$guest_bin" ]; then
	guest_bin=$work/e2e_ops
	${CC:-cc} -std=gnu11 -O2 -D_GNU_SOURCE -static -o "$guest_bin" \
		"$top"/tests/e2e/guest/*.c || die "cannot build the guest program"
fi
"$top/scripts/build-initramfs.sh" "$work/initrd.gz" "$guest_bin" "${kernel[@]:1}" ||
	die "initramfs build failed"

share=$work/demo-share
mkdir -m 0755 "$share" "$share/docs" || die "mkdir failed"
printf 'Hello from the host!\nThis file lives in %s.\n' "$share" >"$share/hello.txt"
printf '# Notes\n\nvfsd serves this directory to the guest over virtio-fs.\n' \
	>"$share/docs/notes.md"
section "host: sharing $share"
ls -ln "$share"

section "starting vfsd"
"$vfsd" --socket-path="$work/vfsd.sock" --shared-dir="$share" \
	</dev/null >"$work/vfsd.log" 2>&1 &
vfsd_pid=$!
for _ in $(seq 100); do
	[ -S "$work/vfsd.sock" ] && break
	kill -0 "$vfsd_pid" 2>/dev/null || break
	sleep 0.1
done
[ -S "$work/vfsd.sock" ] || { cat "$work/vfsd.log" >&2; die "vfsd did not start"; }
echo "$vfsd --socket-path=$work/vfsd.sock --shared-dir=$share (pid $vfsd_pid)"

section "booting a guest (QEMU, TCG; this takes a few seconds)"
"$top/scripts/boot-guest.sh" "${kernel[0]}" "$work/initrd.gz" "$work/vfsd.sock" "$tag" demo \
	</dev/null >"$work/serial.log" 2>"$work/qemu.err" &
qemu_pid=$!
qemu_rc=
for _ in $(seq $((timeout_s * 5))); do
	if ! kill -0 "$qemu_pid" 2>/dev/null; then
		wait "$qemu_pid"
		qemu_rc=$?
		qemu_pid=
		break
	fi
	sleep 0.2
done
[ -n "$qemu_rc" ] || echo "guest did not finish within $timeout_s s"

section "guest: serial console"
tr -d '\r' <"$work/serial.log" |
	sed -n '/=== VFSD-E2E BEGIN/,/^=== VFSD-E2E END/p' |
	sed -e '/=== VFSD-E2E/d' -e 's/^/  /'

vfsd_rc=
for _ in $(seq 50); do
	if ! kill -0 "$vfsd_pid" 2>/dev/null; then
		wait "$vfsd_pid"
		vfsd_rc=$?
		vfsd_pid=
		break
	fi
	sleep 0.1
done

section "host: the file the guest wrote"
ok=1
if [ -f "$share/from-guest.txt" ]; then
	ls -ln "$share/from-guest.txt"
	sed 's/^/  /' "$share/from-guest.txt"
	grep -q '^Hello from the guest!$' "$share/from-guest.txt" || ok=
else
	echo "(missing: $share/from-guest.txt)"
	ok=
fi

guest_rc=$(tr -d '\r' <"$work/serial.log" | sed -n 's/^=== VFSD-E2E END rc=\([0-9]*\) ===$/\1/p')
[ "${guest_rc:-1}" = 0 ] || ok=
[ "${qemu_rc:-1}" = 0 ] || ok=
section "result"
echo "guest exit: ${guest_rc:-none}, qemu: ${qemu_rc:-killed}, vfsd: ${vfsd_rc:-still running}"
[ "${vfsd_rc:-1}" = 0 ] || ok=
if [ -z "$ok" ]; then
	echo "demo FAILED; vfsd log:"
	sed 's/^/  /' "$work/vfsd.log"
	tail -n 30 "$work/qemu.err" "$work/serial.log" 2>/dev/null | tr -d '\r'
	exit 1
fi
echo "demo OK"
