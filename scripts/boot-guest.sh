#!/bin/sh
# Boot the end-to-end test guest under QEMU (TCG) with a vhost-user-fs
# device on SOCKET; the serial console goes to stdout. The process becomes
# QEMU itself (exec), so the caller can time it out and kill it by pid.
#
#   scripts/boot-guest.sh KERNEL INITRD SOCKET TAG MODE
#
# MODE is passed to the guest's /init (see scripts/build-initramfs.sh):
# "test" runs the guest checks, "demo" lists, reads and writes the share.
set -eu

[ $# -eq 5 ] || {
	echo "usage: boot-guest.sh KERNEL INITRD SOCKET TAG MODE" >&2
	exit 2
}
kernel=$1 initrd=$2 sock=$3 tag=$4 mode=$5

# vhost-user needs the guest RAM in a shareable memfd; -no-reboot turns the
# guest's poweroff (or a panic, with panic=-1) into QEMU exiting.
# no_timer_check: on a loaded host the TCG guest's boot-time check of the
# IO-APIC timer can miss its ticks and panic ("IO-APIC + timer doesn't
# work!").
# maxcpus=2 with one vCPU: QEMU before 8.0 drops the guest's memory barriers
# from TCG code when the machine can only ever have one CPU (upstream fix
# "tcg: Do not elide memory barriers for !CF_PARALLEL", March 2023). The
# guest's virtio_mb() between writing used_event and reading used->idx is
# then no barrier at all, and now and then the guest and the daemon each
# miss the other's update: an interrupt or a kick is lost and the guest
# waits forever (seen as an unmount stuck in virtio_fs_drain_queue).
# VFSD_QEMU_MONITOR=PATH adds a monitor socket for looking at a stuck guest
# (info virtio-status, sendkey alt-sysrq-w). VFSD_QEMU=BIN boots another
# QEMU than the one on PATH, and VFSD_QEMU_EXTRA adds arguments (split at
# spaces): the migration test's QMP socket and -incoming.
# shellcheck disable=SC2086
exec "${VFSD_QEMU:-qemu-system-x86_64}" \
	-accel tcg -cpu max -smp 1,maxcpus=2 -m 512M \
	-object memory-backend-memfd,id=mem,size=512M,share=on \
	-numa node,memdev=mem \
	-chardev socket,id=c0,path="$sock" \
	-device vhost-user-fs-pci,chardev=c0,tag="$tag" \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 quiet loglevel=4 panic=-1 no_timer_check vfsd.tag=$tag vfsd.mode=$mode sysrq_always_enabled" \
	-nographic -no-reboot -net none \
	${VFSD_QEMU_MONITOR:+-monitor unix:$VFSD_QEMU_MONITOR,server,nowait} \
	${VFSD_QEMU_EXTRA:-}
