#!/bin/bash
# libvirt's current contract, tested without a newer libvirt. For a daemon
# whose --print-capabilities lists "separate-options" (vfsd's and the Rust
# virtiofsd's do), upstream libvirt's qemuVirtioFSBuildCommandLine
# (src/qemu/qemu_virtiofs.c, 10.x/11.x) builds:
#
#   BINARY --fd=N --shared-dir DIR [--cache never|always] [--sandbox MODE]
#          [--xattr] [--thread-pool-size=N] [--rlimit-nofile=N]
#          [--log-level debug] [--uid-map=:0:UID:1: --uid-map=:1:SUB:COUNT:
#          --gid-map=... (session mode: qemuVirtioFSPrepareIdMap)]
#
# and refuses <lock> ("locking options are not supported by this
# virtiofsd"). Each variant below is that argv, started on an inherited
# listening socket by vfsd-client probe, which reports what the options
# mean to a guest (INIT flags, entry timeouts, open flags, SETXATTR,
# owners of new files) and to the host (/proc of the serving process).
# Every variant must have its meaning in vfsd, and the same meaning in the
# Rust virtiofsd 1.13.3 (../shared/peers; a visible SKIP where missing).
# The locks a libvirt user cannot ask for come from vfsd's defaults file.
#
#   tests/libvirt/argv-replay.sh VFSD VFSD_CLIENT [VIRTIOFSD_RS]
#
# Prints TAP; needs root (the session variant makes a user to run as).
set -u

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
vfsd=${1:?usage: argv-replay.sh VFSD VFSD_CLIENT [VIRTIOFSD_RS]}
client=${2:?usage: argv-replay.sh VFSD VFSD_CLIENT [VIRTIOFSD_RS]}
# shellcheck source=../lib/runner.sh
. "$top/tests/lib/runner.sh"
. "$top/tests/lib/guest.sh"
. "$top/tests/lib/rootless.sh"
rs=${3:-$(guest_rust_virtiofsd)}

need_root
runner_work argv
chmod 0755 "$work"
cleanup() { rootless_user_del; }

# The binaries where a test user can run them (the build may be in /root).
mkdir -m 0755 "$work/bin"
cp "$vfsd" "$work/bin/vfsd" && vfsd=$work/bin/vfsd
if [ -x "$rs" ]; then cp "$rs" "$work/bin/virtiofsd" && rs=$work/bin/virtiofsd; else rs=; fi

# probe NAME DAEMON [WRAP...] -- ARGS...: the probe of DAEMON started with
# libvirt's argv (--fd and --shared-dir, then ARGS) into $work/NAME.out,
# its log in $work/NAME.log, a fresh share at $work/NAME.share.
probe() {
	local name=$1 bin=$2 share=$work/$1.share
	shift 2
	local wrap=()
	while [ "$1" != -- ]; do wrap+=("$1"); shift; done
	shift
	mkdir -m 1777 "$share"
	# Guest uid 1000 creates in it too.
	[ -z "${share_owner:-}" ] || { chown "$share_owner" "$share" && chmod 1777 "$share"; }
	VFSD_CLIENT_BACKEND_LOG=$work/$name.log "$client" probe --shared-dir="$share" \
		-- "${wrap[@]}" "$bin" --fd={fd} --shared-dir "$share" "$@" \
		>"$work/$name.out" 2>"$work/$name.err"
}

val() { # NAME KEY: the probe's value
	sed -n "s/^$2=//p" "$work/$1.out" | head -n 1
}

# expect NAME WHAT KEY=VALUE...: every KEY of vfsd's probe has VALUE.
expect() {
	local name=$1 what=$2 kv bad=
	shift 2
	for kv in "$@"; do
		[ "$(val "$name" "${kv%%=*}")" = "${kv#*=}" ] ||
			bad="$bad ${kv%%=*}=$(val "$name" "${kv%%=*}") (want ${kv#*=})"
	done
	check "vfsd, $what:$(printf ' %s' "$@")" "$([ -z "$bad" ]; echo $?)" \
		"${bad:-}$(tail -n 2 "$work/$name.err" "$work/$name.log" 2>/dev/null | tr '\n' ' ')"
}

# same NAME WHAT KEY...: the Rust virtiofsd's probe agrees on each KEY.
same() {
	local name=$1 what=$2 k bad=
	shift 2
	if [ -z "$rs" ]; then
		skip "virtiofsd 1.13.3 means the same, $what" "$(guest_rust_virtiofsd) not found"
		return
	fi
	for k in "$@"; do
		[ "$(val "$name" "$k")" = "$(val "rs-$name" "$k")" ] ||
			bad="$bad $k: vfsd $(val "$name" "$k"), virtiofsd $(val "rs-$name" "$k")"
	done
	check "virtiofsd 1.13.3 means the same, $what:$(printf ' %s' "$@")" \
		"$([ -z "$bad" ]; echo $?)" "${bad:-}$(tail -n 2 "$work/rs-$name.err" 2>/dev/null | tr '\n' ' ')"
}

# variant NAME WHAT "KEY=VALUE..." ARGS...: replay ARGS on both daemons.
variant() {
	local name=$1 what=$2 kvs=$3
	shift 3
	probe "$name" "$vfsd" -- "$@"
	[ -n "$rs" ] && probe "rs-$name" "$rs" -- "$@"
	# shellcheck disable=SC2086
	expect "$name" "$what" $kvs
	# shellcheck disable=SC2086
	same "$name" "$what" $(for kv in $kvs; do echo "${kv%%=*}"; done)
}

# --- what libvirt reads --------------------------------------------------

caps=$("$vfsd" --print-capabilities)
check "--print-capabilities: type fs, features migrate-precopy (libvirt migrates and saves only then) and separate-options" \
	"$(printf '%s' "$caps" | tr -d ' \n' | grep -q '"type":"fs","features":\["migrate-precopy","separate-options"\]'; echo $?)" "$caps"

# --- the variants --------------------------------------------------------

# <binary path=...> alone: cache auto, xattrs off (libvirt passes no
# --no-xattr for xattr='off', relying on that), submounts announced, the
# namespace sandbox, no host-side locks.
variant default "no options" \
	"entry_valid=1 open.direct_io=0 setxattr=ENOSYS init.submounts=1 proc.root_is_share=1 init.posix_locks=0 init.flock_locks=0 create.user=0 user.uid=1000"
variant cache-none "<cache mode='none'/>" \
	"entry_valid=0 attr_valid=0 open.direct_io=1 init.readdirplus=0" --cache never
variant cache-always "<cache mode='always'/>" \
	"entry_valid=86400 attr_valid=86400 open.direct_io=0 open.keep_cache=1" --cache always
variant xattr-on "<binary xattr='on'>" "setxattr=0" --xattr
variant sandbox-chroot "<sandbox mode='chroot'/>" \
	"proc.root_is_share=1 create.root=0" --sandbox chroot
variant sandbox-namespace "<sandbox mode='namespace'/>" \
	"proc.root_is_share=1 create.root=0" --sandbox namespace
variant openfiles "<openfiles max='4096'/>" "proc.nofile=4096" --rlimit-nofile=4096

# <thread_pool size='16'/>: the serving process has at least 16 workers.
probe pool "$vfsd" -- --thread-pool-size=16
check "vfsd, <thread_pool size='16'/>: at least 16 threads serve" \
	"$([ "$(val pool proc.threads)" -ge 16 ]; echo $?)" "$(val pool proc.threads) threads"
if [ -n "$rs" ]; then
	probe rs-pool "$rs" -- --thread-pool-size=16
	check "virtiofsd 1.13.3 means the same, <thread_pool size='16'/>" \
		"$([ "$(val rs-pool proc.threads)" -ge 16 ]; echo $?)" "$(val rs-pool proc.threads) threads"
else
	skip "virtiofsd 1.13.3 means the same, <thread_pool size='16'/>" "$(guest_rust_virtiofsd) not found"
fi

# virtiofsd_debug=1 in qemu.conf: --log-level debug, two arguments.
probe debug "$vfsd" -- --log-level debug
check "vfsd, virtiofsd_debug: --log-level debug logs debug lines" \
	"$(grep -q ': debug: ' "$work/debug.log"; echo $?)" "$(tail -n 2 "$work/debug.log")"
if [ -n "$rs" ]; then
	probe rs-debug "$rs" -- --log-level debug
	check "virtiofsd 1.13.3 means the same, virtiofsd_debug" \
		"$(grep -q 'DEBUG' "$work/rs-debug.log"; echo $?)" "$(tail -n 2 "$work/rs-debug.log")"
else
	skip "virtiofsd 1.13.3 means the same, virtiofsd_debug" "$(guest_rust_virtiofsd) not found"
fi

# Session mode (qemu:///session): libvirt runs as the user and passes its
# own id as 0 and its /etc/subuid range from 1. Guest root's files are the
# user's on the host, guest uid 1000's are its subordinate id 999.
if rootless_ready "session mode's --uid-map/--gid-map"; then
	mapfile -t maps < <(rootless_maps)
	share_owner=$rl_uid:$rl_gid
	run_as=(setpriv --reuid="$rl_uid" --regid="$rl_gid" --clear-groups)
	want_map="0 $rl_uid 1;1 $rl_subuid $rl_count"
	owners="$rl_uid:$rl_gid $((rl_subuid + 999)):$((rl_subgid + 999))"
	for d in vfsd rs; do
		bin=$vfsd name=session
		[ $d = rs ] && { bin=$rs name=rs-session; }
		[ -n "$bin" ] || continue
		probe "$name" "$bin" "${run_as[@]}" -- "${maps[@]}"
		got=$(stat -c %u:%g "$work/$name.share/probe-root" "$work/$name.share/probe-user" 2>/dev/null | tr '\n' ' ')
		who=$([ $d = vfsd ] && echo vfsd || echo "virtiofsd 1.13.3")
		check "$who, session mode: runs as uid $rl_uid, user namespace $want_map" \
			"$([ "$(val "$name" proc.uid)" = "$rl_uid" ] && [ "$(val "$name" proc.uid_map)" = "$want_map" ]; echo $?)" \
			"uid $(val "$name" proc.uid), map '$(val "$name" proc.uid_map)' $(tail -n 2 "$work/$name.err" "$work/$name.log" 2>/dev/null | tr '\n' ' ')"
		check "$who, session mode: guest root's and uid 1000's new files are $owners on the host" \
			"$([ "$got" = "$owners " ]; echo $?)" "owners $got"
	done
	[ -n "$rs" ] || skip "virtiofsd 1.13.3 means the same, session mode" "$(guest_rust_virtiofsd) not found"
	share_owner=
fi

# --- what libvirt cannot pass: locks, from the defaults file -------------

printf '# libvirt refuses <lock> for separate-options daemons\n--posix-lock\n--flock\n' \
	>"$work/defaults.conf"
VFSD_DEFAULTS_FILE=$work/defaults.conf probe locks "$vfsd" -- --thread-pool-size=2
expect locks "the defaults file's --posix-lock --flock under libvirt's argv" \
	"init.posix_locks=1" "init.flock_locks=1"
check "the daemon log names the defaults file" \
	"$(grep -q "options from $work/defaults.conf" "$work/locks.log"; echo $?)"
printf -- '--bogus\n' >"$work/bad.conf"
out=$(VFSD_DEFAULTS_FILE=$work/bad.conf "$vfsd" --fd=99 --shared-dir "$work" 2>&1)
check "a bad line in the defaults file is refused with the file's name" \
	"$(printf '%s' "$out" | grep -q "$work/bad.conf: unknown option '--bogus'"; echo $?)" "$out"
out=$(VFSD_DEFAULTS_FILE=$work/bad.conf "$vfsd" --print-capabilities 2>&1)
check "--print-capabilities ignores the defaults file (libvirt must see the features)" \
	"$(printf '%s' "$out" | grep -q separate-options; echo $?)" "$out"

echo "1..$ntest"
[ "$nfail" -eq 0 ]
