#!/bin/sh
# Runs in the test guest as /bin/guest-run MOUNTPOINT (busybox sh), for
# tests/fdlimit/run-fdlimit-guest.sh: walk the tree the host made, read a
# few files, and look at the mount inside the share. Prints TAP.
m=$1
n=0
nfail=0
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
fail() {
	n=$((n + 1))
	nfail=$((nfail + 1))
	echo "not ok $n - $1"
}
check() { # NAME STATUS [DETAIL]
	if [ "$2" -eq 0 ]; then ok "$1"; else fail "$1: $3"; fi
}

want=$(cat "$m/expect")
t0=$(date +%s)
c=$(find "$m/tree" -type f 2>/tmp/find.err | wc -l)
check "find lists all $want files" "$([ "$c" = "$want" ] && [ ! -s /tmp/find.err ]; echo $?)" \
	"$c, $(head -n 2 /tmp/find.err)"
c=$(find "$m/tree" -type f | xargs stat -c '%i' 2>/tmp/stat.err | wc -l)
check "stat of every file, no error" "$([ "$c" = "$want" ] && [ ! -s /tmp/stat.err ]; echo $?)" \
	"$c, $(head -n 2 /tmp/stat.err)"
echo "VFSD-E2E: walk of $want files took $(($(date +%s) - t0)) s"
bad=0
for d in $(ls "$m/tree"); do
	[ "$(cat "$m/tree/$d/f1")" = "content of $d" ] || bad=$((bad + 1))
done
check "the first file of every directory reads back" "$bad" "$bad wrong"

# After the walk the daemon has closed these files' fds: a directory the
# guest renames, and an open file it unlinks, still read back.
mv "$m/tree/d00" "$m/tree/d00.moved"
c=$(cat "$m/tree/d00.moved/f1" 2>&1)
check "a directory the guest renamed reads back through its new name" \
	"$([ "$c" = "content of d00" ]; echo $?)" "$c"
exec 3<"$m/tree/d01/f1"
rm "$m/tree/d01/f1"
find "$m/tree/d02" "$m/tree/d03" -type f | xargs stat -c '%i' >/dev/null
c=$(cat <&3 2>&1)
exec 3<&-
check "an open file the guest unlinked still reads" \
	"$([ "$c" = "content of d01" ]; echo $?)" "$c"

# Two tmpfs inside the share, announced as submounts. stat of "top"
# itself would not enter the mount (no automount of the last component).
d_root=$(stat -c %d "$m")
d_top=$(stat -c %d "$m/top/.")
d_sub=$(stat -c %d "$m/sub/.")
check "each submount has an st_dev of its own" \
	"$([ "$d_top" != "$d_sub" ] && [ "$d_top" != "$d_root" ] && [ "$d_sub" != "$d_root" ]; echo $?)" \
	"share $d_root, top $d_top, sub $d_sub"
check "the guest mounted both as submounts" \
	"$(grep -q " $m/sub virtiofs " /proc/mounts && grep -q " $m/top virtiofs " /proc/mounts; echo $?)" \
	"$(grep virtiofs /proc/mounts | tr '\n' ';')"
# The host wrote two names with one st_ino on two file systems.
set -- $(cat "$m/pair")
i1=$(stat -c '%d %i' "$m/$1")
i2=$(stat -c '%d %i' "$m/$2")
check "a colliding host inode number stays two files ($1, $2)" \
	"$([ "${i1#* }" = "${i2#* }" ] && [ "$i1" != "$i2" ]; echo $?)" "$i1 / $i2"
dups=$(stat -c '%d %i' "$m"/top/* "$m"/sub/* | sort | uniq -d | wc -l)
check "no (st_dev, st_ino) twice over both file systems" "$dups" "$dups duplicates"
# Time for the host's last look at vfsd stats.
sleep 2
echo "1..$n"
[ "$nfail" -eq 0 ]
