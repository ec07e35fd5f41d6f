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
exec qemu-system-x86_64 \
	-accel tcg -cpu max -smp 1 -m 512M \
	-object memory-backend-memfd,id=mem,size=512M,share=on \
	-numa node,memdev=mem \
	-chardev socket,id=c0,path="$sock" \
	-device vhost-user-fs-pci,chardev=c0,tag="$tag" \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 quiet loglevel=4 panic=-1 no_timer_check vfsd.tag=$tag vfsd.mode=$mode" \
	-nographic -no-reboot -net none
