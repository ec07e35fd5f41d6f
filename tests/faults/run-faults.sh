#!/bin/bash
# Fault injection over the host kernel's FUSE client (vfsd --fuse-mount):
# the host misbehaves around a served share and the daemon must keep
# serving, report errors as errors, and lose nothing it acknowledged.
#   1. the share's filesystem fills up (size-capped tmpfs)
#   2. a low RLIMIT_NOFILE (--rlimit-nofile=64) under many open files
#   3. a subdirectory, then the shared directory itself, renamed and
#      removed on the host while served
#   4. vfsd killed with SIGKILL in the middle of a write+fsync loop
#   5. the host truncating, replacing (rename) and chmod'ing files under
#      the client, which must see it within the cache=auto timeout (1 s)
#   6. with --client-bin, over vhost-user: the front end (vfsd-client in
#      place of QEMU) killed with SIGKILL in the middle of a bench run;
#      vfsd exits 0 and leaves no socket and no process behind
#
#   tests/faults/run-faults.sh --daemon-bin PATH [--client-bin PATH]
#
# Prints TAP; exits non-zero on any failure. Needs root.
set -u

# shellcheck source=../lib/runner.sh
. "$(dirname "$0")/../lib/runner.sh"
# shellcheck source=../lib/fuse.sh
. "$(dirname "$0")/../lib/fuse.sh"

daemon_bin= client_bin=
runner_opts daemon_bin=--daemon-bin client_bin=--client-bin -- "$@"
need_exec "$daemon_bin" --daemon-bin
need_root
ok() { echo $(( $? != 0 )); } # status of the last command as 0/1

runner_work faults
chmod 0755 "$work"
mnt=$work/mnt
log=$work/vfsd.log
# The sanitizer check at the end reads every daemon's output.
fuse_keep_log=1
small=
cleanup() {
	fuse_cleanup
	[ -n "$small" ] && umount -l "$small" 2>/dev/null
}
mkdir -p "$mnt"

alive() { [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }

# SIGTERM: the daemon must still be able to end cleanly after the fault.
stop_vfsd() { # NAME
	if alive; then
		fuse_stop
	else
		status=dead
		pid=
	fi
	umount -l "$mnt" 2>/dev/null
	check "$1: vfsd still running, exits 0 on SIGTERM" \
		"$([ "$status" = 0 ]; echo $?)" "status $status"
}

# Poll CMD (a string for eval) for up to 3 s; prints the ms it took.
wait_for() {
	local t0 t1
	t0=$(date +%s%N)
	for _ in $(seq 60); do
		if eval "$1" 2>/dev/null; then
			t1=$(date +%s%N)
			echo $(( (t1 - t0) / 1000000 ))
			return 0
		fi
		sleep 0.05
	done
	echo never
	return 1
}

# --- 1. the share's filesystem fills up -----------------------------------

small=$work/small
mkdir -p "$small"
mount -t tmpfs -o size=4m vfsd-faults "$small"
check "enospc: 4 MiB tmpfs for the share" $?
head -c 65536 /dev/urandom >"$work/before.ref"
share=$small
fuse_start
check "enospc: vfsd serves the small share" $?
cp "$work/before.ref" "$mnt/before" && sync "$mnt/before"
check "enospc: 64 KiB written and synced before the disk fills" "$(ok)"
dd if=/dev/zero of="$mnt/big" bs=64k count=200 conv=fsync \
	>"$work/dd.log" 2>&1
dd_rc=$?
check "enospc: the writer gets ENOSPC" \
	"$([ $dd_rc -ne 0 ] && grep -q 'No space left on device' "$work/dd.log"; echo $?)" \
	"dd exit $dd_rc: $(tail -n 1 "$work/dd.log")"
ls "$mnt" >/dev/null && stat "$mnt/before" >/dev/null
check "enospc: the daemon keeps serving a full disk" "$(ok)"
cmp -s "$work/before.ref" "$mnt/before" && cmp -s "$work/before.ref" "$small/before"
check "enospc: data written before is intact (client and host)" "$(ok)"
rm -f "$mnt/big"
check "enospc: the full file is removed" "$(ok)"
# The host frees the file's blocks when the daemon closes its last fd of
# it, on the RELEASE and FORGET the kernel sends after the unlink (in the
# background, as for every FUSE daemon): wait for them, not for a fixed time.
freed_ms=$(wait_for '[ "$(stat -f -c %a "$small")" -gt 512 ]')
check "enospc: the host frees the space after the unlink" "$(ok)" \
	"$(stat -f -c '%a of %b blocks free' "$small") after $freed_ms ms"
echo recovered >"$mnt/after" && sync "$mnt/after" &&
	[ "$(cat "$small/after")" = recovered ]
check "enospc: space freed, writes work again" "$(ok)"
stop_vfsd enospc
umount "$small" && small=

# --- 2. RLIMIT_NOFILE low ---------------------------------------------------

share=$work/nofile
mkdir -p "$share"
for i in $(seq 200); do echo "file $i" >"$share/f$i"; done
fuse_start --rlimit-nofile=64
check "nofile: vfsd serves with --rlimit-nofile=64" $?
# Fds of the daemon and its sandboxed server process.
daemon_fds() {
	local n=0 p
	for p in "$pid" $(pgrep -P "$pid"); do
		n=$((n + $(ls "/proc/$p/fd" 2>/dev/null | wc -l)))
	done
	echo "$n"
}
base_fds=$(daemon_fds)
opened=0 refused=0 other=0
fds=()
for i in $(seq 200); do
	if exec {fd}<"$mnt/f$i" 2>"$work/open.err"; then
		fds+=("$fd")
		opened=$((opened + 1))
	elif grep -qE 'Too many open files' "$work/open.err"; then
		refused=$((refused + 1))
	else
		other=$((other + 1))
		sed 's/^/# /' "$work/open.err" | head -n 2
	fi
done
echo "# nofile: $opened opened, $refused EMFILE/ENFILE, $other other errors"
check "nofile: opens beyond the limit fail with EMFILE/ENFILE" \
	"$([ $refused -gt 0 ] && [ $other -eq 0 ]; echo $?)" \
	"$opened opened, $refused EMFILE/ENFILE, $other other"
timeout 5 ls "$mnt" >/dev/null 2>&1
rc=$?
alive
check "nofile: no crash, the daemon still answers at the limit" \
	"$([ $? -eq 0 ] && [ $rc -ne 124 ]; echo $?)" "ls exit $rc"
for fd in "${fds[@]}"; do exec {fd}<&-; done
# The load drops: files closed, and the kernel forgets its cached inodes
# (each inode the kernel remembers holds one O_PATH fd in the daemon).
sync
echo 2 >/proc/sys/vm/drop_caches
ms=$(wait_for "[ \$(daemon_fds) -le $((base_fds + 2)) ]")
check "nofile: fds released when the load drops (${ms} ms, $base_fds at start)" \
	"$([ "$ms" != never ]; echo $?)" "$(daemon_fds) fds now"
bad=0
for i in $(seq 40); do
	[ "$(cat "$mnt/f$i" 2>/dev/null)" = "file $i" ] || bad=$((bad + 1))
done
check "nofile: recovery: files open and read again" \
	"$([ $bad -eq 0 ]; echo $?)" "$bad of 40 failed"
stop_vfsd nofile

# --- 3. a subdirectory and the share renamed and removed on the host ------

share=$work/moving
mkdir -p "$share/sub"
echo inside >"$share/sub/f"
fuse_start
check "vanish: vfsd serves the share" $?
exec {held}<"$mnt/sub/f"
[ "$(cat "$mnt/sub/f")" = inside ]
check "vanish: the client reads sub/f" "$(ok)"
mv "$share/sub" "$share/sub2"
ms=$(wait_for "[ \"\$(cat '$mnt/sub2/f')\" = inside ] && ! [ -e '$mnt/sub' ]")
check "vanish: a subdirectory renamed on the host is seen (${ms} ms)" \
	"$([ "$ms" != never ] && [ "$ms" -le 2000 ]; echo $?)"
[ "$(cat <&$held)" = inside ]
check "vanish: a file held open across the rename still reads" "$(ok)"
exec {held}<&-
exec {held}<"$mnt/sub2/f"
rm -rf "$share/sub2"
ms=$(wait_for "! ls '$mnt/sub2' >/dev/null")
check "vanish: a removed subdirectory gives an error (${ms} ms)" \
	"$([ "$ms" != never ]; echo $?)"
cat <&$held >/dev/null
check "vanish: a file held open in a removed directory still reads" "$(ok)"
exec {held}<&-
mkdir "$mnt/newdir" 2>/dev/null
check "vanish: the share still takes new entries" "$(ok)"
mv "$share" "$share.moved"
timeout 5 ls "$mnt" >/dev/null 2>&1
rc=$?
check "vanish: the shared directory renamed on the host: no hang" \
	"$([ $rc -ne 124 ]; echo $?)"
rm -rf "$share.moved"
timeout 5 touch "$mnt/x" >/dev/null 2>&1
rc=$?
check "vanish: the shared directory removed: creating fails" \
	"$([ $rc -ne 0 ] && [ $rc -ne 124 ]; echo $?)" "touch exit $rc"
timeout 5 ls "$mnt" >/dev/null 2>&1
check "vanish: the removed share still answers (no hang)" \
	"$([ $? -ne 124 ]; echo $?)"
alive
check "vanish: no crash" "$(ok)"
stop_vfsd vanish

# --- 4. SIGKILL in the middle of a write+fsync loop ------------------------

share=$work/killed
mkdir -p "$share"
fuse_start
check "sigkill: vfsd serves the share" $?
record() { printf '%-4095s\n' "record $1 $(printf '%04d' "$1")"; }
progress=$work/progress
echo 0 >"$progress"
(
	i=1
	while [ $i -le 100000 ]; do
		# Each record is appended and fsync'ed before it counts.
		record $i | dd of="$mnt/log" bs=4096 oflag=append conv=notrunc,fsync \
			status=none 2>/dev/null || break
		echo $i >"$progress"
		i=$((i + 1))
	done
) &
writer=$!
# Kill mid-loop: after a second and at least a few fsync'ed records.
sleep 1
for _ in $(seq 200); do
	[ "$(cat "$progress")" -ge 3 ] 2>/dev/null && break
	sleep 0.05
done
fuse_kill
wait "$writer"
umount -l "$mnt"
n=$(cat "$progress")
echo "# sigkill: $n records fsync'ed before the kill"
for i in $(seq "$n"); do record "$i"; done >"$work/expect"
size=$(stat -c %s "$share/log" 2>/dev/null || echo 0)
head -c $((n * 4096)) "$share/log" 2>/dev/null | cmp -s - "$work/expect"
check "sigkill: every fsync'ed record ($n) is on the host, byte for byte" \
	"$([ "$n" -gt 0 ] && [ $? -eq 0 ] && [ "$size" -ge $((n * 4096)) ]; echo $?)" \
	"host file $size bytes"
[ $(( size % 4096 )) -eq 0 ] && [ "$size" -le $(( (n + 1) * 4096 )) ]
check "sigkill: at most the record in flight is extra, and it is whole" "$(ok)" \
	"host file $size bytes, $n records"

# --- 5. the host changes files under the client ----------------------------

share=$work/changes
mkdir -p "$share"
echo "0123456789" >"$share/t"
echo old >"$share/r"
echo mode >"$share/m" && chmod 0644 "$share/m"
fuse_start --cache=auto
check "host-change: vfsd serves with cache=auto" $?
stat "$mnt/t" "$mnt/m" >/dev/null && cat "$mnt/t" "$mnt/r" >/dev/null
truncate -s 3 "$share/t"
ms=$(wait_for "[ \$(stat -c %s '$mnt/t') -eq 3 ] && [ \"\$(cat '$mnt/t')\" = 012 ]")
check "host-change: truncate seen within the 1 s timeout (${ms} ms)" \
	"$([ "$ms" != never ] && [ "$ms" -le 2000 ]; echo $?)"
echo new >"$share/r.tmp" && mv "$share/r.tmp" "$share/r"
ms=$(wait_for "[ \"\$(cat '$mnt/r')\" = new ]")
check "host-change: replace by rename seen within the timeout (${ms} ms)" \
	"$([ "$ms" != never ] && [ "$ms" -le 2000 ]; echo $?)"
chmod 0600 "$share/m"
ms=$(wait_for "[ \$(stat -c %a '$mnt/m') = 600 ]")
check "host-change: chmod seen within the timeout (${ms} ms)" \
	"$([ "$ms" != never ] && [ "$ms" -le 2000 ]; echo $?)"
stop_vfsd host-change

# --- 6. the front end killed in the middle of requests --------------------

if [ -x "$client_bin" ]; then
	share=$work/frontend
	sock=$work/vfsd.sock
	mkdir -p "$share"
	"$daemon_bin" --socket-path="$sock" --shared-dir="$share" >>"$log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
	check "frontend: vfsd listens on its socket" "$([ -S "$sock" ]; echo $?)"
	"$client_bin" bench --socket="$sock" --shared-dir="$share" \
		--duration=10 >"$work/client.log" 2>&1 &
	client=$!
	sleep 2
	children=$(pgrep -P "$pid" | tr '\n' ' ')
	grep -q 'front end connected' "$log"
	check "frontend: the bench is running against vfsd" "$(ok)"
	kill -KILL "$client"
	wait "$client" 2>/dev/null
	fuse_wait_exit || fuse_kill
	check "frontend: killed mid-request, vfsd exits with status 0" \
		"$([ "$status" = 0 ]; echo $?)" "status $status"
	check "frontend: no socket left behind" "$([ ! -e "$sock" ]; echo $?)"
	stray=
	for c in $children; do kill -0 "$c" 2>/dev/null && stray="$stray $c"; done
	check "frontend: no stray process (children:${children:- none})" \
		"$([ -z "$stray" ]; echo $?)" "still running:$stray"
else
	echo "# frontend: no --client-bin, front-end kill not tried"
fi

check_sanitizer "$log" "daemon logs have no sanitizer report"

echo "1..$ntest"
[ "$nfail" -eq 0 ]
