#!/bin/bash
# xfstests (../shared/suites/xfstests-*.tar.gz) against a filesystem, the
# results compared with the lists in this directory (compare.py):
#
#   vfsd            (default) two vfsd --fuse-mount shares, a test and a
#                   scratch one, mounted by xfstests itself through mount(8)
#                   and this build's mount.fuse.vfsd (FSTYP=fuse)
#   ext4            two loop-mounted ext4 images: the reference the lists
#                   are checked against (by hand, docs/design/xfstests.md)
#   passthrough_ll  libfuse's passthrough_ll (../shared/peers) over the
#                   same kind of shares: what any FUSE daemon gets
#   passthrough_hp  libfuse's passthrough_hp, with kernel FUSE passthrough
#                   of reads and writes (its default): what a FUSE daemon
#                   gets with passthrough, as vfsd's modcaps=+sys_admin
#
#   tests/xfstests/run-xfstests.sh --build-dir DIR [--target T]
#       [--helper PATH] [--daemon-log-dir DIR] [--summary FILE]
#       [--list FILE] [--keep-results DIR] [--src-dir DIR]
#       [TEST|-g GROUP...]
#
# The suite is unpacked and built once in --src-dir (default
# DIR/xfstests-src; make check's two builds share one) and kept for the
# next run; runs that share it must not overlap. Everything else happens in a private mount namespace: the mount
# helper is put in /sbin and the users xfstests wants (fsgqa, fsgqa2,
# 123456-fsgqa) are added to /etc through overlays there, so the host's
# /sbin and /etc are never written. The tests: those named, those in
# --list FILE (one a line, # comments), else -g quick. --keep-results: xfstests' results and output
# are copied to DIR. Prints TAP; a TAP SKIP (1..0) when the suite's tarball
# is missing.
set -u

here=$(cd "$(dirname "$0")" && pwd)
build=
target=vfsd
helper=
daemon_log_dir=
summary=
keep_results=
list=
src=
tests=()
while [ $# -gt 0 ]; do
	case "$1" in
	--build-dir) build=$2; shift ;;
	--target) target=$2; shift ;;
	--helper) helper=$2; shift ;;
	--daemon-log-dir) daemon_log_dir=$2; shift ;;
	--summary) summary=$2; shift ;;
	--keep-results) keep_results=$2; shift ;;
	--list) list=$2; shift ;;
	--src-dir) src=$2; shift ;;
	-g) tests+=(-g "$2"); shift ;;
	-*) echo "unknown option $1" >&2; exit 2 ;;
	*) tests+=("$1") ;;
	esac
	shift
done
# shellcheck source=../lib/runner.sh
. "$here/../lib/runner.sh"
# shellcheck source=../lib/mount_helper.sh
. "$here/../lib/mount_helper.sh"
# shellcheck source=../lib/xfstests.sh
. "$here/../lib/xfstests.sh"

[ -n "$build" ] || bail "need --build-dir"
build=$(mkdir -p "$build" && cd "$build" && pwd)
[ -z "$helper" ] || helper=$(readlink -f "$helper")
[ -z "$daemon_log_dir" ] || daemon_log_dir=$(mkdir -p "$daemon_log_dir" && cd "$daemon_log_dir" && pwd)
[ -z "$summary" ] || summary=$(readlink -f "$summary")
[ -z "$list" ] || list=$(readlink -f "$list")
[ -z "$keep_results" ] ||
	keep_results=$(mkdir -p "$keep_results" && cd "$keep_results" && pwd)
src=${src:-$build/xfstests-src}
src=$(mkdir -p "$src" && cd "$src" && pwd)

shared=$(cd "$here/../../.." && pwd)/shared
tarball=$(xfstests_tarball "$here/../..")
peer=$shared/peers/$target-3.18.2
[ -n "$tarball" ] || skip_all "no xfstests tarball in $shared/suites"
case "$target" in passthrough_*)
	[ -x "$peer" ] || skip_all "no $peer" ;;
esac
case "$target" in
vfsd) [ -f "$helper" ] || bail "--target vfsd needs --helper" ;;
ext4|passthrough_ll|passthrough_hp) ;;
*) bail "unknown target $target" ;;
esac

# --- a private mount namespace, then unpack and build once -------------------

helper_enter_ns --build-dir "$build" --target "$target" \
	${helper:+--helper "$helper"} \
	${daemon_log_dir:+--daemon-log-dir "$daemon_log_dir"} \
	${summary:+--summary "$summary"} ${list:+--list "$list"} \
	${keep_results:+--keep-results "$keep_results"} --src-dir "$src" \
	"${tests[@]}"

xfstests_build "$src" "$tarball" || { echo "1..$ntest"; exit 1; }

# --- helper, users, shares ---------------------------------------------------

# In the build directory: the images take 12 GiB, more than a /tmp may.
TMPDIR=$build runner_work xfstests
test_dev=
scratch_dev=
cleanup() {
	umount -l "$work/test" "$work/scratch" 2>/dev/null
	umount "$work/test-backing" "$work/scratch-backing" 2>/dev/null ||
		umount -l "$work/test-backing" "$work/scratch-backing" 2>/dev/null
	case "$test_dev $scratch_dev" in
	/dev/loop*) losetup -d $test_dev $scratch_dev 2>/dev/null ;;
	esac
}
chmod 0755 "$work"
mkdir -p "$work/test" "$work/scratch" "$work/results"

xfstests_users "$work"

# Every target works on two 6 GiB ext4 images: the shares of the FUSE
# targets live on them, so that a test filling its filesystem fills an
# image, never the host's.
truncate -s 6G "$work/test.img" "$work/scratch.img" &&
	mkfs.ext4 -q -F "$work/test.img" && mkfs.ext4 -q -F "$work/scratch.img"
check "two 6 GiB ext4 images" $?
backing() {
	mkdir -p "$work/$1-backing" &&
		mount -o loop "$work/$1.img" "$work/$1-backing" &&
		mkdir "$work/$1-backing/share" &&
		chmod 0755 "$work/$1-backing/share"
}

log_dir=${daemon_log_dir:-$work}
case "$target" in
vfsd)
	helper_install "$helper" "$work"
	check "mount.fuse.vfsd in /sbin (private namespace)" $?
	# Each mount appends to its share's log: start with empty ones.
	rm -f "$log_dir"/vfsd-test.log "$log_dir"/vfsd-scratch.log
	backing test && backing scratch
	check "the shares on the images" $?
	test_dev=vfsd_test
	scratch_dev=vfsd_scratch
	# subtype=: the type is plain "fuse", which FSTYP=fuse checks.
	# xattr: off by default (as in virtiofsd); without it xfstests skips
	# every xattr and ACL test. modcaps=+sys_admin: trusted.* xattrs,
	# which xfstests' root expects, are refused without CAP_SYS_ADMIN;
	# kept so, only their requests borrow it (docs/SECURITY.md).
	opts="subtype=,xattr,modcaps=+sys_admin"
	test_opts="-o source=$work/test-backing/share,$opts,logfile=$log_dir/vfsd-test.log"
	scratch_opts="-o source=$work/scratch-backing/share,$opts,logfile=$log_dir/vfsd-scratch.log"
	fstyp=fuse
	subtyp=.vfsd
	;;
passthrough_ll)
	sbin=$(readlink -f /sbin)
	ns_overlay "$sbin" "$work" &&
		printf '#!/bin/sh\nexec %s -ofsname="$@"\n' "$peer" \
			>"$sbin/mount.fuse.passthrough_ll" &&
		chmod 0755 "$sbin/mount.fuse.passthrough_ll"
	check "mount.fuse.passthrough_ll in /sbin (private namespace)" $?
	backing test && backing scratch
	check "the shares on the images" $?
	test_dev=pt_test
	scratch_dev=pt_scratch
	# xattr: passthrough_ll has them off unless asked, vfsd on.
	test_opts="-o source=$work/test-backing/share,allow_other,default_permissions,xattr"
	scratch_opts="-o source=$work/scratch-backing/share,allow_other,default_permissions,xattr"
	fstyp=fuse
	subtyp=.passthrough_ll
	;;
passthrough_hp)
	# passthrough_hp takes SOURCE MOUNTPOINT, not -o source=: the helper
	# takes source= out of the options mount(8) hands it. libfuse refuses
	# the atime options (so xfstests would not run generic/003): they are
	# flags of the mount point, set on it by a bind remount once mounted.
	sbin=$(readlink -f /sbin)
	ns_overlay "$sbin" "$work" &&
		cat >"$sbin/mount.fuse.passthrough_hp" <<-EOF &&
		#!/bin/bash
		dev=\$1 mnt=\$2 opts=
		shift 2
		while [ \$# -gt 0 ]; do [ "\$1" != -o ] || opts=\$2; shift; done
		src= rest= atime=
		IFS=, read -ra o <<<"\$opts"
		for x in "\${o[@]}"; do
			case \$x in
			source=*) src=\${x#source=} ;;
			*atime) atime=\$atime,\$x ;;
			*) rest=\$rest,\$x ;;
			esac
		done
		$peer -o "fsname=\$dev\$rest" "\$src" "\$mnt" || exit
		[ -z "\$atime" ] || mount -o "remount,bind\$atime" "\$mnt"
		EOF
		chmod 0755 "$sbin/mount.fuse.passthrough_hp"
	check "mount.fuse.passthrough_hp in /sbin (private namespace)" $?
	backing test && backing scratch
	check "the shares on the images" $?
	test_dev=hp_test
	scratch_dev=hp_scratch
	test_opts="-o source=$work/test-backing/share,allow_other,default_permissions"
	scratch_opts="-o source=$work/scratch-backing/share,allow_other,default_permissions"
	fstyp=fuse
	subtyp=.passthrough_hp
	;;
ext4)
	test_dev=$(losetup -f --show "$work/test.img") &&
		scratch_dev=$(losetup -f --show "$work/scratch.img")
	check "the images on two loop devices" $?
	test_opts=
	scratch_opts=
	fstyp=ext4
	subtyp=
	;;
esac

cat >"$src/local.config" <<EOF
export FSTYP=$fstyp
export FUSE_SUBTYP=$subtyp
export TEST_DEV=$test_dev
export TEST_DIR=$work/test
export SCRATCH_DEV=$scratch_dev
export SCRATCH_MNT=$work/scratch
export TEST_FS_MOUNT_OPTS="$test_opts"
export MOUNT_OPTIONS="$scratch_opts"
export RESULT_BASE=$work/results
EOF

# --- run ----------------------------------------------------------------------

if [ -n "$list" ]; then
	tests+=($(sed 's/#.*//' "$list"))
fi
[ ${#tests[@]} -gt 0 ] || tests=(-g quick)
start=$(date +%s)
(cd "$src" && ./check -R xunit "${tests[@]}") >"$work/check.out" 2>&1
check_rc=$?
elapsed=$(( $(date +%s) - start ))
[ -z "$keep_results" ] ||
	cp -a "$work/results" "$work/check.out" "$keep_results/"
sed 's/^/# /' "$work/check.out" | grep -E '^# (Ran|Not run|Failures|Failed|Passed)' | cut -c1-2000
xml=$(ls "$work"/results/*.xml "$work"/results/*/*.xml 2>/dev/null | head -n 1)
if [ -z "$xml" ]; then
	tail -n 40 "$work/check.out" | sed 's/^/# /'
	check "xfstests ran and wrote its report" 1 "check exited $check_rc"
	echo "1..$ntest"
	exit 1
fi

xfstests_compare "$xml" "$target" "$elapsed" "$summary"
compare_rc=$?
if [ "$target" = vfsd ]; then
	for l in "$log_dir"/vfsd-*.log; do
		check_sanitizer "$l" "$(basename "$l") has no sanitizer report"
	done
fi
echo "1..$ntest"
[ "$compare_rc" -eq 0 ] && [ "$nfail" -eq 0 ]
