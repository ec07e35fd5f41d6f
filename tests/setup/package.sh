#!/bin/bash
# The Debian package: `dpkg-buildpackage -us -uc -b` on a copy of the
# source tree builds a .deb, which installs (dpkg -i) in a private mount
# namespace with overlays on /usr, /etc and /var, so the host keeps no
# trace; the installed files are then checked. Prints TAP; a TAP SKIP (1..0)
# without root or the packaging tools (scripts/install-deps.sh has them).
#
#   tests/setup/package.sh SOURCE_DIR
set -u

src=${1:?usage: package.sh SOURCE_DIR}
src=$(cd "$src" && pwd)

skip() {
	echo "1..0 # SKIP $*"
	exit 0
}

[ "$(id -u)" -eq 0 ] || skip "needs root"
for c in dpkg-buildpackage dh help2man unshare; do
	command -v "$c" >/dev/null || skip "$c not installed"
done
if [ -z "${VFSD_PACKAGE_NS:-}" ]; then
	VFSD_PACKAGE_NS=1 exec unshare --mount --propagation private \
		"${BASH_SOURCE[0]}" "$@"
	skip "unshare failed"
fi

work=$(mktemp -d /tmp/vfsd-package.XXXXXX) || exit 1
cleanup() {
	umount -l /var /etc /usr 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

n=0
failed=0
check() {
	name=$1
	shift
	n=$((n + 1))
	if "$@" >"$work/out" 2>&1; then
		echo "ok $n - $name"
	else
		failed=$((failed + 1))
		echo "not ok $n - $name"
		sed 's/^/# /' "$work/out" | tail -n 30
	fi
}

# dpkg-buildpackage writes next to the tree and cleans inside it: a copy
# keeps the working tree (and its build directories) out of its way.
mkdir "$work/src"
tar -C "$src" --exclude='./build*' --exclude=./.git --exclude=./.cache \
	--exclude=./tests/e2e/work -c . | tar -x -C "$work/src" || exit 1
build_deb() {
	cd "$work/src" &&
		DEB_BUILD_OPTIONS="parallel=$(nproc) nocheck noddebs" \
			dpkg-buildpackage -us -uc -b
}
check "dpkg-buildpackage -us -uc -b builds vfsd_*.deb" build_deb
deb=$(ls "$work"/vfsd_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || { echo "Bail out! no .deb"; exit 1; }

for d in etc usr var; do
	mkdir -p "$work/ov/$d.upper" "$work/ov/$d.work"
	mount -t overlay overlay -o "lowerdir=/$d,upperdir=$work/ov/$d.upper,workdir=$work/ov/$d.work" "/$d" ||
		{ echo "Bail out! cannot overlay /$d"; exit 1; }
done
check "dpkg -i installs it" dpkg -i "$deb"
check "dpkg -s: status installed" sh -c 'dpkg -s vfsd | grep -qx "Status: install ok installed"'
check "/usr/libexec/vfsd --version runs" sh -c '/usr/libexec/vfsd --version | grep -q "^vfsd "'
json=/usr/share/qemu/vhost-user/60-vfsd.json
check "discovery file names the installed binary, type fs" \
	sh -c "grep -q '\"binary\": \"/usr/libexec/vfsd\"' $json && grep -q '\"type\": \"fs\"' $json"
check "discovery file lists the features, as virtiofsd's does (migrate-precopy, separate-options)" \
	sh -c "tr -d ' \n' <$json | grep -q '\"features\":\[\"migrate-precopy\",\"separate-options\"\]'"
check "vfsd(1) names the defaults file /etc/vfsd/defaults.conf" \
	sh -c 'zcat /usr/share/man/man1/vfsd.1.gz | grep -q "/etc/vfsd/defaults.conf"' 
# libvirt takes the first "fs" file by name: a distribution's virtiofsd
# (50-qemu-virtiofsd.json) keeps coming first unless the user says otherwise.
first_fs() {
	for f in $(ls /usr/share/qemu/vhost-user/*.json | sort); do
		grep -q '"type": *"fs"' "$f" && { basename "$f"; return; }
	done
}
sorts_after_virtiofsd() {
	[[ 60-vfsd.json > 50-qemu-virtiofsd.json ]] || return 1
	[ ! -e /usr/share/qemu/vhost-user/50-qemu-virtiofsd.json ] ||
		[ "$(first_fs)" = 50-qemu-virtiofsd.json ]
}
check "discovery file sorts after 50-qemu-virtiofsd.json" sorts_after_virtiofsd
check "vfsd(1) installed, made from --help" \
	sh -c 'zcat /usr/share/man/man1/vfsd.1.gz | grep -q -- "--shared-dir" &&
	       zcat /usr/share/man/man1/vfsd.1.gz | grep -q "10-vfsd.json"'
check "vfsd@.service runs the installed binary on /run/vfsd" \
	sh -c 'grep -q "^ExecStart=/usr/libexec/vfsd --socket-path=/run/vfsd/%i.sock" \
		$(dpkg -L vfsd | grep "/vfsd@.service$")'
check "mount -t fuse.vfsd finds /sbin/mount.fuse.vfsd, which starts the installed binary" \
	sh -c 'dpkg -L vfsd | grep -qx /sbin/mount.fuse.vfsd &&
	       [ -x /sbin/mount.fuse.vfsd ] &&
	       grep -qx "vfsd=/usr/libexec/vfsd" /sbin/mount.fuse.vfsd'
if command -v systemd-analyze >/dev/null; then
	unit=$(dpkg -L vfsd | grep '/vfsd@.service$')
	verify_unit() {
		cp "$unit" "$work/vfsd@share1.service" &&
			systemd-analyze verify --man=no "$work/vfsd@share1.service"
	}
	check "systemd-analyze verify vfsd@share1.service" verify_unit
fi
echo "1..$n"
echo "# $((n - failed)) of $n passed"
[ "$failed" -eq 0 ]
