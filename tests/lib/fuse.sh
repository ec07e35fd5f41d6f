# Sourced by the runners that serve a share over the host's FUSE client
# (vfsd --fuse-mount), after tap.sh. The runner sets $daemon_bin, $share,
# $mnt and $log; $pid is the daemon these functions started (empty when
# there is none) and $status how it ended. The runner's EXIT trap calls
# fuse_cleanup (or ends $pid its own way).
#
#   fuse_mounted          $mnt is a vfsd mount now
#   fuse_start [ARG...]   start $daemon_bin serving $share at $mnt with ARG...
#                         in the background ($pid), its output in $log
#                         (emptied first unless $fuse_keep_log is set), and
#                         wait up to 20 s for the mount and, if the runner
#                         defines fuse_ready, for fuse_ready to succeed;
#                         status 1 if the daemon died first or time ran out
#   fuse_wait_exit        wait up to 30 s for $pid to exit by itself: its exit
#                         status in $status and $pid emptied, or $status
#                         "timeout" and status 1 ($pid kept)
#   fuse_kill             SIGKILL $pid and reap it; $pid emptied
#   fuse_stop             SIGTERM $pid and fuse_wait_exit; fuse_kill if it
#                         did not exit ($status stays "timeout")
#   fuse_cleanup          SIGKILL $pid if set, lazy-unmount $mnt; unmount
#                         fusectl if fusectl_ensure mounted it
#   fusectl_ensure        make /sys/fs/fuse/connections a fusectl mount (a
#                         host without systemd has none); status 1 if it
#                         cannot be
#   fuse_e2e_round LABEL  with $guest_bin and $work set: the core test
#                         program over $mnt, SIGTERM (exit 0, nothing left
#                         mounted), then its host-side check of $share;
#                         five TAP lines
#   fuse_daemon_arg "$@"  a runner's one option, --daemon-bin PATH, into
#                         $daemon_bin; Bail out! without it
#   fuse_runner NAME "$@" fuse_daemon_arg, and a fresh $work
#                         (/tmp/vfsd-NAME.XXXXXX) with $share, $mnt and $log,
#                         removed with the mount when the runner exits

. "$(dirname "${BASH_SOURCE[0]}")/proc.sh"

fuse_e2e_round() {
	local run_rc fails total hc_rc
	"$guest_bin" run "$mnt" >"$work/run.log" 2>&1
	run_rc=$?
	fails=$(grep -c '^not ok' "$work/run.log")
	total=$(grep -c '^\(not \)\?ok' "$work/run.log")
	grep '^not ok' "$work/run.log" | sed 's/^/# /'
	check "e2e_ops over /dev/fuse$1: $total checks, $fails failed" \
		$(( run_rc != 0 || fails != 0 || total == 0 )) "exit $run_rc"
	kill -TERM "$pid"
	fuse_wait_exit
	check "SIGTERM: vfsd exits with status 0" \
		"$([ "$status" = 0 ]; echo $?)" "status $status"
	fuse_mounted
	check "SIGTERM: nothing left mounted" $(( ! $? ))
	"$guest_bin" host-check "$share" >"$work/hostcheck.log" 2>&1
	hc_rc=$?
	grep '^not ok' "$work/hostcheck.log" | sed 's/^/# /'
	check "host-check: what the program wrote is on the host" "$hc_rc"
}

pid=
status=
# Generous: a sanitized daemon's start and its leak check at exit take
# seconds on a loaded 2-core machine; a daemon that works never waits long.
fuse_start_polls=400	# x 0.05 s
fuse_exit_polls=600	# x 0.05 s
# A runner that checks every daemon's log at the end keeps one log.
fuse_keep_log=

fuse_mounted() {
	grep -q " $mnt fuse.vfsd " /proc/mounts
}

fuse_start() {
	[ -n "$fuse_keep_log" ] || : >"$log"
	"$daemon_bin" --fuse-mount="$mnt" --shared-dir="$share" "$@" \
		>>"$log" 2>&1 &
	pid=$!
	for _ in $(seq $fuse_start_polls); do
		if fuse_mounted; then
			declare -F fuse_ready >/dev/null || return 0
			fuse_ready && return 0
		fi
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# Call it directly, never in $(...): only the shell that started the daemon
# can wait for it.
fuse_wait_exit() {
	status=timeout
	proc_wait_exit "$pid" "$fuse_exit_polls" || return 1
	status=$proc_rc
	pid=
}

fuse_kill() {
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
}

fuse_stop() {
	kill -TERM "$pid" 2>/dev/null
	fuse_wait_exit && return 0
	fuse_kill
	return 1
}

# Set when this runner mounted fusectl, so that cleanup leaves the host
# as it found it.
fusectl_mounted_here=

fusectl_ensure() {
	local dir=/sys/fs/fuse/connections
	grep -q " $dir fusectl " /proc/mounts && return 0
	[ -d "$dir" ] || return 1
	mount -t fusectl fusectl "$dir" || return 1
	fusectl_mounted_here=1
}

fuse_cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	umount -l "$mnt" 2>/dev/null
	if [ -n "$fusectl_mounted_here" ]; then
		umount /sys/fs/fuse/connections 2>/dev/null
		fusectl_mounted_here=
	fi
}

# The runners' shared start (options, skips, the work directory).
declare -F runner_work >/dev/null ||
	. "$(dirname "${BASH_SOURCE[0]}")/runner.sh"

fuse_daemon_arg() {
	daemon_bin=
	runner_opts daemon_bin=--daemon-bin -- "$@"
	need_exec "$daemon_bin" --daemon-bin
}

# The runner's cleanup() is fuse_cleanup unless it defines its own (which
# calls fuse_cleanup); runner_work removes $work after it.
fuse_runner() {
	local name=$1
	shift
	fuse_daemon_arg "$@"
	runner_work "$name"
	share=$work/share
	mnt=$work/mnt
	log=$work/vfsd.log
	declare -F cleanup >/dev/null || cleanup() { fuse_cleanup; }
	mkdir -p "$share" "$mnt"
	chmod 0755 "$work" "$share"
}
