# Sourced by the runners that boot a TCG guest on a share (after tap.sh).
# The runner sets $top (the repository) and $work (a scratch directory it
# owns) first, and calls guest_cleanup from its EXIT trap.
#
#   guest_prepare OUT GUEST_BIN [build-initramfs options]
#       fetch the guest kernel (guest_kernel[0] is vmlinuz, the rest are
#       modules) and build the initramfs OUT with GUEST_BIN as /bin/e2e_ops
#   guest_start_daemon vfsd|virtiofsd|virtiofsd-rs BIN SHARE SOCK LOG [ARG...]
#       start the daemon in the background (guest_daemon_pid) and wait for
#       its socket. Every peer gets extended attributes (off by default in
#       all three) and cache=auto; virtiofsd is QEMU's C daemon,
#       virtiofsd-rs the Rust one (guest_rust_virtiofsd). With
#       guest_daemon_wrap set (an array, e.g. setpriv ...), the daemon
#       runs under that command.
#   guest_rust_virtiofsd          the path of ../shared/peers/virtiofsd-1.13.3
#   guest_boot INITRD SOCK TAG MODE TIMEOUT
#       boot QEMU and wait for it to power off (guest_qemu_rc, 124 if it was
#       killed at TIMEOUT seconds). If the runner defines guest_poll, it is
#       called every 0.2 s meanwhile. Leaves $work/serial.txt (the console)
#       and $work/guest.txt (the lines between the BEGIN and END markers).
#   guest_check_boot TIMEOUT     checks: powered off in time, no kernel oops
#   guest_relay_tap PREFIX       re-emit the guest's "ok"/"not ok" lines as
#                                checks, then check the plan and rc=0
#   guest_wait_daemon SECONDS    wait for the daemon to exit by itself
#                                (guest_daemon_rc, empty if it did not)
#   guest_count_fds PID          open fds of PID and its descendants
#   guest_fd_peak_start PID FILE count PID's fds (guest_count_fds) every
#                                0.1 s in the background, the largest so far
#                                in FILE, until guest_fd_peak_stop, which
#                                sets guest_fd_peak (0 if none was counted)
#   guest_rss_kb PID [FIELD]     VmRSS (or another field of /proc/PID/status,
#                                e.g. RssAnon) of PID and its descendants, KiB
#   guest_diag LABEL FILE [N]    print the last N lines of FILE as comments
#   guest_diag_all               the daemon log, QEMU's stderr and the serial
#                                console of $work, for a run that failed
#   guest_cleanup                kill what guest_start_daemon and guest_boot
#                                started (only those pids)

. "$(dirname "${BASH_SOURCE[0]}")/proc.sh"

guest_kernel=()
guest_daemon_pid=
guest_daemon_rc=
guest_qemu_pid=
guest_qemu_rc=

guest_diag() {
	[ -s "$2" ] || return 0
	echo "# --- $1 (last ${3:-40} lines) ---"
	tail -n "${3:-40}" "$2" | tr -d '\r' | sed 's/^/#   /'
}

guest_diag_all() {
	local w=${work:-/nonexistent} serial
	serial=$w/serial.txt
	[ -s "$serial" ] || serial=$w/serial.log
	guest_diag "daemon log" "$w/daemon.log" 60
	guest_diag "qemu stderr" "$w/qemu.err" 20
	guest_diag "serial log" "$serial" 80
}

# PID and its descendants (a sandboxed vfsd and virtiofsd serve from a child).
guest_process_tree() {
	local c
	echo "$1"
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		guest_process_tree "$c"
	done
}

guest_count_fds() {
	local p n=0
	for p in $(guest_process_tree "$1"); do
		n=$((n + $(ls "/proc/$p/fd" 2>/dev/null | wc -l)))
	done
	echo "$n"
}

guest_fd_peak_pid=
guest_fd_peak_file=
guest_fd_peak=
guest_fd_peak_start() {
	guest_fd_peak_file=$2
	(
		max=0
		while kill -0 "$1" 2>/dev/null; do
			n=$(guest_count_fds "$1")
			[ "$n" -gt "$max" ] && { max=$n; echo "$max" >"$2"; }
			sleep 0.1
		done
	) &
	guest_fd_peak_pid=$!
}

guest_fd_peak_stop() {
	if [ -n "$guest_fd_peak_pid" ]; then
		kill "$guest_fd_peak_pid" 2>/dev/null
		wait "$guest_fd_peak_pid" 2>/dev/null
		guest_fd_peak_pid=
	fi
	guest_fd_peak=$(cat "$guest_fd_peak_file" 2>/dev/null || echo 0)
}

guest_rss_kb() {
	local p kb n=0 field=${2:-VmRSS}
	for p in $(guest_process_tree "$1"); do
		kb=$(sed -n "s/^$field:[[:space:]]*\([0-9]*\) kB\$/\1/p" "/proc/$p/status" 2>/dev/null)
		n=$((n + ${kb:-0}))
	done
	echo "$n"
}

guest_prepare() {
	local out=$1 bin=$2
	shift 2
	mapfile -t guest_kernel < <("$top/scripts/guest-kernel.sh") || return 1
	[ "${#guest_kernel[@]}" -eq 8 ] || return 1
	"$top/scripts/build-initramfs.sh" "$@" "$out" "$bin" "${guest_kernel[@]:1}"
}

guest_daemon_wrap=()

# The Rust virtiofsd of ../shared/peers (beside the repository).
guest_rust_virtiofsd() {
	echo "$top/../shared/peers/virtiofsd-1.13.3"
}

guest_start_daemon() {
	local kind=$1 bin=$2 share=$3 sock=$4 log=$5
	shift 5
	# Extended attributes are off in every peer unless asked for: all
	# get them, so all serve the same operations.
	case "$kind" in
	vfsd)
		"${guest_daemon_wrap[@]}" "$bin" --socket-path="$sock" \
			--shared-dir="$share" --xattr "$@" </dev/null >"$log" 2>&1 &
		;;
	virtiofsd)
		"${guest_daemon_wrap[@]}" "$bin" --socket-path="$sock" \
			-o source="$share" -o cache=auto -o xattr "$@" \
			</dev/null >"$log" 2>&1 &
		;;
	virtiofsd-rs)
		"${guest_daemon_wrap[@]}" "$bin" --socket-path="$sock" \
			--shared-dir="$share" --cache=auto --xattr "$@" \
			</dev/null >"$log" 2>&1 &
		;;
	*) return 2 ;;
	esac
	guest_daemon_pid=$!
	for _ in $(seq 100); do
		[ -S "$sock" ] && return 0
		kill -0 "$guest_daemon_pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

guest_boot() {
	local initrd=$1 sock=$2 tag=$3 mode=$4 timeout_s=$5 t0 deadline
	t0=$(date +%s)
	deadline=$((t0 + timeout_s))
	"$top/scripts/boot-guest.sh" "${guest_kernel[0]}" "$initrd" "$sock" "$tag" "$mode" \
		</dev/null >"$work/serial.log" 2>"$work/qemu.err" &
	guest_qemu_pid=$!
	guest_qemu_rc=
	while [ "$(date +%s)" -lt "$deadline" ]; do
		if ! kill -0 "$guest_qemu_pid" 2>/dev/null; then
			wait "$guest_qemu_pid"
			guest_qemu_rc=$?
			guest_qemu_pid=
			break
		fi
		if declare -F guest_poll >/dev/null; then
			guest_poll
		fi
		sleep 0.2
	done
	if [ -z "$guest_qemu_rc" ]; then
		echo "# guest still running after $timeout_s s: killed"
		kill -KILL "$guest_qemu_pid" 2>/dev/null
		wait "$guest_qemu_pid" 2>/dev/null
		guest_qemu_pid=
		guest_qemu_rc=124
	fi
	echo "# guest ran for $(($(date +%s) - t0)) s, qemu exit status $guest_qemu_rc"
	tr -d '\r' <"$work/serial.log" >"$work/serial.txt"
	sed -n '/=== VFSD-E2E BEGIN/,/^=== VFSD-E2E END/p' "$work/serial.txt" >"$work/guest.txt"
}

guest_check_boot() {
	local oops='Kernel panic|BUG:|Oops|WARNING:|Call Trace|virtio_fs: .*(fail|error)'
	check "guest booted, mounted the share and shut down within $1 s" \
		"$([ "$guest_qemu_rc" -eq 0 ] && grep -q '^=== VFSD-E2E END' "$work/guest.txt"; echo $?)" \
		"qemu exit status $guest_qemu_rc"
	grep '^VFSD-E2E:' "$work/serial.txt" | sed 's/^/# guest: /'
	check "guest kernel logged no oops, warning or virtio-fs error" \
		"$(! grep -Eq "$oops" "$work/serial.txt"; echo $?)" \
		"$(grep -Em1 "$oops" "$work/serial.txt")"
}

guest_relay_tap() {
	local prefix=$1 line results=0 plan rc
	while IFS= read -r line; do
		case "$line" in
		"ok "*)
			results=$((results + 1))
			check "$prefix: ${line#ok * - }" 0
			;;
		"not ok "*)
			results=$((results + 1))
			check "$prefix: ${line#not ok * - }" 1 "failed in the guest"
			;;
		"Bail out!"*)
			check "$prefix: ${line#Bail out! }" 1 "bailed out"
			;;
		esac
	done <"$work/guest.txt"
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$work/guest.txt" | tail -n 1)
	check "$prefix: every check ran (plan ${plan:-missing}, $results results)" \
		"$([ -n "$plan" ] && [ "$plan" -eq "$results" ] && [ "$plan" -gt 0 ]; echo $?)" \
		"the guest program did not finish"
	rc=$(sed -n 's/^=== VFSD-E2E END rc=\([0-9]*\) ===$/\1/p' "$work/guest.txt")
	check "$prefix: guest program and umount succeeded" \
		"$([ "${rc:-1}" = 0 ]; echo $?)" "rc=${rc:-none}"
}

guest_wait_daemon() {
	guest_daemon_rc=
	proc_wait_exit "$guest_daemon_pid" $(($1 * 20)) || return 1
	guest_daemon_rc=$proc_rc
	guest_daemon_pid=
}

guest_cleanup() {
	local pids
	if [ -n "$guest_qemu_pid" ]; then
		kill -KILL "$guest_qemu_pid" 2>/dev/null
		wait "$guest_qemu_pid" 2>/dev/null
		guest_qemu_pid=
	fi
	if [ -n "$guest_daemon_pid" ] && kill -0 "$guest_daemon_pid" 2>/dev/null; then
		pids=$(guest_process_tree "$guest_daemon_pid")
		kill -TERM $pids 2>/dev/null
		sleep 0.5
		kill -KILL $pids 2>/dev/null
		wait "$guest_daemon_pid" 2>/dev/null
	fi
	guest_daemon_pid=
}
