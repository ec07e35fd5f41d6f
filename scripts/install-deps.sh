#!/bin/bash
# Install the Debian packages that building and testing vfsd need, only those
# that are missing, so a second run costs nothing and needs no network.
set -eu

packages=(
	# build
	gcc libc6-dev meson ninja-build pkg-config libcmocka-dev
	# the sandbox: seccomp filter and capability sets
	libseccomp-dev libcap-ng-dev
	# FUSE over io_uring on the host mount (--fuse-mount)
	liburing-dev
	# end-to-end tests and the demo: a TCG guest, QEMU's virtiofsd as the
	# reference peer, busybox for the guest's userland
	qemu-system-x86 qemu-system-common busybox-static cpio kmod
	# tools the test scripts use
	python3 procps util-linux
	# make coverage: per-layer line coverage from the gcov counts
	gcovr
	# vfsd without root: newuidmap/newgidmap for --uid-map ranges, useradd
	uidmap passwd
	# real programs the guest runs on the share (tests/conformance/run-programs.sh)
	git stress-ng tar coreutils
	# the soak's guest workload (tests/soak): stress-ng above, and fio
	fio
	# install and packaging: the man page, the .deb (tests/setup/package.sh)
	help2man debhelper dpkg-dev fakeroot
	# vfsd check's tests (loop-mounted ext4 images), and the shares on
	# ext4, XFS and btrfs images of tests/fdlimit/run-fs.sh
	e2fsprogs mount xfsprogs btrfs-progs
	# the libvirt test: libvirtd and virtlogd started by hand, no systemd
	libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
	# xfstests (tests/xfstests): building it, then the tools its tests run
	make automake libtool-bin xfslibs-dev uuid-dev libacl1-dev libaio-dev
	libgdbm-dev libcap-dev liburing-dev
	xfsprogs attr acl gawk bc psmisc dbench
)

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]} (run as root to install)" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
