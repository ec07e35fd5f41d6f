#!/bin/bash
# The Debian package: `dpkg-buildpackage -us -uc -b` on a copy of the
# source tree builds a .deb, which installs (dpkg -i) in a private mount
# namespace with overlays on /usr, /etc and /var, so the host keeps no
# trace; the installed files are then checked. Prints TAP; a TAP SKIP (1..0)
# without root or the packaging tools (scripts/install-deps.sh has them).
#
#   tests/setup/package.sh SOURCE_DIR
set -u

# shellcheck source=../lib/runner.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/runner.sh"

src=${1:?usage: package.sh SOURCE_DIR}
src=$(cd "$src" && pwd)

need_root
need_cmd dpkg-buildpackage dh help2man
runner_private_ns "$@"

runner_work package
cleanup() { umount -l /var /etc /usr 2>/dev/null; }

# run NAME CMD...: a check that CMD succeeds; its output's tail if not.
run() {
	local name=$1 rc
	shift
	"$@" >"$work/out" 2>&1
	rc=$?
	check "$name" "$rc"
	[ "$rc" -eq 0 ] || sed 's/^/# /' "$work/out" | tail -n 30
}

# dpkg-buildpackage writes next to the tree and cleans inside it: a copy
# keeps the working tree (and its build directories) out of its way.
mkdir "$work/src"
tar -C "$src" --exclude='./build*' --exclude=./.git --exclude=./.cache \
	--exclude=./tests/e2e/work -c . | tar -x -C "$work/src" ||
	bail "cannot copy the source tree"
build_deb() {
	cd "$work/src" &&
		DEB_BUILD_OPTIONS="parallel=$(nproc) nocheck noddebs" \
			dpkg-buildpackage -us -uc -b
}
run "dpkg-buildpackage -us -uc -b builds vfsd_*.deb" build_deb
deb=$(ls "$work"/vfsd_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || bail "no .deb"

for d in etc usr var; do
	mkdir -p "$work/ov/$d.upper" "$work/ov/$d.work"
	mount -t overlay overlay -o "lowerdir=/$d,upperdir=$work/ov/$d.upper,workdir=$work/ov/$d.work" "/$d" ||
		bail "cannot overlay /$d"
done
run "dpkg -i installs it" dpkg -i "$deb"
run "dpkg -s: status installed" sh -c 'dpkg -s vfsd | grep -qx "Status: install ok installed"'
run "/usr/libexec/vfsd --version runs" sh -c '/usr/libexec/vfsd --version | grep -q "^vfsd "'
json=/usr/share/qemu/vhost-user/60-vfsd.json
run "discovery file names the installed binary, type fs" \
	sh -c "grep -q '\"binary\": \"/usr/libexec/vfsd\"' $json && grep -q '\"type\": \"fs\"' $json"
run "discovery file lists the features, as virtiofsd's does (migrate-precopy, separate-options)" \
	sh -c "tr -d ' \n' <$json | grep -q '\"features\":\[\"migrate-precopy\",\"separate-options\"\]'"
run "vfsd(1) names the defaults file /etc/vfsd/defaults.conf" \
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
run "discovery file sorts after 50-qemu-virtiofsd.json" sorts_after_virtiofsd
run "vfsd(1) installed, made from --help" \
	sh -c 'zcat /usr/share/man/man1/vfsd.1.gz | grep -q -- "--shared-dir" &&
	       zcat /usr/share/man/man1/vfsd.1.gz | grep -q "10-vfsd.json"'
run "vfsd@.service runs the installed binary on /run/vfsd" \
	sh -c 'grep -q "^ExecStart=/usr/libexec/vfsd --socket-path=/run/vfsd/%i.sock" \
		$(dpkg -L vfsd | grep "/vfsd@.service$")'
run "mount -t fuse.vfsd finds /sbin/mount.fuse.vfsd, which starts the installed binary" \
	sh -c 'dpkg -L vfsd | grep -qx /sbin/mount.fuse.vfsd &&
	       [ -x /sbin/mount.fuse.vfsd ] &&
	       grep -qx "vfsd=/usr/libexec/vfsd" /sbin/mount.fuse.vfsd'
if command -v systemd-analyze >/dev/null; then
	unit=$(dpkg -L vfsd | grep '/vfsd@.service$')
	verify_unit() {
		cp "$unit" "$work/vfsd@share1.service" &&
			systemd-analyze verify --man=no "$work/vfsd@share1.service"
	}
	run "systemd-analyze verify vfsd@share1.service" verify_unit
fi
echo "1..$ntest"
echo "# $((ntest - nfail)) of $ntest passed"
[ "$nfail" -eq 0 ]
