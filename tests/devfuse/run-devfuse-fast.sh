#!/bin/bash
# The kernel's fast FUSE paths, each under the core test program
# (tests/e2e/guest/e2e_ops) and the host-side check of what it wrote:
#   uring        FUSE over io_uring: /sys/module/fuse/parameters/enable_uring
#                is set for the run (and put back after); the requests must
#                come over the rings, not read(2) from /dev/fuse
#   passthrough  FUSE_PASSTHROUGH: reads and writes of opened regular files
#                go from the kernel to the backing file (needs CAP_SYS_ADMIN,
#                kept with --modcaps=+sys_admin)
# Each mode is SKIPped where the kernel lacks it. Timings are no part of it.
#
#   tests/devfuse/run-devfuse-fast.sh --daemon-bin PATH --guest-bin PATH MODE
#
# Prints TAP; exits non-zero on any failure. Needs root.
set -u

# shellcheck source=../lib/runner.sh
. "$(dirname "$0")/../lib/runner.sh"
# shellcheck source=../lib/fuse.sh
. "$(dirname "$0")/../lib/fuse.sh"

daemon_bin= guest_bin= mode=
# The mode is the last argument: uring or passthrough.
case "${*: -1}" in
uring | passthrough) mode=${*: -1}; set -- "${@:1:$#-1}" ;;
esac
runner_opts daemon_bin=--daemon-bin guest_bin=--guest-bin -- "$@"
need_exec "$daemon_bin" --daemon-bin
need_exec "$guest_bin" --guest-bin
[ -n "$mode" ] || bail "need a mode: uring or passthrough"

fuse_keep_log=1
uring_param=/sys/module/fuse/parameters/enable_uring
uring_was=
runner_work devfuse-fast
share=$work/share
mnt=$work/mnt
log=$work/vfsd.log
cleanup() {
	fuse_cleanup
	[ -z "$uring_was" ] || echo "$uring_was" >"$uring_param"
}
mkdir -p "$share" "$mnt"
chmod 0755 "$work"


# The serving process: the supervisor's child in the sandboxed modes.
server_pid() {
	local c
	c=$(pgrep -P "$pid" | head -n 1)
	echo "${c:-$pid}"
}

# Bytes the server has read and written so far (rchar + wchar).
server_io() {
	awk '$1 == "rchar:" || $1 == "wchar:" { n += $2 } END { print n }' \
		"/proc/$(server_pid)/io"
}

# read(2) calls the server has made so far.
server_reads() {
	awk '$1 == "syscr:" { print $2 }' "/proc/$(server_pid)/io"
}

case $mode in
uring)
	[ -w "$uring_param" ] || skip_all "no $uring_param: kernel without FUSE over io_uring"
	uring_was=$(cat "$uring_param")
	echo Y >"$uring_param" || skip_all "cannot set $uring_param"
	opts=(--xattr)
	ready="FUSE over io_uring: "
	;;
passthrough)
	opts=(--xattr --modcaps=+sys_admin)
	ready="FUSE passthrough on"
	;;
esac

"$guest_bin" host-prepare "$share" >"$work/prepare.log" 2>&1
check "host-prepare filled the share" $? "$(tail -n 3 "$work/prepare.log")"
# What the program asks to learn how the daemon was started.
printf '%s\n' "${opts[@]}" >"$share/host/daemon-args"
fuse_start "${opts[@]}"
check "vfsd mounted the share on $mnt" $? "$(tail -n 5 "$log")"
# The first request (INIT) decides; the mount answers only after it.
ls "$mnt" >/dev/null
if ! grep -q "$ready" "$log"; then
	fuse_stop
	grep -q "unavailable\|not offered" "$log" &&
		skip_all "$(grep -o '[^:]*\(unavailable\|not offered\).*' "$log" | head -n 1)"
	check "vfsd says: $ready" 1 "$(tail -n 5 "$log")"
	echo "1..$ntest"
	exit 1
fi
check "vfsd says: $ready" 0

if [ "$mode" = uring ]; then
	# With caching off every stat() is a request: 500 of them must not
	# cost the server 500 read(2)s of /dev/fuse.
	fuse_stop
	fuse_start "${opts[@]}" --cache=never
	ls "$mnt" >/dev/null
	before=$(server_reads)
	for _ in $(seq 500); do stat "$mnt" >/dev/null; done
	after=$(server_reads)
	check "500 GETATTRs came over the rings ($((after - before)) read(2) calls)" \
		"$([ $((after - before)) -lt 50 ]; echo $?)"
	fuse_stop
	fuse_start "${opts[@]}"
	ls "$mnt" >/dev/null
fi

if [ "$mode" = passthrough ]; then
	# Bytes written through the mount are the backing file's, both ways.
	head -c 3145728 /dev/urandom >"$work/pt.src"
	cp "$work/pt.src" "$mnt/pt.file"
	cmp -s "$work/pt.src" "$share/pt.file"
	check "passthrough write lands in the backing file" $?
	printf 'changed on the host' | dd of="$share/pt.file" bs=1 seek=4096 \
		conv=notrunc 2>/dev/null
	cmp -s "$share/pt.file" "$mnt/pt.file"
	check "passthrough read sees the backing file's bytes" $?
	# Neither the copy in nor the reads moved the bytes through the
	# server: its rchar/wchar grew by far less than the 3 MiB file.
	io_before=$(server_io)
	cat "$mnt/pt.file" >/dev/null
	head -c 3145728 /dev/urandom >"$mnt/pt.file2"
	io_after=$(server_io)
	check "3 MiB read and 3 MiB written without the server ($((io_after - io_before)) bytes through it)" \
		"$([ $((io_after - io_before)) -lt 1048576 ]; echo $?)"
	rm -f "$mnt/pt.file" "$mnt/pt.file2"
	# A user's file closed: its backing file goes too (the RELEASE runs
	# with the ids that user's last request left on the thread).
	mkdir -m 1777 "$share/pt.users"
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		sh -c "echo data >$mnt/pt.users/f && cat $mnt/pt.users/f" \
		>/dev/null
	check "a user wrote and read a file through passthrough" $?
	sleep 0.2
	! grep "not closed" "$log"
	check "its backing file was closed" $? "$(grep "not closed" "$log")"
	rm -rf "$share/pt.users"
fi

fuse_e2e_round " ($mode)"

# The kernel ending the connection must end the ring threads too.
fusectl_ensure
fuse_start "${opts[@]}"
check "mount for the abort test" $?
ls "$mnt" >/dev/null
dev=$(stat -c %d "$mnt")
echo 1 >"/sys/fs/fuse/connections/$dev/abort"
fuse_wait_exit
check "kernel abort: vfsd exits with status 0" \
	"$([ "$status" = 0 ]; echo $?)" "status $status"

check_sanitizer "$log"
echo "1..$ntest"
[ "$nfail" -eq 0 ]
