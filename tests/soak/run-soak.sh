#!/bin/bash
# Soak: a TCG guest runs stress-ng's filesystem stressors and fio with
# verification on the share for --seconds (tests/soak/guest-soak.sh, in
# rounds) against vfsd, normally the ASan+UBSan build. Meanwhile the host
# samples the daemon's RSS and open fds every --interval seconds into a CSV.
#
#   run-soak.sh --daemon-bin VFSD [--seconds N] [--round N] [--interval N]
#               [--skip-stressors "NAME..."] [--fio-size SIZE] [--csv FILE]
#               [--timeout S] [--keep] [--daemon-arg ARG]...
#
# Checks (TAP): every guest tool run passed (stress-ng exit 0 and no "fail",
# fio err=0), the guest unmounted and powered off, no sanitizer report in
# the daemon log, the daemon exits 0 by itself once QEMU is gone, its fds
# after the guest's umount are back to the count when the guest mounted
# (+2), `vfsd stats` with the guest idle after the workload shows no
# handle and only the root inode, and its private RSS (RssAnon) at the end is at most the one at the
# baseline plus 128 MiB (see rss_bound). VmRSS is sampled and reported too,
# but it also counts the guest RAM pages the daemon touched (RssShmem: the
# guest's memfd mapped by the daemon), which grow towards the guest's RAM
# size as the guest uses other buffers. Needs root, stress-ng and fio.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=../lib/runner.sh
. "$top/tests/lib/runner.sh"
# shellcheck source=../lib/guest.sh
. "$top/tests/lib/guest.sh"

daemon_bin=
seconds=30
round=60
interval=5
csv=
skip=
fio_size=16m
timeout_s=
keep=
daemon_args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--daemon-bin) daemon_bin=${2:-}; shift ;;
	--seconds) seconds=${2:-}; shift ;;
	--round) round=${2:-}; shift ;;
	--interval) interval=${2:-}; shift ;;
	--csv) csv=${2:-}; shift ;;
	--timeout) timeout_s=${2:-}; shift ;;
	--daemon-arg) daemon_args+=("${2:-}"); shift ;;
	--keep) keep=1 ;;
	--skip-stressors) skip=${2:-}; shift ;;
	--fio-size) fio_size=${2:-}; shift ;;
	*) sed -n '7,9p' "$0" >&2; exit 2 ;;
	esac
	shift
done
need_exec "$daemon_bin" --daemon-bin
need_root
need_cmd stress-ng fio
# Boot, the rounds' overrun (stressors finish their last operation) and the
# daemon's exit come on top of the soak itself; TCG under load is slow.
[ -n "$timeout_s" ] || timeout_s=$((seconds + seconds / 2 + 300))

# Sanitizer reports end up in the daemon log. ASan keeps freed memory in a
# quarantine (256 MiB by default) that makes RSS grow until it is full;
# a smaller one lets the RSS check see the daemon's own memory sooner.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
case "$ASAN_OPTIONS" in
*quarantine_size_mb=*) ;;
*) ASAN_OPTIONS=$ASAN_OPTIONS:quarantine_size_mb=64 ;;
esac
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

runner_work soak
chmod 0755 "$work"
cleanup() { guest_cleanup; }

fail_out() { # NAME REASON: a setup step failed, nothing more to check
	check "$1" 1 "$2"
	echo "1..$ntest"
	exit 1
}

# --- guest, share, daemon ---------------------------------------------------

cat >"$work/soak.conf" <<EOF
SOAK_SECONDS=$seconds
ROUND_SECONDS=$round
SKIP_STRESSORS="$skip"
FIO_SIZE=$fio_size
EOF
guest_prepare "$work/initrd.gz" /bin/busybox \
	--bin "$(command -v stress-ng)" --bin "$(command -v fio)" \
	--file "$here/guest-soak.sh:/bin/guest-run" \
	--file "$work/soak.conf:/etc/soak.conf" >"$work/initrd.log" 2>&1 ||
	fail_out "guest kernel and initramfs" "$(tail -n 3 "$work/initrd.log")"

share=$work/share
mkdir -m 0755 "$share"
stats_sock=$work/stats.sock
# Without the sandbox and seccomp, as the e2e-asan suite runs the sanitized
# daemon (LeakSanitizer's exit check needs /proc and ptrace); host-side
# locks and a worker pool, so the lock stressors reach pt_lock.c.
guest_start_daemon vfsd "$daemon_bin" "$share" "$work/vhost.sock" \
	"$work/daemon.log" --sandbox=none --seccomp=none \
	--posix-lock --flock --thread-pool-size=4 \
	--stats-socket="$stats_sock" "${daemon_args[@]}" ||
	fail_out "vfsd started" "$(tail -n 3 "$work/daemon.log")"
sleep 0.2
fds_start=$(guest_count_fds "$guest_daemon_pid")
rss_start=$(guest_rss_kb "$guest_daemon_pid")
anon_start=$(guest_rss_kb "$guest_daemon_pid" RssAnon)

# --- sampling while the guest runs ------------------------------------------

samples=$work/samples.csv
echo "seconds,phase,rss_kb,anon_kb,fds" >"$samples"
t_boot=$(date +%s)
t_next=$t_boot
t_soak=			# when the guest's workload began (its BEGIN line)
t_base=			# when to take the baseline RSS
anon_base=
fds_mount=		# with the guest connected and mounted, before its workload
fds_end=
t_idle=			# when the guest said it is idle
idle_done=
t_end=			# when the guest's END line came, in ns
end_done=
stats_end=$work/stats-idle.json

# The baseline is the RssAnon after the first minute of the workload, or after
# half of it for a soak shorter than two minutes: by then the daemon's
# tables and the allocator have grown to what this workload needs.
base_delay=60
[ "$seconds" -lt 120 ] && base_delay=$((seconds / 2))

sample() { # PHASE
	local now rss anon fds
	# A daemon that is gone has no fds to count, which is not zero.
	kill -0 "$guest_daemon_pid" 2>/dev/null || return 0
	now=$(date +%s)
	rss=$(guest_rss_kb "$guest_daemon_pid")
	anon=$(guest_rss_kb "$guest_daemon_pid" RssAnon)
	fds=$(guest_count_fds "$guest_daemon_pid")
	# An exited daemon not yet reaped still answers kill -0.
	[ "$rss" -gt 0 ] || return 0
	echo "$((now - t_boot)),$1,$rss,$anon,$fds" >>"$samples"
	if [ -n "$t_base" ] && [ -z "$anon_base" ] && [ "$now" -ge "$t_base" ]; then
		anon_base=$anon
	fi
}

guest_poll() {
	local now phase=boot
	now=$(date +%s)
	if [ -z "$t_soak" ] && grep -q '=== VFSD-E2E BEGIN' "$work/serial.log"; then
		t_soak=$now
		t_base=$((now + base_delay))
		fds_mount=$(guest_count_fds "$guest_daemon_pid")
	fi
	[ -n "$t_soak" ] && phase=soak
	if [ -z "$t_idle" ] && grep -q '^# soak idle' "$work/serial.log"; then
		t_idle=$(date +%s)
	fi
	# The guest is idle for 6 s with the share mounted: once its FORGETs
	# have been served (2 s), read the daemon's tables.
	if [ -n "$t_idle" ] && [ -z "$idle_done" ] && [ "$now" -ge $((t_idle + 2)) ]; then
		idle_done=1
		"$daemon_bin" stats "$stats_sock" --json >"$stats_end" 2>&1
		sample idle
	fi
	if [ -z "$t_end" ] && grep -q '=== VFSD-E2E END' "$work/serial.log"; then
		t_end=$(date +%s%N)
	fi
	if [ -n "$t_end" ]; then
		# The guest unmounted and waits 3 s before it powers off: once
		# the DESTROY has been served (0.5 s), count.
		if [ -z "$end_done" ] && [ $(($(date +%s%N) - t_end)) -ge 500000000 ]; then
			end_done=1
			kill -0 "$guest_daemon_pid" 2>/dev/null || return 0
			fds_end=$(guest_count_fds "$guest_daemon_pid")
			[ "$fds_end" -gt 0 ] || fds_end=
			sample unmounted
		fi
		return 0
	fi
	if [ "$now" -ge "$t_next" ]; then
		sample "$phase"
		t_next=$((now + interval))
	fi
}

guest_boot "$work/initrd.gz" "$work/vhost.sock" soak run "$timeout_s"
guest_check_boot "$timeout_s"
guest_relay_tap guest
grep '^# ' "$work/guest.txt"
guest_wait_daemon 60
check "vfsd exited by itself with status 0 after QEMU went away" \
	"$([ "${guest_daemon_rc:-x}" = 0 ]; echo $?)" \
	"status ${guest_daemon_rc:-still running after 60 s}"

# --- the curves -------------------------------------------------------------

[ -n "$csv" ] && cp "$samples" "$csv"
summary() { # COLUMN -> "start max end" over the samples taken during the soak
	awk -F, -v c="$1" 'NR > 1 && $2 != "boot" {
		if (n++ == 0) first = $c
		if ($c > max) max = $c
		last = $c
	} END { print first + 0, max + 0, last + 0 }' "$samples"
}
read -r rss_first rss_max rss_last < <(summary 3)
read -r anon_first anon_max anon_last < <(summary 4)
read -r fds_first fds_max fds_last < <(summary 5)
nsamples=$(($(wc -l <"$samples") - 1))
echo "# daemon before the guest: VmRSS $rss_start KiB, RssAnon $anon_start KiB, $fds_start fds"
echo "# VmRSS KiB during the soak ($nsamples samples every $interval s): start $rss_first, max $rss_max, end $rss_last"
echo "# RssAnon KiB during the soak: start $anon_first, max $anon_max, end $anon_last; baseline ${anon_base:-none}"
echo "# fds during the soak: start $fds_first, max $fds_max, end $fds_last; at the mount ${fds_mount:-unknown}, after the guest's umount ${fds_end:-unknown}"
[ -n "$csv" ] && echo "# samples in $csv"

# Until QEMU leaves, the connection holds its socket, each queue's kick,
# call and error eventfds and the guest memory's fds: the start to come
# back to is the count once the guest mounted, before its workload.
check "daemon fds after the guest's umount back to the start (${fds_mount:-unknown} + 2)" \
	"$([ -n "$fds_end" ] && [ -n "$fds_mount" ] && [ "$fds_end" -le $((fds_mount + 2)) ]; echo $?)" \
	"${fds_end:-not counted} after the umount"

# Idle after the workload, with the guest's dentries dropped, the daemon
# holds no handle and no inode but the root.
python3 - "$stats_end" >"$work/stats.check" 2>&1 <<'PY'
import json, sys
try:
    st = json.load(open(sys.argv[1]))
except (OSError, ValueError) as e:
    print("no stats: %s" % e)
    sys.exit(1)
req = st["requests"]
print("# vfsd stats with the guest idle: %d requests, %d errors, %d bytes read, "
      "%d written; inodes %d, handles %d, open fds %d, in flight %d"
      % (sum(v["count"] for v in req.values()),
         sum(v["errors"] for v in req.values()), st["bytes_read"],
         st["bytes_written"], st["inodes"], st["handles"], st["open_fds"],
         st["in_flight"]))
top = sorted(req.items(), key=lambda kv: -kv[1]["count"])[:8]
print("# busiest: " + ", ".join("%s %d" % (k, v["count"]) for k, v in top))
if st["errors_by_errno"]:
    print("# errors by errno: " + ", ".join(
        "%s %d" % kv for kv in sorted(st["errors_by_errno"].items())))
sys.exit(0 if st["handles"] == 0 and st["inodes"] <= 1 and
         st["in_flight"] == 0 else 1)
PY
stats_ok=$?
grep '^# ' "$work/stats.check"
check "vfsd stats with the guest idle: no handle, no inode but the root, nothing in flight" \
	"$stats_ok" "$(grep -v '^# ' "$work/stats.check" | head -n 2)"

# RSS bound: the two values are amounts of memory at two points of one run,
# not rates, so a slow machine changes how much work the soak does, not
# what is compared. 128 MiB: ASan's quarantine (64 MiB, set above) may fill
# after the baseline, plus 64 MiB for allocator caches and thread arenas;
# a leak of a few hundred bytes per request is well past it after the
# several hundred thousand requests of a long run.
rss_bound=$(( ${anon_base:-0} + 128 * 1024 ))
check "daemon RssAnon at the end ($anon_last KiB) within the baseline (${anon_base:-none} KiB) + 128 MiB" \
	"$([ -n "$anon_base" ] && [ "$anon_last" -gt 0 ] && [ "$anon_last" -le "$rss_bound" ]; echo $?)" \
	"bound $rss_bound KiB"

check_sanitizer "$work/daemon.log"

echo "1..$ntest"
if [ "$nfail" -ne 0 ]; then
	guest_diag_all
	exit 1
fi
