# The start every shell test runner shares. Source it right after `set -u`
# (it sources tap.sh):
#   runner_opts VAR=--opt... -- "$@"
#                         each "--opt VALUE" of the arguments into VAR; an
#                         unknown argument prints the usage and exits 2
#   bail MSG              "Bail out! MSG" (after runner_diag, if the runner
#                         defines one), exit 1: the runner could not test
#   skip_all REASON       "1..0 # SKIP REASON", exit 0: nothing can run here
#                         (a peer or a privilege is really missing)
#   need_root             skip_all unless root
#   need_cmd CMD...       skip_all naming the first CMD not installed
#   need_exec PATH OPT    bail unless PATH is executable (given by OPT)
#   runner_work NAME      a fresh $work (${TMPDIR:-/tmp}/vfsd-NAME.XXXXXX);
#                         at exit the runner's cleanup() runs, if it has
#                         one, then $work goes (kept when $keep is set);
#                         INT and TERM exit 130 through the same path
#   runner_private_ns ARG...
#                         run the runner again with ARGs in a private mount
#                         namespace (and return there), so that whatever
#                         it mounts goes away with it; skip_all without
#                         unshare

# shellcheck source=tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

runner_opts() {
	local specs=() spec opt found
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		specs+=("$1")
		shift
	done
	shift
	while [ $# -gt 0 ]; do
		found=
		for spec in "${specs[@]}"; do
			opt=${spec#*=}
			if [ "$1" = "$opt" ] && [ $# -ge 2 ]; then
				printf -v "${spec%%=*}" '%s' "$2"
				found=1
				shift
				break
			fi
		done
		if [ -z "$found" ]; then
			echo "usage: $0$(printf ' [%s PATH]' "${specs[@]#*=}")" >&2
			exit 2
		fi
		shift
	done
}

bail() {
	declare -F runner_diag >/dev/null && runner_diag
	echo "Bail out! $1"
	exit 1
}

skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

need_root() {
	[ "$(id -u)" -eq 0 ] || skip_all "needs root"
}

need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || skip_all "$c not installed"
	done
}

need_exec() {
	[ -n "$1" ] && [ -x "$1" ] || bail "need $2${1:+ ($1 is not executable)}"
}

runner_exit() {
	declare -F cleanup >/dev/null && cleanup
	if [ -n "${keep:-}" ]; then
		echo "# kept $work"
	else
		rm -rf "$work"
	fi
}

runner_work() {
	work=$(mktemp -d "${TMPDIR:-/tmp}/vfsd-$1.XXXXXX") || bail "mktemp failed"
	trap runner_exit EXIT
	trap 'exit 130' INT TERM
}

runner_private_ns() {
	if [ -n "${VFSD_RUNNER_NS:-}" ]; then
		# Not inherited: a runner this one starts has its own.
		unset VFSD_RUNNER_NS
		return 0
	fi
	need_cmd unshare
	VFSD_RUNNER_NS=1 exec unshare --mount --propagation private "$0" "$@"
	skip_all "unshare failed"
}
