# Sourced by tests/lib/guest.sh and tests/lib/fuse.sh.
#   proc_wait_exit PID POLLS   wait up to POLLS x 0.05 s for PID, a child of
#                              this shell, to exit: status 0 and its exit
#                              status in $proc_rc, or status 1 if it still runs
# Call it directly, never in $(...): only the shell that started PID can
# wait for it.

proc_rc=

proc_wait_exit() {
	proc_rc=
	for _ in $(seq "$2"); do
		if ! kill -0 "$1" 2>/dev/null; then
			wait "$1"
			proc_rc=$?
			return 0
		fi
		sleep 0.05
	done
	return 1
}
