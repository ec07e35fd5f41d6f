#!/bin/sh
# Runs in the guest (build-initramfs.sh mode run) with the share's mount
# point as $1: the conformance table and the directory listing at scale,
# each line prefixed with "CF " for run-conformance.sh, and one TAP line per
# program run. BIGDIR_N is replaced by the runner when it builds the guest.
mnt=$1
n=BIGDIR_N
rc=0

/bin/conform run "$mnt" >/tmp/table.tsv 2>/tmp/table.err
r=$?
sed 's/^/CF /' /tmp/table.tsv
sed 's/^/# /' /tmp/table.err
if [ "$r" -eq 0 ]; then echo "ok 1 - conform run"; else echo "not ok 1 - conform run: exit $r"; rc=1; fi

t0=$(date +%s)
/bin/conform bigdir "$mnt" "$n" >/tmp/bigdir.tsv 2>/tmp/bigdir.err
r=$?
sed 's/^/CF /' /tmp/bigdir.tsv
sed 's/^/# /' /tmp/bigdir.err
echo "# bigdir of $n entries took $(( $(date +%s) - t0 )) s"
if [ "$r" -eq 0 ]; then echo "ok 2 - conform bigdir $n"; else echo "not ok 2 - conform bigdir $n: exit $r"; rc=1; fi
echo "1..2"
exit $rc
