#!/bin/bash
# `vfsd check` against real setups made here: loop-mounted ext4 images
# mounted with and without nosuid,nodev, parents with good and bad owners
# and modes, a full file system, one without free inodes, a share that is
# not a mount point, system directories. Runs in a private mount namespace
# with a tmpfs on /mnt, so nothing stays mounted on the host. Prints TAP;
# a TAP SKIP (1..0) without root, mkfs.ext4 or loop devices.
#
#   tests/setup/check.sh VFSD
set -u

# shellcheck source=../lib/runner.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/runner.sh"

vfsd=${1:?usage: check.sh VFSD}
vfsd=$(cd "$(dirname "$vfsd")" && pwd)/$(basename "$vfsd")

need_root
need_cmd mkfs.ext4
runner_private_ns "$@"

runner_work check
img=$work
cleanup() { umount -R /mnt 2>/dev/null; }
mount -t tmpfs -o mode=0755 tmpfs /mnt ||
	skip_all "cannot mount a tmpfs on /mnt"
# / itself must pass the parent checks for the good case to be all-pass.
[ "$(stat -c %u:%a /)" = 0:755 ] || skip_all "/ is not root-owned 0755 here"

out=$img/out

# expect NAME STATUS [GREP_PATTERN...] -- VFSD_CHECK_ARGS...
expect() {
	name=$1 want=$2
	shift 2
	pats=()
	while [ "$1" != -- ]; do
		pats+=("$1")
		shift
	done
	shift
	"$vfsd" check "$@" >"$out" 2>&1
	rc=$?
	bad=
	[ "$rc" -eq "$want" ] || bad="exit status $rc, expected $want"
	for p in "${pats[@]}"; do
		grep -qE -- "$p" "$out" || bad="${bad:+$bad; }no line matching '$p'"
	done
	check "$name" "$([ -z "$bad" ]; echo $?)" "$bad"
	[ -z "$bad" ] || sed 's/^/# /' "$out"
}

# mkimage NAME SIZE_MB [mkfs options...]: an ext4 image file.
mkimage() {
	name=$1 size=$2
	shift 2
	truncate -s "${size}M" "$img/$name.img" &&
		mkfs.ext4 -q -F "$@" "$img/$name.img"
}

mkimage good 64 || bail "mkfs.ext4 failed"
mkimage tiny 8 -m 0 -N 32 || bail "mkfs.ext4 failed"

# The recommended setup: a dedicated ext4, nosuid,nodev, parent 0700.
mkdir -m 0700 /mnt/good
mkdir /mnt/good/share
mount -o loop,nosuid,nodev "$img/good.img" /mnt/good/share ||
	skip_all "cannot loop-mount an ext4 image"
expect "good setup: all pass, exit 0" 0 \
	'^PASS  share +/mnt/good/share$' \
	'^PASS  parents +every parent' \
	'^PASS  parent-mode +/mnt/good is mode 0700' \
	'^PASS  filesystem +/mnt/good/share is a mount point \(ext4 on /dev/loop' \
	'^PASS  mount-options +/mnt/good/share is mounted nosuid,nodev' \
	'^PASS  space' '^PASS  inodes' \
	'^PASS  inode-fds +at most [0-9]+ inode fds; closed ones reopen by file handle \(/mnt/good/share is the root' \
	'^PASS  memory +/mnt/good/share has .* free for guest RAM of 16.0 MiB' \
	'^summary: 9 pass, 0 warn, 0 fail$' \
	-- --shared-dir /mnt/good/share --memory 16M --memory-dir /mnt/good/share
umount /mnt/good/share

# The same image without nosuid,nodev, under a 0755 parent.
mkdir -m 0755 /mnt/open
mkdir /mnt/open/share
mount -o loop "$img/good.img" /mnt/open/share
expect "mounted without nosuid,nodev, parent 0755: warnings, exit 1" 1 \
	'^WARN  mount-options +/mnt/open/share is mounted without nosuid,nodev' \
	'fix: +mount -o remount,nosuid,nodev /mnt/open/share$' \
	'^WARN  parent-mode +/mnt/open is mode 0755' \
	'fix: +start vfsd with --nosuid --nodev' \
	'^PASS  filesystem' '^SKIP  memory' \
	-- --shared-dir /mnt/open/share
mount -o remount,nodev /mnt/open/share
expect "mounted nodev only: names the missing nosuid" 1 \
	'^WARN  mount-options +/mnt/open/share is mounted without nosuid:' \
	-- --shared-dir /mnt/open/share
umount /mnt/open/share

# Not a file system of its own: the check names the fstab line to add.
mkdir -m 0700 /mnt/plain
mkdir "/mnt/plain/my share"
expect "share that is not a mount point: warning with an fstab line" 1 \
	'^WARN  filesystem +/mnt/plain/my share is not a mount point: it is on /mnt \(tmpfs\)' \
	'fix: +/dev/DEVICE /mnt/plain/my\\040share ext4 nosuid,nodev 0 2$' \
	'^WARN  mount-options +/mnt is mounted without nosuid,nodev' \
	'fix: +start vfsd with --nosuid --nodev' \
	'^PASS  inode-fds +at most [0-9]+ inode fds; closed ones reopen by name, no capability needed \(a file handle could reach past' \
	-- --shared-dir "/mnt/plain/my share"

# An overlay without nfs_export opens no handles: names, told apart by
# AT_HANDLE_FID ids. A filesystem with no ids at all (mqueue) keeps one fd
# per inode, and says what to do.
mkdir -m 0700 /mnt/ov /mnt/ov/lower /mnt/ov/upper /mnt/ov/work /mnt/ov/share
if mount -t overlay -o lowerdir=/mnt/ov/lower,upperdir=/mnt/ov/upper,workdir=/mnt/ov/work,nfs_export=off \
	vfsd-check /mnt/ov/share 2>/dev/null; then
	expect "overlay without nfs_export: reopened by name" 1 \
		'^PASS  inode-fds +.* reopen by name, no capability needed \(no file handles to open; files told apart by AT_HANDLE_FID ids\)' \
		-- --shared-dir /mnt/ov/share
	umount /mnt/ov/share
else
	skip "overlay without nfs_export" "overlayfs cannot be mounted here"
fi
mkdir -m 0700 /mnt/mq /mnt/mq/share
mount -t mqueue vfsd-check /mnt/mq/share ||
	bail "cannot mount an mqueue filesystem"
expect "a filesystem without file ids: one fd per inode, warning" 1 \
	'^WARN  inode-fds +/mnt/mq/share \(mqueue\) gives no file ids: one fd per inode' \
	'fix: +share a filesystem with file handles' \
	-- --shared-dir /mnt/mq/share
umount /mnt/mq/share

# Parents a user could swap the share through.
mkdir -m 0700 /mnt/user /mnt/user/p
chown 1000:1000 /mnt/user
mkdir /mnt/user/p/share
expect "parent owned by a user: failure, exit 2" 2 \
	'^FAIL  parents +/mnt/user is owned by uid 1000' \
	'fix: +move the share out from under /mnt/user, e.g. to /srv/vfsd/NAME$' \
	-- --shared-dir /mnt/user/p/share
mkdir -m 0777 /mnt/world
mkdir -m 0700 /mnt/world/p
mkdir /mnt/world/p/share
expect "world-writable parent: failure" 2 \
	'^FAIL  parents +/mnt/world is writable by everyone$' \
	-- --shared-dir /mnt/world/p/share
chmod 1777 /mnt/world
expect "sticky world-writable parent: warning" 1 \
	'^WARN  parents +/mnt/world is writable by everyone \(sticky\)' \
	-- --shared-dir /mnt/world/p/share

# A file system the guest has filled, in space and then in inodes.
mkdir -m 0700 /mnt/tiny
mkdir /mnt/tiny/share
mount -o loop,nosuid,nodev "$img/tiny.img" /mnt/tiny/share
# ext4 reserves room for delayed allocation: fill again after a sync.
for f in fill fill2 fill3; do
	dd if=/dev/zero of="/mnt/tiny/share/$f" bs=4k 2>/dev/null
	sync
done
expect "full file system: failure" 2 \
	'^FAIL  space +/mnt/tiny/share is full' \
	-- --shared-dir /mnt/tiny/share
rm /mnt/tiny/share/fill*
i=0
while touch "/mnt/tiny/share/f$i" 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -lt 1000 ] || break
done
expect "no free inodes: failure" 2 \
	'^FAIL  inodes +/mnt/tiny/share has no free inodes' '^PASS  space' \
	-- --shared-dir /mnt/tiny/share
expect "memory backing directory too small for the guest RAM" 2 \
	'^FAIL  memory +/mnt/tiny/share has .* free for file-backed guest RAM of 1.0 TiB' \
	"fix: +or use <source type='memfd'/>" \
	-- --shared-dir /mnt/good --memory 1T --memory-dir /mnt/tiny/share
umount /mnt/tiny/share

# No fix may change anything outside the share's own mount: not a parent
# (chmod, chown), not the host's root file system (remount).
"$vfsd" check --shared-dir "/mnt/plain/my share" >"$img/all" 2>&1
"$vfsd" check --shared-dir /mnt/user/p/share >>"$img/all" 2>&1
"$vfsd" check --shared-dir /mnt/world/p/share >>"$img/all" 2>&1
! grep -E 'fix: .*(chmod|chown|remount.* /mnt$|remount.* /$)' "$img/all" >"$img/bad"
check "no fix changes a parent or the host's file system" $?
sed 's/^/# /' "$img/bad"

expect "system directory: failure" 2 \
	'^FAIL  share +/etc is a system directory' \
	-- --shared-dir /etc/../etc
expect "missing directory: failure with the mkdir to run" 2 \
	'^FAIL  share +/mnt/none: No such file or directory' \
	'fix: +mkdir -p /mnt/none$' '^summary: 0 pass, 0 warn, 1 fail$' \
	-- --shared-dir /mnt/none

echo "1..$ntest"
echo "# $((ntest - nfail)) of $ntest passed"
[ "$nfail" -eq 0 ]
