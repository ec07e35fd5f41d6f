#!/bin/bash
# The daemon's confinement seen from the host, over --fuse-mount:
#  - namespace mode (the default): the server's mnt, pid, net, ipc and uts
#    namespaces differ from ours, its root is the share, /proc shows
#    Seccomp: 2, NoNewPrivs and exactly the kept capabilities; --modcaps
#    changes them; every exit path leaves no process and no mount behind;
#  - a system call off the allowlist (forced by VFSD_TEST_SECCOMP_VIOLATION
#    in vfsd-test-hooks, a build of vfsd for the tests only) kills with
#    --seccomp=kill, is logged with --seccomp=log and reported with
#    --seccomp=trap; the vfsd that is installed has no such switch;
#  - chroot and none modes serve the whole e2e program;
#  - the vhost-user socket is removed on exit in every mode.
#
#   tests/sandbox/run-sandbox.sh --daemon-bin PATH --guest-bin PATH \
#	[--hooks-bin PATH]
#
# Prints TAP; exits non-zero on any failure. Needs root.
set -u

# shellcheck source=../lib/runner.sh
. "$(dirname "$0")/../lib/runner.sh"
# shellcheck source=../lib/fuse.sh
. "$(dirname "$0")/../lib/fuse.sh"

daemon_bin= guest_bin= hooks_bin=
runner_opts daemon_bin=--daemon-bin guest_bin=--guest-bin \
	hooks_bin=--hooks-bin -- "$@"
need_exec "$daemon_bin" --daemon-bin
need_exec "$guest_bin" --guest-bin
need_root

runner_work sandbox
share=$work/share
mnt=$work/mnt
log=$work/vfsd.log
cleanup() { fuse_cleanup; }
mkdir -p "$mnt"
chmod 0755 "$work"
# The checks read the server's /proc as soon as fuse_start returns: the
# mount comes before the confinement, so wait until the server has
# confined itself and said so (cli/main.c, verify_confinement()).
fuse_ready() { grep -q 'info: sandbox ' "$log"; }

# The default kept set: CHOWN DAC_OVERRIDE FOWNER FSETID SETGID SETUID
# MKNOD SETFCAP (bits 0 1 3 4 6 7 27 31). The share lies in a larger
# filesystem, so file handles, and with them DAC_READ_SEARCH, stay off.
default_caps=$(( (1 << 0) | (1 << 1) | (1 << 3) | (1 << 4) |
	(1 << 6) | (1 << 7) | (1 << 27) | (1 << 31) ))

# A share the e2e program has prepared (it checks what it finds there).
fresh_share() {
	rm -rf "$share"
	mkdir -p "$share"
	echo hello >"$share/hello"
	"$guest_bin" host-prepare "$share" >"$work/prepare.log" 2>&1
}

# The process that serves: the supervisor's only child, or itself.
server_of() {
	local c
	c=$(cat "/proc/$1/task/$1/children" 2>/dev/null)
	echo "${c:-$1}" | awk '{print $1}'
}

status_field() { # PID FIELD
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

# CAP_SYS_ADMIN, when kept, stays out of the effective set: only a
# request for a trusted.* xattr borrows it (policy/creds.h).
caps_are() { # PID VALUE
	local want want_eff eff prm bnd inh
	want=$(printf '%016x' "$2")
	want_eff=$(printf '%016x' $(( $2 & ~(1 << 21) )))
	eff=$(status_field "$1" CapEff)
	prm=$(status_field "$1" CapPrm)
	bnd=$(status_field "$1" CapBnd)
	inh=$(status_field "$1" CapInh)
	caps_detail="CapEff $eff CapPrm $prm CapBnd $bnd CapInh $inh, want $want (effective $want_eff)"
	[ "$eff" = "$want_eff" ] && [ "$prm" = "$want" ] && [ "$bnd" = "$want" ] &&
		[ "$inh" = 0000000000000000 ]
}

gone() { # PID: no such process any more (zombies count as gone)
	[ ! -e "/proc/$1" ] || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

# --- namespace mode (the default) ----------------------------------------

fresh_share

# --xattr (off by default): the e2e program below checks xattrs.
fuse_start --xattr
check "namespace: vfsd mounted the share" $? "$(tail -n 5 "$log")"
srv=$(server_of "$pid")
check "namespace: a supervisor and a separate server process" \
	"$([ "$srv" != "$pid" ]; echo $?)"
for ns in mnt pid net ipc uts; do
	theirs=$(readlink "/proc/$srv/ns/$ns")
	ours=$(readlink "/proc/self/ns/$ns")
	check "namespace: the server's $ns namespace is its own" \
		"$([ -n "$theirs" ] && [ "$theirs" != "$ours" ]; echo $?)" \
		"$theirs vs $ours"
done
check "namespace: the supervisor stays in the host's namespaces" \
	"$([ "$(readlink /proc/$pid/ns/mnt)" = "$(readlink /proc/self/ns/mnt)" ]; echo $?)"
check "namespace: the server is pid 1 of its pid namespace" \
	"$([ "$(status_field "$srv" NSpid | head -n1)" != "" ] &&
	   awk '$1 == "NSpid:" { exit $NF != 1 }' "/proc/$srv/status"; echo $?)"
check "namespace: the server's root is the shared directory" \
	"$([ "$(stat -L -c %d:%i "/proc/$srv/root")" = "$(stat -c %d:%i "$share")" ]; echo $?)"
check "namespace: the host's / is not reachable from the server's root" \
	"$([ ! -e "/proc/$srv/root$work" ] && [ ! -e "/proc/$srv/root/etc/passwd" ]; echo $?)"
check "namespace: /proc shows Seccomp: 2 (filter)" \
	"$([ "$(status_field "$srv" Seccomp)" = 2 ]; echo $?)"
check "namespace: /proc shows NoNewPrivs: 1" \
	"$([ "$(status_field "$srv" NoNewPrivs)" = 1 ]; echo $?)"
caps_are "$srv" "$default_caps"
check "namespace: exactly the default capabilities are kept" $? "$caps_detail"
check "namespace: the share is served" \
	"$([ "$(cat "$mnt/hello" 2>&1)" = hello ]; echo $?)"
"$guest_bin" run "$mnt" >"$work/run.log" 2>&1
run_rc=$?
grep '^not ok' "$work/run.log" | sed 's/^/# /'
check "namespace: e2e program over the mount ($(grep -c '^ok' "$work/run.log") checks)" \
	"$(( run_rc != 0 || $(grep -c '^not ok' "$work/run.log") != 0 ))"
kill -TERM "$pid"
fuse_wait_exit
check "namespace: SIGTERM: exit status 0" "$([ "$status" = 0 ]; echo $?)" \
	"status $status"
check "namespace: SIGTERM: no server left, nothing mounted" \
	"$(gone "$srv" && ! fuse_mounted; echo $?)"

fuse_start
srv=$(server_of "$pid")
fuse_kill
for _ in $(seq 50); do gone "$srv" && break; sleep 0.05; done
check "namespace: SIGKILL of the supervisor takes the server with it" \
	"$(gone "$srv"; echo $?)"
umount -l "$mnt" 2>/dev/null

fuse_start --modcaps=-mknod:+sys_admin
srv=$(server_of "$pid")
caps_are "$srv" $(( (default_caps & ~(1 << 27)) | (1 << 21) ))
check "--modcaps=-mknod:+sys_admin: capabilities adjusted" $? "$caps_detail"
mknod "$mnt/zero" c 1 5 2>/dev/null
check "--modcaps=-mknod: MKNOD of a device node is refused" \
	"$([ ! -e "$share/zero" ]; echo $?)"
mkfifo "$mnt/fifo" 2>/dev/null
check "--modcaps=-mknod: a fifo can still be made" \
	"$([ -p "$share/fifo" ]; echo $?)"
rm -f "$share/fifo"
kill -TERM "$pid"
fuse_wait_exit

"$daemon_bin" --fuse-mount="$mnt" --shared-dir="$share" --modcaps=+nonsense \
	>"$work/bad.log" 2>&1
check "--modcaps with an unknown name: exit 1 before anything happens" \
	"$([ $? = 1 ] && grep -q "unknown capability 'nonsense'" "$work/bad.log" && ! fuse_mounted; echo $?)" \
	"$(cat "$work/bad.log")"

# --- seccomp: the forced violation ---------------------------------------

VFSD_TEST_SECCOMP_VIOLATION=1 fuse_start
sleep 0.3
check "the installed vfsd has no test switch: VFSD_TEST_SECCOMP_VIOLATION does nothing" \
	"$(kill -0 "$pid" 2>/dev/null && ! grep -q 'test: calling' "$log" &&
	   [ "$(cat "$mnt/hello" 2>&1)" = hello ]; echo $?)" "$(tail -n 3 "$log")"
fuse_stop

# The violations, by the tests' build of the daemon (meson -Dtest_hooks).
violate() {
	VFSD_TEST_SECCOMP_VIOLATION=1 daemon_bin=$hooks_bin fuse_start "$@"
}
if [ -x "$hooks_bin" ]; then
	violate
	fuse_wait_exit
	check "--seccomp=kill: a call off the allowlist kills the daemon by SIGSYS" \
		"$([ "$status" = $((128 + 31)) ]; echo $?)" "status $status"
	check "--seccomp=kill: the supervisor reports it and leaves nothing mounted" \
		"$(grep -q 'killed by signal 31' "$log" && ! fuse_mounted; echo $?)" \
		"$(tail -n 3 "$log")"

	dmesg_ok=
	dmesg >/dev/null 2>&1 && dmesg_ok=1
	# A marker rather than a line count: a full ring buffer keeps its length
	# while old lines scroll out.
	marker="vfsd-sandbox-test-$$-$RANDOM"
	[ -n "$dmesg_ok" ] && { echo "$marker" >/dev/kmsg || dmesg_ok=; }
	violate --seccomp=log
	sleep 0.3
	check "--seccomp=log: the daemon lives on after the call" \
		"$(kill -0 "$pid" 2>/dev/null && grep -q 'personality(2) returned' "$log" &&
		   [ "$(cat "$mnt/hello" 2>&1)" = hello ]; echo $?)" "$(tail -n 3 "$log")"
	if [ -n "$dmesg_ok" ]; then
		logged=1
		# The audit record may reach the ring buffer a little after the call.
		for _ in $(seq 30); do
			dmesg | sed -n "/$marker/,\$p" | grep 'type=1326' |
				grep -q 'syscall=135' && { logged=0; break; }
			sleep 0.1
		done
		check "--seccomp=log: the kernel logged personality (135)" $logged
	else
		echo "# dmesg unreadable here: the kernel's seccomp log is not checked"
	fi
	kill -TERM "$pid"
	fuse_wait_exit
	check "--seccomp=log: SIGTERM still ends it with status 0" \
		"$([ "$status" = 0 ] && ! fuse_mounted; echo $?)" "status $status"

	violate --seccomp=trap
	fuse_wait_exit
	check "--seccomp=trap: exit status 1 with the call's number on stderr" \
		"$([ "$status" = 1 ] && grep -q 'blocked system call 135' "$log" &&
		   ! fuse_mounted; echo $?)" "status $status: $(tail -n 2 "$log")"
else
	skip "seccomp violations" "no vfsd-test-hooks (built with -Dtest_hooks=false)"
fi

fuse_start --seccomp=none
srv=$(server_of "$pid")
check "--seccomp=none: no filter" \
	"$([ "$(status_field "$srv" Seccomp)" = 0 ]; echo $?)"
kill -TERM "$pid"
fuse_wait_exit

# --syslog: the log connection is made before confinement, and a missing
# /dev/log (reconnects on every line) must not trip the filter.
fuse_start --syslog
check "--syslog: serves under the filter" \
	"$([ "$(cat "$mnt/hello" 2>&1)" = hello ]; echo $?)"
kill -TERM "$pid"
fuse_wait_exit
check "--syslog: SIGTERM: status 0" "$([ "$status" = 0 ]; echo $?)" \
	"status $status"

# --- chroot and none modes -----------------------------------------------

for mode in chroot none; do
	fresh_share
	fuse_start --sandbox=$mode --xattr
	check "$mode: vfsd mounted the share" $? "$(tail -n 5 "$log")"
	srv=$(server_of "$pid")
	if [ $mode = chroot ]; then
		check "chroot: the server's root is the shared directory" \
			"$([ "$(stat -L -c %d:%i "/proc/$srv/root")" = "$(stat -c %d:%i "$share")" ]; echo $?)"
	else
		# A supervisor only to unmount: that needs CAP_SYS_ADMIN.
		check "none: the host's root and namespaces" \
			"$([ "$(stat -L -c %d:%i "/proc/$srv/root")" = "$(stat -c %d:%i /)" ] &&
			   [ "$(readlink /proc/$srv/ns/mnt)" = "$(readlink /proc/self/ns/mnt)" ]; echo $?)"
	fi
	check "$mode: Seccomp: 2 and the default capabilities" \
		"$([ "$(status_field "$srv" Seccomp)" = 2 ] && caps_are "$srv" "$default_caps"; echo $?)" \
		"${caps_detail:-}"
	"$guest_bin" run "$mnt" >"$work/run.log" 2>&1
	run_rc=$?
	grep '^not ok' "$work/run.log" | sed 's/^/# /'
	check "$mode: e2e program over the mount ($(grep -c '^ok' "$work/run.log") checks)" \
		"$(( run_rc != 0 || $(grep -c '^not ok' "$work/run.log") != 0 ))"
	kill -TERM "$pid"
	fuse_wait_exit
	check "$mode: SIGTERM: status 0, nothing mounted, no server left" \
		"$([ "$status" = 0 ] && ! fuse_mounted && gone "$srv"; echo $?)" \
		"status $status"
done

# --- the vhost-user socket is removed on exit in every mode --------------

for mode in namespace chroot none; do
	sock=$work/vfsd-$mode.sock
	"$daemon_bin" --socket-path="$sock" --shared-dir="$share" \
		--sandbox=$mode >"$log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
	sleep 0.2
	srv=$(server_of "$pid")
	kill -TERM "$pid"
	fuse_wait_exit
	check "$mode: vhost-user: SIGTERM removes the socket, status 0" \
		"$([ "$status" = 0 ] && [ ! -e "$sock" ] && gone "$srv"; echo $?)" \
		"status $status: $(tail -n 2 "$log")"
done

echo "1..$ntest"
[ "$nfail" -eq 0 ]
