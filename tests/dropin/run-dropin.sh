#!/bin/bash
# vfsd as a drop-in for the Rust virtiofsd 1.13.3, on the host, without a
# guest (tests/e2e, tests/libvirt/argv-replay.sh and tests/client do the
# rest):
#  - every option and -o form virtiofsd 1.13.3 accepts (read from the
#    peer's --help; a visible SKIP where the peer is missing) is accepted by
#    vfsd, or refused by name with a reason; each has a row in
#    docs/OPTIONS.md;
#  - one daemon per socket: a second vfsd on a live socket refuses with one
#    line and leaves the first serving; the lock of a killed daemon does
#    not block the next;
#  - without root: namespace, chroot and none each serve, as the user;
#  - what a new user sees: a bare `vfsd`, --help, a bad --socket-group.
#
#   tests/dropin/run-dropin.sh VFSD VFSD_CLIENT
#
# Prints TAP; needs root (it makes a user for the rootless part).
set -u

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
vfsd=${1:?usage: run-dropin.sh VFSD VFSD_CLIENT}
client=${2:?usage: run-dropin.sh VFSD VFSD_CLIENT}
# shellcheck source=../lib/runner.sh
. "$top/tests/lib/runner.sh"
. "$top/tests/lib/guest.sh"
. "$top/tests/lib/rootless.sh"
. "$top/tests/lib/proc.sh"
rs=$(guest_rust_virtiofsd)
options_md=$top/docs/OPTIONS.md

need_root
runner_work dropin
chmod 0755 "$work"
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
	rootless_user_del
}
mkdir -m 0755 "$work/bin" "$work/share"
# Where a test user can run them (the build may be in /root).
cp "$vfsd" "$work/bin/vfsd" && vfsd=$work/bin/vfsd
cp "$client" "$work/bin/vfsd-client" && client=$work/bin/vfsd-client

# --- options ---------------------------------------------------------------

# A value each option takes (virtiofsd's syntax); empty for a flag.
sample() {
	case "$1" in
	--shared-dir) echo "=$work/share" ;;
	--tag) echo "=fs0" ;;
	--socket | --socket-path) echo "=$work/x.sock" ;;
	--socket-group) echo "=root" ;;
	--fd) echo "=3" ;;
	--thread-pool-size) echo "=4" ;;
	--xattrmap) echo "=:map::user.virtiofs.:" ;;
	--sandbox) echo "=chroot" ;;
	--seccomp) echo "=log" ;;
	--inode-file-handles) echo "=fallback" ;;
	--cache) echo "=metadata" ;;
	--modcaps) echo "=+sys_admin:-mknod" ;;
	--log-level) echo "=trace" ;;
	--rlimit-nofile) echo "=0" ;;
	--uid-map | --gid-map) echo "=:0:1000:1:" ;;
	--translate-uid | --translate-gid) echo "=map:0:1000:1" ;;
	--migration-mode) echo "=find-paths" ;;
	--migration-on-error) echo "=guest-error" ;;
	-o) echo " xattr" ;;
	esac
}

# Refused by name, with the reason in the message (none at the moment:
# the migration options of old are taken since issue 14).
refused() {
	case "$1" in
	esac
}

if [ -x "$rs" ]; then
	mapfile -t opts < <("$rs" --help | sed -n 's/^ *\(-[a-zA-Z], \)\{0,1\}\(--\{0,1\}[a-zA-Z][a-z0-9-]*\).*/\2/p' |
		grep -E '^-' | sort -u)
	check "virtiofsd 1.13.3 --help lists its options (${#opts[@]})" \
		"$([ "${#opts[@]}" -ge 40 ]; echo $?)" "${opts[*]}"
	for o in "${opts[@]}"; do
		v=$(sample "$o")
		why=$(refused "$o")
		case "$o" in
		--help | -h | --version | -V | --print-capabilities) args=("$o") ;;
		-o) args=(-o xattr --print-capabilities) ;;
		*) args=("$o$v" --print-capabilities) ;;
		esac
		out=$("$vfsd" "${args[@]}" 2>&1 </dev/null)
		rc=$?
		if [ -n "$why" ]; then
			check "$o: refused by name, with the reason" \
				"$([ "$rc" -eq 1 ] && printf '%s' "$out" | grep -q -- "'$o' is not supported: .*$why"; echo $?)" \
				"status $rc: $out"
		else
			check "$o${v}: accepted" "$([ "$rc" -eq 0 ]; echo $?)" "status $rc: $out"
		fi
		check "$o has a row in docs/OPTIONS.md" \
			"$(grep -qE -- "^\| (\`-[a-zA-Z]\`, )?\`$o[ =\`]" "$options_md"; echo $?)"
	done
	# The -o forms virtiofsd 1.13.3 takes (src/main.rs, parse_compat).
	for o in xattr no_xattr readdirplus no_readdirplus writeback no_writeback \
		allow_direct_io no_allow_direct_io announce_submounts killpriv_v2 \
		no_killpriv_v2 posix_acl no_posix_acl security_label \
		no_security_label no_posix_lock no_flock xattrmap=:ok:all::: \
		cache=auto cache=always cache=none cache=metadata loglevel=debug \
		loglevel=info loglevel=warn loglevel=err sandbox=namespace \
		sandbox=chroot source=/tmp modcaps=+sys_admin; do
		out=$("$rs" -o "$o" --print-capabilities 2>&1)
		check "-o $o: accepted by virtiofsd 1.13.3 too" $? "$out"
		out=$("$vfsd" -o "$o" --print-capabilities 2>&1)
		check "-o $o: accepted" $? "$out"
	done
else
	skip "vfsd accepts every option of virtiofsd 1.13.3's --help" "$rs not found"
fi
# QEMU's C virtiofsd's -o forms the Rust one dropped; libvirt 9 passes some.
for o in debug allow_root log_level=debug thread_pool_size=2 flock posix_lock \
	inode_file_handles=prefer no_announce_submounts; do
	out=$("$vfsd" -o "$o" --print-capabilities 2>&1)
	check "-o $o (QEMU's virtiofsd): accepted" $? "$out"
done

# --- one daemon per socket ------------------------------------------------

sock=$work/one.sock
"$vfsd" --socket-path="$sock" --shared-dir="$work/share" >"$work/first.log" 2>&1 &
first=$!
pids+=("$first")
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
ino=$(stat -c %i "$sock" 2>/dev/null)
# Bounded: a daemon that took the socket over would serve forever.
timeout 10 "$vfsd" --socket-path="$sock" --shared-dir="$work/share" >"$work/second.log" 2>&1
rc=$?
echo "# the second daemon said: $(cat "$work/second.log")"
check "a second vfsd on a live socket exits with status 1 and one line" \
	"$([ "$rc" -eq 1 ] && [ "$(wc -l <"$work/second.log")" -eq 1 ] &&
		grep -q "another daemon (pid $first) serves $sock and holds $sock.pid" "$work/second.log"; echo $?)" \
	"status $rc: $(cat "$work/second.log")"
check "the first one's socket is untouched" \
	"$([ "$(stat -c %i "$sock" 2>/dev/null)" = "$ino" ] && kill -0 "$first"; echo $?)"
"$client" probe --socket="$sock" >"$work/first.probe" 2>&1
check "the first one still serves a front end" \
	"$(grep -q '^create.root=0$' "$work/first.probe"; echo $?)" "$(tail -n 3 "$work/first.probe")"
proc_wait_exit "$first" 200
check "and exits with status 0 when it goes" "$([ "${proc_rc:-x}" = 0 ]; echo $?)" "status ${proc_rc:-running}"

# A daemon killed outright leaves its socket and pid file: no lock.
"$vfsd" --socket-path="$sock" --shared-dir="$work/share" --sandbox=none >"$work/killed.log" 2>&1 &
killed=$!
pids+=("$killed")
for _ in $(seq 100); do grep -q "serving" "$work/killed.log" && break; sleep 0.05; done
kill -KILL "$killed"
wait "$killed" 2>/dev/null
check "a killed daemon left $sock and $sock.pid behind" \
	"$([ -S "$sock" ] && [ -f "$sock.pid" ]; echo $?)"
"$vfsd" --socket-path="$sock" --shared-dir="$work/share" >"$work/third.log" 2>&1 &
third=$!
pids+=("$third")
for _ in $(seq 100); do grep -q "serving" "$work/third.log" && break; sleep 0.05; done
check "their stale lock does not block the next daemon on the path" \
	"$(grep -q "serving '$work/share' on $sock" "$work/third.log" &&
		[ "$(cat "$sock.pid")" = "$third" ]; echo $?)" "$(cat "$work/third.log")"
"$client" probe --socket="$sock" >"$work/third.probe" 2>&1
check "which serves a front end there" \
	"$(grep -q '^create.root=' "$work/third.probe"; echo $?)" "$(tail -n 3 "$work/third.probe")"
proc_wait_exit "$third" 200

# --- without root ---------------------------------------------------------

if rootless_ready "vfsd without root"; then
	mkdir -m 0700 "$work/rl" && chown "$rl_uid:$rl_gid" "$work/rl"
	for mode in namespace chroot none; do
		mkdir -m 0755 "$work/rl/$mode" && chown "$rl_uid:$rl_gid" "$work/rl/$mode"
		VFSD_CLIENT_BACKEND_LOG=$work/rl/$mode.log rootless_run "$client" probe \
			--shared-dir="$work/rl/$mode" -- "$vfsd" --socket-path={socket} \
			--shared-dir={dir} --sandbox=$mode --log-level=debug \
			>"$work/rl-$mode.probe" 2>&1
		check "without root, --sandbox=$mode serves, as uid $rl_uid" \
			"$(grep -q '^create.root=0$' "$work/rl-$mode.probe" &&
				grep -q "^proc.uid=$rl_uid\$" "$work/rl-$mode.probe"; echo $?)" \
			"$(grep -E 'create.root|proc.uid|probe:' "$work/rl-$mode.probe" | tr '\n' ' ')"
		# The daemon's last words, when it did not serve (the log goes with $work).
		grep -q '^proc.uid=' "$work/rl-$mode.probe" ||
			tail -n 8 "$work/rl/$mode.log" 2>/dev/null | sed 's/^/# /'
	done
	check "without root, --sandbox=chroot and namespace confine to the share" \
		"$(grep -q '^proc.root_is_share=1$' "$work/rl-chroot.probe" &&
			grep -q '^proc.root_is_share=1$' "$work/rl-namespace.probe"; echo $?)"
	check "without root, --sandbox=chroot and namespace serve from a detached copy of the share's mount" \
		"$(grep -q 'serving from a detached copy' "$work/rl/chroot.log" &&
			grep -q 'serving from a detached copy' "$work/rl/namespace.log"; echo $?)" \
		"$(grep -h 'copy' "$work/rl/chroot.log" "$work/rl/namespace.log" | head -n 2)"
	out=$(rootless_run "$vfsd" --fuse-mount="$work/rl/none" --shared-dir="$work/rl/none" 2>&1)
	check "without root, --fuse-mount is refused with the reason" \
		"$(printf '%s' "$out" | grep -q 'needs root: mounting a FUSE file system takes CAP_SYS_ADMIN'; echo $?)" "$out"
	out=$(rootless_run "$vfsd" --socket-path="$work/rl/x.sock" --shared-dir="$work/rl/none" \
		--uid-map=:0:$rl_uid:1: --uid-map=:1:999999000:5: 2>&1)
	check "a --uid-map beyond /etc/subuid says what to do, in one line" \
		"$([ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] &&
			printf '%s' "$out" | grep -q 'give this user the ids in /etc/subuid'; echo $?)" "$out"
fi

# --- a new user's first steps --------------------------------------------

out=$("$vfsd" 2>&1)
check "a bare vfsd points to --help" \
	"$(printf '%s' "$out" | grep -q "Try 'vfsd --help'"; echo $?)" "$out"
help=$("$vfsd" --help)
check "--help lists check, config and stats" \
	"$(for c in check config stats; do printf '%s' "$help" | grep -q "^  $c " || exit 1; done; echo 0)"
out=$("$vfsd" --socket-path="$work/g.sock" --shared-dir="$work/share" --socket-group=no-such-group-vfsd 2>&1)
check "an unknown --socket-group is one line" \
	"$([ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ]; echo $?)" "$out"

echo "1..$ntest"
[ "$nfail" -eq 0 ]
