#!/bin/sh
# The soak workload, run inside the test guest as /bin/guest-run MNT (busybox
# sh). For SOAK_SECONDS it runs rounds of ROUND_SECONDS each; a round runs
# stress-ng's filesystem stressors and two fio jobs with verification at
# the same time in MNT/soak, then removes what they left. Settings come
# from /etc/soak.conf (written by tests/soak/run-soak.sh; $SOAK_CONF
# overrides the path):
#   SOAK_SECONDS=N   total time of the rounds
#   ROUND_SECONDS=N  time of one round
#   FIO_SIZE=SIZE    size of each fio job's file (fio syntax, e.g. 16m)
#   SKIP_STRESSORS="NAME..."  stressors of the list below left out
#
# Prints TAP: one line per tool run (stress-ng exits 0 and logs no "fail",
# fio exits 0 and each job has err=0), then the clean-up of the share, and
# a "# soak totals:" line the host reads for its report.
set -u

mnt=${1:?usage: guest-run MNT}
SOAK_SECONDS=30
ROUND_SECONDS=30
FIO_SIZE=16m
SKIP_STRESSORS=
# shellcheck disable=SC1091
conf=${SOAK_CONF:-/etc/soak.conf}
[ -r "$conf" ] && . "$conf"

# Stressors that run on a virtio-fs mount in this guest; those without a
# --verify mode ignore it. Left out: fiemap (no FIEMAP on FUSE), inode-flags
# and mmap (no operations reach the daemon), readahead (its setup outlasts
# a short round). lockf takes its locks without waiting
# (--lockf-nonblock): with vfsd's --posix-lock the guest's POSIX locks are
# host OFD locks, which have no deadlock detection, so the two lockf
# processes that each waited for a range the other held waited for
# ever where a local filesystem answers EDEADLK. vfsd now answers EDEADLK
# there itself (src/fs/pt_lockgraph.c); the flag stays until a soak has
# run stress-ng's waiting mode against that.
STRESSORS="dentry dir dirdeep fallocate fstat hdd link lockf flock rename
seek symlink sync-file xattr utime chmod chown iomix open getdent filename
fcntl copy-file fpunch file-ioctl close"

ntest=0
nfail=0
check() { # NAME STATUS [REASON]
	ntest=$((ntest + 1))
	if [ "$2" -eq 0 ]; then
		echo "ok $ntest - $1"
	else
		nfail=$((nfail + 1))
		echo "not ok $ntest - $1${3:+: $3}"
	fi
}

# Shown on failure only: the tool's own words are the diagnosis.
show_tail() { # FILE
	tail -n 15 "$1" | sed 's/^/# /'
}

work=$mnt/soak
tmp=/tmp/soak
mkdir -p "$tmp"
total_bogo=0
total_fio_w=0
total_fio_r=0

stress_args() { # -> "--NAME 1" for every stressor not skipped
	for s in $STRESSORS; do
		case " $SKIP_STRESSORS " in
		*" $s "*) ;;
		*) printf -- '--%s 1 ' "$s" ;;
		esac
	done
}

write_fio_job() { # DIR SECONDS
	cat >"$tmp/fio.job" <<EOF
[global]
directory=$1
ioengine=psync
size=$FIO_SIZE
verify=crc32c
verify_fatal=1
do_verify=1
time_based=1
runtime=$2

; Random 4 KiB writes; every 64 blocks written are read back and checked.
[randwrite-verify]
rw=randwrite
bs=4k
verify_backlog=64

; Mixed random reads and writes of odd sizes, checked the same way.
[randrw-verify]
rw=randrw
bsrange=512-64k
verify_backlog=32
EOF
}

# Terse output, one line per job: field 3 job name, 5 error, 6 KiB read
# (verification reads included), 47 KiB written.
fio_result() { # ROUND RC TERSE-FILE LOG
	local round=$1 rc=$2 out=$3 log=$4 jobs bad w r
	jobs=$(grep -c '^3;' "$out")
	bad=$(awk -F';' '/^3;/ && $5 != 0 { printf "%s err=%s ", $3, $5 }' "$out")
	w=$(awk -F';' '/^3;/ { s += $47 } END { print s + 0 }' "$out")
	r=$(awk -F';' '/^3;/ { s += $6 } END { print s + 0 }' "$out")
	total_fio_w=$((total_fio_w + w))
	total_fio_r=$((total_fio_r + r))
	[ "$rc" -eq 0 ] && [ "$jobs" -eq 2 ] && [ -z "$bad" ]
	check "round $round: fio randwrite+randrw, verify=crc32c: err=0, $w KiB written, $r KiB read back" \
		$? "rc=$rc, $jobs job results, $bad"
	[ "$rc" -eq 0 ] && [ -z "$bad" ] || show_tail "$log"
}

stress_result() { # ROUND RC OUT YAML
	local round=$1 rc=$2 out=$3 yaml=$4 bogo fails n
	bogo=$(awk '/bogo-ops:/ { s += $2 } END { print s + 0 }' "$yaml" 2>/dev/null)
	n=$(grep -c 'stressor:' "$yaml" 2>/dev/null)
	total_bogo=$((total_bogo + bogo))
	fails=$(grep -E ' fail: |unsuccessful run' "$out" | head -n 3)
	[ "$rc" -eq 0 ] && [ -z "$fails" ]
	check "round $round: stress-ng --verify, ${n:-0} stressors: exit 0, no failure, $bogo bogo ops" \
		$? "exit $rc${fails:+, $fails}"
	[ "$rc" -eq 0 ] && [ -z "$fails" ] || show_tail "$out"
	# Which stressors outlast the round, and what each did.
	awk '/- stressor:/ { s = $3 } /bogo-ops:/ { b[s] = $2 }
		/wall-clock-time:/ { printf "%s %d %.0f\n", s, b[s], $2 }' \
		"$yaml" 2>/dev/null | sort -k3 -n -r |
		awk '{ l = l sep $1 " " $2 " ops/" $3 " s"; sep = ", " }
			END { print "# round '"$round"' stress-ng: " l }'
}

run_round() { # ROUND SECONDS
	local round=$1 secs=$2 fio_pid fio_rc sng_rc t0
	t0=$(date +%s)
	mkdir -p "$work/fio" "$work/sng"
	write_fio_job "$work/fio" "$secs"
	fio --output-format=terse --output="$tmp/fio.terse" "$tmp/fio.job" \
		>"$tmp/fio.log" 2>&1 &
	fio_pid=$!
	stress-ng --temp-path "$work/sng" --timeout "${secs}s" --verify \
		--metrics-brief --yaml "$tmp/sng.yaml" $(stress_args) \
		--lockf-nonblock \
		>"$tmp/sng.out" 2>&1
	sng_rc=$?
	echo "# round $round: stress-ng done after $(($(date +%s) - t0)) s"
	wait "$fio_pid"
	fio_rc=$?
	echo "# round $round: fio done after $(($(date +%s) - t0)) s"
	stress_result "$round" "$sng_rc" "$tmp/sng.out" "$tmp/sng.yaml"
	fio_result "$round" "$fio_rc" "$tmp/fio.terse" "$tmp/fio.log"
	# What a round leaves is removed, so rounds do not pile up files and
	# the host sees the daemon's tables shrink back.
	rm -rf "$work/fio" "$work/sng"
	check "round $round: the round's files removed" \
		"$([ ! -e "$work/fio" ] && [ ! -e "$work/sng" ]; echo $?)"
}

start=$(date +%s)
round=0
while :; do
	left=$((start + SOAK_SECONDS - $(date +%s)))
	# The last round takes what is left, unless that is too short to
	# do anything useful.
	[ "$round" -eq 0 ] || [ "$left" -ge 10 ] || break
	secs=$ROUND_SECONDS
	[ "$left" -lt "$secs" ] && secs=$left
	[ "$secs" -lt 10 ] && secs=10
	round=$((round + 1))
	echo "# round $round: ${secs} s, $(($(date +%s) - start)) s elapsed"
	run_round "$round" "$secs"
done

rmdir "$work"
check "share clean after $round rounds" $? "$(ls -A "$work" 2>&1 | head -n 5)"
echo "# soak totals: rounds=$round seconds=$(($(date +%s) - start)) stress_ng_bogo_ops=$total_bogo fio_written_kib=$total_fio_w fio_read_kib=$total_fio_r"
# Idle, still mounted: the dropped dentries send their FORGETs, and the
# host reads the daemon's tables (vfsd stats) while nothing is going on.
sync
echo 2 >/proc/sys/vm/drop_caches
echo "# soak idle: the host counts now"
sleep 6
echo "1..$ntest"
[ "$nfail" -eq 0 ]
