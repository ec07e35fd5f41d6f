#!/bin/bash
# Live migration of a real guest between two QEMU 10.2.0 processes, each
# with its own vfsd on the same shared directory (issue 14). The guest runs
# guest/mig_writer: it appends to a file it holds open, overwrites blocks
# of another it holds open, replaces a third by rename every few rounds
# (what made the Rust virtiofsd abort a migration), reads a file and lists
# a directory through handles opened at the start, and reads a file a host
# process replaces by rename twenty times a second. The source QEMU is told
# to migrate over QMP (the destination was started with -incoming) while
# that goes on; the guest then runs on the destination for a while, the
# host asks it to stop, and checks every byte it wrote (mig_writer verify)
# and both daemons' exit status. Repeats RUNS times (one boot each).
#
#   run-migrate-qemu.sh --daemon-bin VFSD --writer MIG_WRITER --qmp QMP
#                       [--runs N] [--timeout S] [--keep] [--daemon-arg A]...
#                       [--daemon virtiofsd-rs]
#
# --daemon virtiofsd-rs runs the same against the Rust virtiofsd 1.13.3 of
# ../shared/peers (--daemon-bin then defaults to it), for comparison.
# VFSD_MIGRATE_RUNS=N in the environment sets --runs.
#
# QEMU 10.2.0 is ../shared/peers/qemu-10.2.0/bin/qemu-system-x86_64 beside
# the repository (QEMU 7.2 cannot carry a vhost-user-fs back end's state);
# where it is missing the test is a TAP SKIP (1..0, exit 0), never a
# pass. Needs root. Prints TAP, and per run the migration's downtime and
# total time as QEMU's query-migrate reports them.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=../lib/runner.sh
. "$top/tests/lib/runner.sh"
# shellcheck source=../lib/guest.sh
. "$top/tests/lib/guest.sh"

daemon=vfsd
daemon_bin=
writer=
qmp=
runs=${VFSD_MIGRATE_RUNS:-1}
timeout_s=300
keep=
daemon_args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--daemon-bin) daemon_bin=${2:-}; shift ;;
	--daemon) daemon=${2:-}; shift ;;
	--writer) writer=${2:-}; shift ;;
	--qmp) qmp=${2:-}; shift ;;
	--runs) runs=${2:-}; shift ;;
	--timeout) timeout_s=${2:-}; shift ;;
	--daemon-arg) daemon_args+=("${2:-}"); shift ;;
	--keep) keep=1 ;;
	*) sed -n '14,20p' "$0" >&2; exit 2 ;;
	esac
	shift
done
[ "$daemon" = virtiofsd-rs ] && [ -z "$daemon_bin" ] && daemon_bin=$(guest_rust_virtiofsd)
qemu=$top/../shared/peers/qemu-10.2.0/bin/qemu-system-x86_64
[ -x "$qemu" ] || skip_all "QEMU 10.2.0 not found at $qemu"
need_root
need_exec "$daemon_bin" --daemon-bin
need_exec "$writer" --writer
need_exec "$qmp" --qmp

runner_work migrate
chmod 0755 "$work"
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill -KILL $(guest_process_tree "$p") 2>/dev/null
		wait "$p" 2>/dev/null
	done
}

printf '#!/bin/sh\nexec /bin/e2e_ops run "$1" %s\n' "$timeout_s" >"$work/guest-run"
chmod 0755 "$work/guest-run"
if ! guest_prepare "$work/initrd.gz" "$writer" \
	--file "$work/guest-run:/bin/guest-run" >"$work/initrd.log" 2>&1; then
	check "guest kernel and initramfs" 1 "$(tail -n 3 "$work/initrd.log")"
	echo "1..$ntest"
	exit 1
fi

# Wait up to $2 seconds for the command $1 to succeed.
wait_for() {
	local i
	for i in $(seq $(($2 * 5))); do
		eval "$1" && return 0
		sleep 0.2
	done
	return 1
}

# $st: pid $1's exit status within $2 seconds, or "running" (not in $(...):
# only this shell can wait for its children).
wait_status() {
	if proc_wait_exit "$1" $(($2 * 20)); then st=$proc_rc; else st=running; fi
}

# The value of "$2" in QMP answer $1 (a number), or empty.
json_num() {
	sed -n "s/.*\"$2\": *\([0-9][0-9]*\).*/\1/p" <<<"$1"
}

# QEMU on SOCK with the guest of this run (extra arguments in $3).
start_qemu() {
	VFSD_QEMU=$qemu VFSD_QEMU_EXTRA="-qmp unix:$2,server=on,wait=off $3" \
		"$top/scripts/boot-guest.sh" "${guest_kernel[0]}" "$work/initrd.gz" \
		"$1" mig run </dev/null >"$4" 2>"$4.err" &
	qemu_pid=$!
	pids+=("$qemu_pid")
}

one_run() {
	local n=$1 r=$work/run$1 share status answer downtime total before after line
	local da db qa qb
	mkdir -p "$r"
	share=$r/share
	mkdir -m 0755 "$share"
	"$writer" prepare "$share" || { check "run $n: host fixtures" 1 "prepare failed"; return; }

	guest_start_daemon "$daemon" "$daemon_bin" "$share" "$r/a.sock" "$r/a.log" "${daemon_args[@]}" ||
		{ check "run $n: source $daemon started" 1 "$(tail -n 3 "$r/a.log")"; return; }
	da=$guest_daemon_pid
	pids+=("$da")
	guest_start_daemon "$daemon" "$daemon_bin" "$share" "$r/b.sock" "$r/b.log" "${daemon_args[@]}" ||
		{ check "run $n: destination $daemon started" 1 "$(tail -n 3 "$r/b.log")"; return; }
	db=$guest_daemon_pid
	pids+=("$db")
	guest_daemon_pid=

	start_qemu "$r/a.sock" "$r/a.qmp" "" "$r/a.serial"
	qa=$qemu_pid
	start_qemu "$r/b.sock" "$r/b.qmp" "-incoming unix:$r/mig.sock" "$r/b.serial"
	qb=$qemu_pid

	wait_for "[ -e '$share/running' ]" "$timeout_s"
	check "run $n: the guest booted and started writing" $? \
		"$(tail -n 5 "$r/a.serial" | tr -d '\r' | tr '\n' ' ')"
	# A host process replaces a file the guest keeps reading; not while
	# the migration runs: an open file replaced between the save and the
	# load is lost by path, and the destination refuses the state as
	# documented (vfsd-client's open_replaced case tests that outcome).
	(v=0; while [ ! -e "$share/stop" ]; do
		[ -e "$r/pause" ] || "$writer" hostcfg "$share" $((v += 1)) || exit 1
		sleep 0.05
	done) &
	pids+=("$!")
	# Some rounds on the source, then the move while it writes on.
	sleep 2
	touch "$r/pause"
	sleep 0.2
	before=$(stat -c %s "$share/log" 2>/dev/null || echo 0)
	answer=$("$qmp" "$r/a.qmp" "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"unix:$r/mig.sock\"}}" 2>&1)
	check "run $n: QMP migrate accepted" $? "$answer"
	status=
	for _ in $(seq $((timeout_s * 2))); do
		answer=$("$qmp" "$r/a.qmp" '{"execute":"query-migrate"}' 2>&1)
		status=$(sed -n 's/.*"status": *"\([a-z-]*\)".*/\1/p' <<<"$answer" | head -n 1)
		case "$status" in completed | failed | cancelled) break ;; esac
		sleep 0.5
	done
	check "run $n: migration completed" "$([ "$status" = completed ]; echo $?)" \
		"status ${status:-none}: $answer"
	downtime=$(json_num "$answer" downtime)
	total=$(json_num "$answer" total-time)
	echo "# run $n: downtime ${downtime:-?} ms, total ${total:-?} ms"
	echo "downtime_ms=${downtime:-} total_ms=${total:-}" >"$r/timing"
	# As libvirt does: the source goes only once the destination runs.
	wait_for "'$qmp' '$r/b.qmp' '{\"execute\":\"query-status\"}' 2>/dev/null | grep -q '\"running\"'" 30
	check "run $n: the destination QEMU runs the guest" $? "$(tail -n 3 "$r/b.serial.err")"
	rm -f "$r/pause"
	"$qmp" "$r/a.qmp" '{"execute":"quit"}' >/dev/null 2>&1
	wait_status "$qa" 20
	check "run $n: the source QEMU quit" "$([ "$st" != running ]; echo $?)" \
		"still running"
	wait_status "$da" 10
	check "run $n: the source $daemon exited 0 once its QEMU was gone" \
		"$([ "$st" = 0 ]; echo $?)" "status $st: $(tail -n 3 "$r/a.log")"

	# The guest goes on writing on the destination, then stops.
	sleep 3
	after=$(stat -c %s "$share/log" 2>/dev/null || echo 0)
	check "run $n: the held log grew on the destination ($before -> $after bytes)" \
		"$([ "$after" -gt "$before" ]; echo $?)" "no writes after the move"
	touch "$share/stop"
	wait_status "$qb" "$timeout_s"
	check "run $n: the guest finished on the destination and powered off" \
		"$([ "$st" = 0 ]; echo $?)" "qemu status $st"
	wait_status "$db" 10
	check "run $n: the destination $daemon exited 0" "$([ "$st" = 0 ]; echo $?)" \
		"status $st: $(tail -n 3 "$r/b.log")"
	grep -h 'migration:' "$r/a.log" "$r/b.log" | sed "s/^/# run $n: /"

	cat "$r/a.serial" "$r/b.serial" | tr -d '\r' >"$work/serial.txt"
	sed -n '/=== VFSD-E2E BEGIN/,/^=== VFSD-E2E END/p' "$work/serial.txt" >"$work/guest.txt"
	guest_relay_tap "run $n: guest"
	check "run $n: guest kernel logged no oops, warning or virtio-fs error" \
		"$(! grep -Eq 'Kernel panic|BUG:|Oops|WARNING:|Call Trace|virtio_fs: .*(fail|error)' \
			"$work/serial.txt"; echo $?)" "$(grep -Em1 'BUG|Oops|WARNING' "$work/serial.txt")"
	"$writer" verify "$share" >"$r/verify.txt" 2>&1
	while IFS= read -r line; do
		case "$line" in
		"ok "*) check "run $n: host: ${line#ok * - }" 0 ;;
		"not ok "*) check "run $n: host: ${line#not ok * - }" 1 "bytes differ" ;;
		esac
	done <"$r/verify.txt"
	[ "$nfail" -eq 0 ] || { guest_diag "source vfsd" "$r/a.log"; guest_diag "destination vfsd" "$r/b.log";
		guest_diag "source qemu" "$r/a.serial.err"; guest_diag "destination qemu" "$r/b.serial.err";
		guest_diag "serial" "$work/serial.txt"; }
}

for n in $(seq "$runs"); do
	failed_before=$nfail
	one_run "$n"
	# A passed run's share can go; a failed one stays with --keep.
	[ -n "$keep" ] || [ "$nfail" -ne "$failed_before" ] || rm -rf "$work/run$n/share"
done
grep -h . "$work"/run*/timing 2>/dev/null | sed 's/^/# /'
echo "1..$ntest"
[ "$nfail" -eq 0 ]
