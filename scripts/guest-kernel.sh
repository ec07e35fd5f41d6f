#!/bin/sh
# Fetch the Debian guest kernel used by the end-to-end tests and print, one
# per line: the vmlinuz path, then the modules virtio-fs needs, in load order.
#
#   scripts/guest-kernel.sh [CACHE_DIR]
#
# The kernel package is the one linux-image-amd64 depends on. It is unpacked
# with dpkg-deb (never installed) into CACHE_DIR, which defaults to
# ${XDG_CACHE_HOME:-$HOME/.cache}/vfsd; only the kernel image and the few
# modules are kept. A second run reuses the cache and needs no network.
set -eu

MODULES="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci fuse virtiofs"

die() {
	echo "guest-kernel.sh: $*" >&2
	exit 1
}

cache=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/vfsd}
mkdir -p "$cache" || die "cannot create $cache"
kdir="$cache/kernel"
stamp="$kdir/.complete"

# Which linux-image-<version>-amd64 the meta package points at today.
resolve_pkg() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: *\(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1
}

# The module file for NAME under an extracted tree; the file name may use
# '-' where the module name has '_', and Debian may compress it.
find_module() {
	tree=$1 name=$2
	alt=$(echo "$name" | tr _ -)
	for n in "$name" "$alt"; do
		for ext in ko ko.xz ko.zst ko.gz; do
			f=$(find "$tree/lib/modules" -name "$n.$ext" -print -quit)
			[ -n "$f" ] && { echo "$f"; return 0; }
		done
	done
	return 1
}

# Copy module SRC to DST as a plain .ko: busybox insmod cannot decompress.
copy_module() {
	src=$1 dst=$2
	case "$src" in
	*.ko) cp "$src" "$dst" ;;
	*.ko.xz) xz -dc "$src" >"$dst" ;;
	*.ko.zst) zstd -qdc "$src" >"$dst" ;;
	*.ko.gz) gzip -dc "$src" >"$dst" ;;
	*) return 1 ;;
	esac
}

fetch() {
	pkg=$(resolve_pkg)
	if [ -z "$pkg" ]; then
		apt-get update >&2 || die "apt-get update failed"
		pkg=$(resolve_pkg)
	fi
	[ -n "$pkg" ] || die "cannot resolve the package linux-image-amd64 depends on"

	rm -rf "$kdir"
	mkdir -p "$kdir/modules"
	# A world-writable download dir lets apt fetch as its _apt user.
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/vfsd-kernel.XXXXXX") || die "mktemp failed"
	trap 'rm -rf "$tmp"' EXIT
	chmod 0777 "$tmp"
	(cd "$tmp" && apt-get download "$pkg" >&2) ||
		die "apt-get download $pkg failed"
	deb=$(ls "$tmp"/*.deb 2>/dev/null | head -n 1)
	[ -n "$deb" ] || die "no .deb downloaded for $pkg"
	dpkg-deb -x "$deb" "$tmp/root" || die "dpkg-deb -x $deb failed"

	vm=$(ls "$tmp"/root/boot/vmlinuz-* 2>/dev/null | head -n 1)
	[ -n "$vm" ] || die "no vmlinuz in $pkg"
	cp "$vm" "$kdir/vmlinuz" || die "cannot copy $vm"
	for m in $MODULES; do
		f=$(find_module "$tmp/root" "$m") || die "module $m not found in $pkg"
		copy_module "$f" "$kdir/modules/$m.ko" || die "cannot unpack $f"
	done
	rm -rf "$tmp"
	trap - EXIT
	echo "$pkg" >"$stamp"
}

# Concurrent first runs (parallel test jobs) must not unpack over each other.
if command -v flock >/dev/null; then
	exec 9>"$cache/.kernel.lock"
	flock 9 || die "cannot lock $cache/.kernel.lock"
fi
[ -f "$stamp" ] || fetch

echo "$kdir/vmlinuz"
for m in $MODULES; do
	[ -s "$kdir/modules/$m.ko" ] || die "cache incomplete: $m.ko missing (remove $kdir)"
	echo "$kdir/modules/$m.ko"
done
