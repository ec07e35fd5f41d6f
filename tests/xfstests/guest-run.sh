#!/bin/sh
# The guest side of run-xfstests-guest.sh: /bin/guest-run in the initramfs
# (scripts/build-initramfs.sh, vfsd.mode=run), a busybox script. ROOT is the
# host's / as the guest mounted it (tag hostroot, a vfsd --readonly); the
# share under test is the second virtio-fs device, which xfstests mounts
# itself (FSTYP=virtiofs, TEST_DEV=its tag). /etc/xfstests.env (from the
# host) sets XFSTESTS_SRC (the built suite, a host path), XFSTESTS_TESTS
# and XFSTESTS_TAG.
#
#   guest-run ROOT
#
# Runs ./check in a chroot into ROOT, with the guest's own proc, sysfs,
# devtmpfs and tmpfs over every directory xfstests writes to (/tmp, where
# the results go, /var/tmp, /run, /mnt), the suite bound at /mnt/xfstests,
# then prints check's summary as
# "XFSTESTS-OUT: " lines and its xunit report, gzip'd and base64'd, as
# "XFSTESTS-XML: " lines; the host decodes them. Exits 0 when the report
# was printed and everything was unmounted again.
set -u
root=$1
. /etc/xfstests.env

# guest_mount TYPE DIR [OPTIONS]: DIR under ROOT, unmounted at the end.
mounted=
guest_mount() {
	mount -t "$1" ${3:+-o "$3"} "$1" "$root/$2" && mounted="$root/$2 $mounted"
}

rc=0
mount -o remount,ro "$root" || echo "XFSTESTS: remount of / read-only failed"
# The suite may live below a directory the tmpfs mounts hide (a clone in
# /tmp, as CI makes): held by a bind in the initramfs, outside ROOT, and
# bound again at /mnt/xfstests once the tmpfs are there.
mkdir -p /xfstests-src &&
	mount -o bind "$root$XFSTESTS_SRC" /xfstests-src || rc=1
[ $rc -eq 0 ] &&
	guest_mount proc proc &&
	guest_mount sysfs sys &&
	guest_mount devtmpfs dev &&
	guest_mount tmpfs tmp mode=1777 &&
	guest_mount tmpfs var/tmp mode=1777 &&
	guest_mount tmpfs run mode=0755 &&
	guest_mount tmpfs mnt mode=0755 &&
	mkdir "$root/mnt/test" "$root/mnt/xfstests" &&
	mount -o bind /xfstests-src "$root/mnt/xfstests" &&
	mounted="$root/mnt/xfstests $mounted" || rc=1

# The xfstests users' homes may lie below a directory a tmpfs now hides
# (the host made them in its work directory, which a clone in /tmp puts
# under /tmp): su warns without one, which check counts as a failure.
if [ $rc -eq 0 ]; then
	while IFS=: read -r name _ uid gid _ home _; do
		case $name in fsgqa | fsgqa2 | 123456-fsgqa) ;; *) continue ;; esac
		[ -d "$root$home" ] && continue
		mkdir -p "$root$home" && chown "$uid:$gid" "$root$home" || rc=1
	done <"$root/etc/passwd"
fi

if [ $rc -eq 0 ]; then
	cat >"$root/tmp/xfstests.config" <<-EOF
	export FSTYP=virtiofs
	export TEST_DEV=$XFSTESTS_TAG
	export TEST_DIR=/mnt/test
	export RESULT_BASE=/tmp/results
	EOF
	# check's output goes to the console as it comes (a stuck test shows
	# where); its status through a file, past the pipe.
	echo "XFSTESTS: check starts"
	# shellcheck disable=SC2086 # the list is split into tests
	{
		chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LANG=C.UTF-8 HOST_OPTIONS=/tmp/xfstests.config \
			/bin/bash -c 'cd "$0" && exec ./check -R xunit "$@"' \
			/mnt/xfstests $XFSTESTS_TESTS 2>&1
		echo $? >/check.rc
	} | while IFS= read -r line; do echo "XFSTESTS-OUT: $line"; done
	echo "XFSTESTS: check exited $(cat /check.rc)"
	if [ -f "$root/tmp/results/result.xml" ]; then
		gzip -c "$root/tmp/results/result.xml" | base64 |
			sed 's/^/XFSTESTS-XML: /'
	else
		echo "XFSTESTS: no result.xml"
		rc=1
	fi
fi

# xfstests leaves the test share mounted.
umount "$root/mnt/test" 2>/dev/null
for m in $mounted /xfstests-src; do
	umount "$m" || { echo "XFSTESTS: umount $m failed"; rc=1; }
done
exit $rc
