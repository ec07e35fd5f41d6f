#!/bin/bash
# Build the end-to-end test initramfs (a gzip'd newc cpio archive).
#
#   scripts/build-initramfs.sh [--bin PATH]... [--file SRC:DEST]...
#                              OUT GUEST_BIN MODULE.ko...
#
# --bin PATH      a dynamically linked host program, copied to the same path
#                 in the guest with every library ldd lists for it
# --file SRC:DEST a file or directory copied to DEST in the guest
# OUT             the archive to write
# GUEST_BIN       static program copied to /bin/e2e_ops (tests/e2e/guest),
#                 or - for none (a guest that only runs --file's guest-run)
# MODULE.ko       plain kernel modules, in load order (scripts/guest-kernel.sh)
#
# The guest's /init mounts proc, sys and devtmpfs, loads the modules in
# order, mounts "-t virtiofs TAG /mnt" with TAG from vfsd.tag= on the
# kernel command line and, by vfsd.mode= (test, demo or run), runs
# "e2e_ops run /mnt", a short demo, or "/bin/guest-run /mnt" (a script a
# runner adds with --file). Output between the lines
# "=== VFSD-E2E BEGIN ... ===" and "=== VFSD-E2E END rc=N ===" goes to the
# serial console; then the guest powers off.
set -eu

die() {
	echo "build-initramfs.sh: $*" >&2
	exit 1
}

usage="usage: build-initramfs.sh [--bin PATH]... [--file SRC:DEST]... OUT GUEST_BIN MODULE.ko..."
bins=()
files=()
while [ $# -gt 0 ]; do
	case "$1" in
	--bin) bins+=("${2:?$usage}"); shift 2 ;;
	--file) files+=("${2:?$usage}"); shift 2 ;;
	--*) die "$usage" ;;
	*) break ;;
	esac
done
[ $# -ge 3 ] || die "$usage"
out=$1
guest_bin=$2
shift 2

[ "$guest_bin" = - ] || [ -x "$guest_bin" ] || die "$guest_bin is not an executable"
if ! [ -x /bin/busybox ]; then
	apt-get install -y busybox-static >&2 || die "cannot install busybox-static"
fi
# A dynamically linked busybox would need a libc in the guest.
if file -L /bin/busybox 2>/dev/null | grep -q 'dynamically linked'; then
	die "/bin/busybox is not static; install busybox-static"
fi

stage=$(mktemp -d "${TMPDIR:-/tmp}/vfsd-initramfs.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$stage"' EXIT INT TERM
# The stage dir becomes the guest's /, which the unprivileged user traverses.
chmod 0755 "$stage"

mkdir -p "$stage/bin" "$stage/sbin" "$stage/etc" "$stage/proc" "$stage/sys" \
	"$stage/dev" "$stage/mnt" "$stage/tmp" "$stage/root" "$stage/lib/modules" \
	"$stage/home/e2e"
cp /bin/busybox "$stage/bin/busybox"
for applet in $(/bin/busybox --list); do
	[ -e "$stage/bin/$applet" ] || ln -s busybox "$stage/bin/$applet"
done
if [ "$guest_bin" != - ]; then
	cp "$guest_bin" "$stage/bin/e2e_ops"
	chmod 0755 "$stage/bin/e2e_ops"
fi

# A host program and the libraries the host's loader would map for it.
# Paths are kept, so the guest's loader finds them where ldd found them.
copy_with_parents() {
	mkdir -p "$stage/$(dirname "$1")" || return 1
	cp -L "$1" "$stage/$1"
}
for b in "${bins[@]}"; do
	b=$(command -v "$b") || die "--bin: $b not found"
	copy_with_parents "$b" || die "cannot copy $b"
	libs=$(ldd "$b" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (0x.*/\1/p') ||
		die "ldd $b failed"
	for l in $libs; do
		[ -e "$stage/$l" ] || copy_with_parents "$l" || die "cannot copy $l for $b"
	done
done
for f in "${files[@]}"; do
	src=${f%%:*}
	dest=${f#*:}
	[ -e "$src" ] && [ -n "$dest" ] && [ "$src" != "$f" ] || die "--file $f: expected SRC:DEST"
	mkdir -p "$stage/$(dirname "$dest")" && cp -a "$src" "$stage/$dest" ||
		die "cannot copy $src to $dest"
done

: >"$stage/etc/modules-order"
for m in "$@"; do
	base=$(basename "$m")
	case "$base" in
	*.ko) ;;
	*) die "$m: expected a plain .ko module" ;;
	esac
	cp "$m" "$stage/lib/modules/$base"
	echo "${base%.ko}" >>"$stage/etc/modules-order"
done

# The non-root user the permission checks run as (uid/gid 1000).
cat >"$stage/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
e2e:x:1000:1000:e2e test user:/home/e2e:/bin/sh
PASSWD
cat >"$stage/etc/group" <<'GROUP'
root:x:0:
e2e:x:1000:
GROUP
chmod 1777 "$stage/tmp"

# The kernel opens /dev/console for init before devtmpfs is mounted.
mknod "$stage/dev/console" c 5 1 2>/dev/null || true

cat >"$stage/init" <<'INIT'
#!/bin/sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
export HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1

tag=
mode=test
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	vfsd.tag=*) tag=${arg#vfsd.tag=} ;;
	vfsd.mode=*) mode=${arg#vfsd.mode=} ;;
	esac
done

for m in $(cat /etc/modules-order); do
	insmod "/lib/modules/$m.ko" || echo "VFSD-E2E: insmod $m failed"
done

demo() {
	echo "--- guest \$ uname -sr"
	uname -sr
	echo "--- guest \$ ls -l /mnt /mnt/docs"
	ls -l /mnt /mnt/docs || return 1
	echo "--- guest \$ cat /mnt/hello.txt"
	cat /mnt/hello.txt || return 1
	echo "--- guest \$ echo 'Hello from the guest!' > /mnt/from-guest.txt"
	{
		echo "Hello from the guest!"
		echo "Written by $(uname -sr) over virtio-fs."
	} >/mnt/from-guest.txt || return 1
	echo "--- guest \$ ls -l /mnt/from-guest.txt"
	ls -l /mnt/from-guest.txt || return 1
}

echo
echo "=== VFSD-E2E BEGIN mode=$mode tag=$tag ==="
rc=1
mounted=
# The device may still be probing right after insmod.
for i in 1 2 3 4 5 6 7 8 9 10; do
	if mount -t virtiofs "$tag" /mnt; then
		mounted=1
		break
	fi
	sleep 0.5
done
if [ -z "$mounted" ]; then
	echo "VFSD-E2E: mount -t virtiofs $tag /mnt failed"
else
	case "$mode" in
	test) /bin/e2e_ops run /mnt; rc=$? ;;
	demo) demo; rc=$? ;;
	run) /bin/guest-run /mnt; rc=$? ;;
	*) echo "VFSD-E2E: unknown mode $mode" ;;
	esac
	cd /
	sync
	if ! umount /mnt; then
		echo "VFSD-E2E: umount /mnt failed"
		rc=1
	fi
fi
echo "=== VFSD-E2E END rc=$rc ==="
# The host counts the daemon's open fds now that the share is unmounted.
[ "$mode" != demo ] && sleep 3
poweroff -f
INIT
chmod 0755 "$stage/init"

tmp_out="$out.tmp.$$"
if command -v cpio >/dev/null; then
	cpio="cpio --quiet"
else
	cpio="/bin/busybox cpio"
fi
(cd "$stage" && find . -print | $cpio -o -H newc -R 0:0) | gzip -1 >"$tmp_out" ||
	die "cpio/gzip failed"
mv "$tmp_out" "$out"
