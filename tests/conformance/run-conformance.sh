#!/bin/bash
# The conformance tables: tests/conformance/conform runs
#   host             on a plain host directory (the reference),
#   vfsd-guest       in a TCG guest over vfsd,
#   virtiofsd-guest  in a TCG guest over QEMU's virtiofsd,
#   virtiofsd-rs-guest  in a TCG guest over the Rust virtiofsd 1.13.3 of
#                    ../shared/peers (a TAP SKIP where it is missing),
#   vfsd-devfuse     over vfsd on the host's /dev/fuse,
# and every table is compared with the host's, case by case. A difference
# fails unless tests/conformance/known-differences lists it
# ("target<TAB>case<TAB>reason", target "*" for all three FUSE targets;
# docs/CONFORMANCE.md explains each line).
#
#   run-conformance.sh --daemon-bin VFSD --conform-bin CONFORM
#       [--targets host,vfsd-guest,virtiofsd-guest,virtiofsd-rs-guest,vfsd-devfuse]
#       [--virtiofsd-bin PATH] [--virtiofsd-rs-bin PATH] [--out TSV] [--markdown MD]
#       [--bigdir N] [--guest-bigdir N] [--timeout S] [--keep]
#       [--fs ext4|xfs|btrfs|tmpfs|overlay]
#
# --out writes the merged table (case, then one column per target),
# --markdown the summary and the differing rows for docs/CONFORMANCE.md.
# --bigdir is the listing-at-scale size on the host and /dev/fuse,
# --guest-bigdir in the guests. --fs: the host directory and vfsd's share
# both on one new filesystem of that kind (tests/lib/realfs.sh; on btrfs
# each is a subvolume), so vfsd is compared with the host on it; a TAP
# SKIP where its mkfs or a loop device is missing. Prints TAP; needs root.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=../lib/runner.sh
. "$top/tests/lib/runner.sh"
# shellcheck source=../lib/guest.sh
. "$top/tests/lib/guest.sh"

all_targets=(host vfsd-guest virtiofsd-guest virtiofsd-rs-guest vfsd-devfuse)
targets=host,vfsd-guest,virtiofsd-guest,virtiofsd-rs-guest,vfsd-devfuse
daemon_bin=
conform_bin=
virtiofsd_bin=/usr/lib/qemu/virtiofsd
virtiofsd_rs_bin=$(guest_rust_virtiofsd)
out=
markdown=
bigdir=100000
guest_bigdir=3000
timeout_s=480
keep=
fs=
known=$here/known-differences

usage() {
	sed -n '15,20p' "$0" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
	--daemon-bin) daemon_bin=${2:-}; shift ;;
	--conform-bin) conform_bin=${2:-}; shift ;;
	--virtiofsd-bin) virtiofsd_bin=${2:-}; shift ;;
	--virtiofsd-rs-bin) virtiofsd_rs_bin=${2:-}; shift ;;
	--targets) targets=${2:-}; shift ;;
	--out) out=${2:-}; shift ;;
	--markdown) markdown=${2:-}; shift ;;
	--bigdir) bigdir=${2:-}; shift ;;
	--guest-bigdir) guest_bigdir=${2:-}; shift ;;
	--timeout) timeout_s=${2:-}; shift ;;
	--keep) keep=1 ;;
	--fs) fs=${2:-}; shift ;;
	*) usage ;;
	esac
	shift
done
need_exec "$conform_bin" --conform-bin
need_root

# Both daemons hold an fd per inode the kernel caches: the listing at scale
# needs more than a default limit (bench/fuse.sh does the same).
ulimit -n "$(cat /proc/sys/fs/nr_open)" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "# open-file limit $(ulimit -n)"

runner_work conform
chmod 0755 "$work"
devfuse_pid=
submounts=()
cleanup() {
	guest_cleanup
	if [ -n "$devfuse_pid" ]; then
		kill -KILL "$devfuse_pid" 2>/dev/null
		wait "$devfuse_pid" 2>/dev/null
	fi
	umount -l "$work/mnt" 2>/dev/null
	for m in "${submounts[@]}"; do umount -l "$m" 2>/dev/null; done
	if [ -n "$fs" ]; then
		realfs_cleanup
		loop_cleanup
	fi
}

# Where the host directory and the shares are made: $work, or the --fs.
base=$work
if [ -n "$fs" ]; then
	# shellcheck source=../lib/loop.sh
	. "$top/tests/lib/loop.sh"
	# shellcheck source=../lib/realfs.sh
	. "$top/tests/lib/realfs.sh"
	mkdir "$work/fs"
	realfs_mount "$fs" "$work/fs" "$work"
	case $? in
	0) base=$work/fs ;;
	77) skip_all "mkfs.$fs not installed" ;;
	2) skip_all "no loop device for $fs" ;;
	*) bail "cannot make a $fs filesystem" ;;
	esac
	chmod 0755 "$base"
	echo "# host directory and share on a new $fs"
fi

# A directory for a target on the base: a btrfs subvolume on btrfs.
make_dir() { # DIR
	if [ "$fs" = btrfs ]; then
		btrfs -q subvolume create "$1" >/dev/null && chmod 0755 "$1"
	else
		mkdir -m 0755 "$1"
	fi
}

wanted() {
	case ",$targets," in *",$1,"*) return 0 ;; esac
	return 1
}

# conform's two modes on DIR into TSV; STATUS of the pair in $run_rc.
run_conform() { # DIR TSV N
	local t0=$SECONDS
	"$conform_bin" run "$1" >"$2" 2>"$2.err"
	run_rc=$?
	"$conform_bin" bigdir "$1" "$3" >>"$2" 2>>"$2.err" || run_rc=1
	echo "# $(wc -l <"$2") cases in $((SECONDS - t0)) s (bigdir of $3 entries)"
	guest_diag "conform stderr" "$2.err" 10
}

target_host() {
	make_dir "$base/host"
	add_submount "$base/host"
	run_conform "$base/host" "$work/host.tsv" "$bigdir"
	check "host: conform ran" "$run_rc"
}

target_devfuse() {
	local share=$base/devfuse-share mnt=$work/mnt
	make_dir "$share" && mkdir -m 0755 "$mnt"
	add_submount "$share"
	"$daemon_bin" --fuse-mount="$mnt" --shared-dir="$share" --posix-lock \
		--flock --xattr >"$work/devfuse.log" 2>&1 &
	devfuse_pid=$!
	for _ in $(seq 100); do
		grep -q " $mnt fuse" /proc/mounts && break
		kill -0 "$devfuse_pid" 2>/dev/null || break
		sleep 0.05
	done
	if ! grep -q " $mnt fuse" /proc/mounts; then
		check "vfsd-devfuse: vfsd mounted the share" 1 "$(tail -n 3 "$work/devfuse.log")"
		return
	fi
	run_conform "$mnt" "$work/vfsd-devfuse.tsv" "$bigdir"
	check "vfsd-devfuse: conform ran" "$run_rc"
	kill -TERM "$devfuse_pid"
	wait "$devfuse_pid"
	check "vfsd-devfuse: vfsd exited with status 0" $? "$(tail -n 3 "$work/devfuse.log")"
	devfuse_pid=
	check_sanitizer "$work/devfuse.log" \
		"vfsd-devfuse: daemon log has no sanitizer report"
}

# A tmpfs at DIR/submount: conform's EXDEV cases rename and link into it.
add_submount() { # DIR
	mkdir -m 0755 "$1/submount" &&
		mount -t tmpfs -o size=1m,mode=0755 vfsd-conform-sub "$1/submount" &&
		submounts+=("$1/submount")
}

initrd_built=
build_initrd() {
	[ -n "$initrd_built" ] && return 0
	sed "s/^n=BIGDIR_N\$/n=$guest_bigdir/" "$here/guest-conform.sh" >"$work/guest-run"
	chmod 0755 "$work/guest-run"
	guest_prepare "$work/initrd.gz" "$conform_bin" \
		--file "$conform_bin:/bin/conform" --file "$work/guest-run:/bin/guest-run" \
		>"$work/initrd.log" 2>&1 || return 1
	initrd_built=1
}

target_guest() { # NAME DAEMON BIN ARG...
	local name=$1 daemon=$2 bin=$3 share=$work/$1-share sock=$work/$1.sock
	shift 3
	if ! build_initrd; then
		check "$name: guest kernel and initramfs" 1 "$(tail -n 3 "$work/initrd.log")"
		return
	fi
	mkdir -m 0755 "$share"
	add_submount "$share"
	if ! guest_start_daemon "$daemon" "$bin" "$share" "$sock" "$work/$name.log" "$@"; then
		check "$name: $daemon started" 1 "$(tail -n 3 "$work/$name.log")"
		return
	fi
	guest_boot "$work/initrd.gz" "$sock" conform run "$timeout_s"
	guest_check_boot "$timeout_s"
	guest_relay_tap "$name"
	grep '^# ' "$work/guest.txt"
	sed -n 's/^CF //p' "$work/guest.txt" >"$work/$name.tsv"
	guest_wait_daemon 10
	check "$name: $daemon exited by itself with status 0" \
		"$([ "${guest_daemon_rc:-x}" = 0 ]; echo $?)" "status ${guest_daemon_rc:-still running}"
	cp "$work/serial.txt" "$work/$name.serial"
	if [ "$nfail" -ne 0 ]; then
		guest_diag "$name daemon log" "$work/$name.log" 20
		guest_diag "$name serial" "$work/$name.serial" 30
	fi
}

wanted host && target_host
if wanted vfsd-guest; then
	need_exec "$daemon_bin" --daemon-bin
	target_guest vfsd-guest vfsd "$daemon_bin" --posix-lock --flock
fi
if wanted virtiofsd-guest; then
	if [ -x "$virtiofsd_bin" ]; then
		target_guest virtiofsd-guest virtiofsd "$virtiofsd_bin" \
			-o posix_lock -o flock
	else
		echo "# $virtiofsd_bin not installed: virtiofsd-guest left out"
	fi
fi
if wanted virtiofsd-rs-guest; then
	# No host-side locks: the Rust virtiofsd has none (-o posix_lock and
	# -o flock are refused), so the guest kernel keeps them.
	if [ -x "$virtiofsd_rs_bin" ]; then
		target_guest virtiofsd-rs-guest virtiofsd-rs "$virtiofsd_rs_bin"
	else
		skip "virtiofsd-rs-guest: the Rust virtiofsd's table" \
			"$virtiofsd_rs_bin not found"
	fi
fi
wanted vfsd-devfuse && target_devfuse

# --- comparison ------------------------------------------------------------

[ -s "$work/host.tsv" ] || bail "no host table"
# Known differences as "target<TAB>case" -> reason.
declare -A reason
if [ -f "$known" ]; then
	while IFS=$'\t' read -r t c r; do
		case "$t" in "" | "#"*) continue ;; esac
		reason["$t"$'\t'"$c"]=$r
	done <"$known"
fi
declare -A seen_known
for t in "${all_targets[@]:1}"; do
	[ -f "$work/$t.tsv" ] || continue
	total=$(wc -l <"$work/$t.tsv")
	ndiff=0
	nknown=0
	# case, host value, target value ("(missing)" on either side).
	while IFS=$'\t' read -r c hv tv; do
		ndiff=$((ndiff + 1))
		r=${reason["$t"$'\t'"$c"]:-${reason["*"$'\t'"$c"]:-}}
		if [ -n "$r" ]; then
			nknown=$((nknown + 1))
			[ -n "${reason["$t"$'\t'"$c"]:-}" ] && seen_known["$t"$'\t'"$c"]=1
			[ -n "${reason["*"$'\t'"$c"]:-}" ] && seen_known["*"$'\t'"$c"]=1
			check "$t: $c = $tv (host $hv), known: $r" 0
		else
			check "$t: $c = $tv, host $hv" 1 "not in known-differences"
		fi
	done < <(awk -F'\t' '
		NR == FNR { h[$1] = $2; order[++n] = $1; next }
		{ v[$1] = $2 }
		END {
			for (i = 1; i <= n; i++) {
				c = order[i]
				tv = (c in v) ? v[c] : "(missing)"
				if (tv != h[c]) print c "\t" h[c] "\t" tv
			}
			for (c in v) if (!(c in h)) print c "\t(missing)\t" v[c]
		}' "$work/host.tsv" "$work/$t.tsv")
	echo "# $t: $total cases, $ndiff differ from the host ($nknown known)"
done
for k in "${!reason[@]}"; do
	t=${k%%$'\t'*}
	if [ "$t" = "*" ] || [ -f "$work/$t.tsv" ]; then
		[ -n "${seen_known[$k]:-}" ] ||
			echo "# known difference not seen in this run: ${k/$'\t'/ }"
	fi
done

# --- merged table and its markdown ---------------------------------------

merged=$work/merged.tsv
{
	printf 'case'
	for t in "${all_targets[@]}"; do printf '\t%s' "$t"; done
	printf '\n'
	# A target that did not run has an empty column, a case a target
	# that ran lacks says "(missing)".
	printf '#absent\t\n' >"$work/absent.tsv"
	files=()
	for t in "${all_targets[@]}"; do
		if [ -f "$work/$t.tsv" ]; then files+=("$work/$t.tsv"); else files+=("$work/absent.tsv"); fi
	done
	awk -F'\t' -v nt=${#all_targets[@]} '
		FNR == 1 { f++ }
		$1 == "#absent" { absent[f] = 1; next }
		{ if (!($1 in known)) { known[$1] = 1; order[++n] = $1 }
		  v[f, $1] = $2 }
		END {
			for (i = 1; i <= n; i++) {
				c = order[i]; line = c
				for (j = 1; j <= nt; j++)
					line = line "\t" (((j, c) in v) ? v[j, c] : (j in absent) ? "" : "(missing)")
				print line
			}
		}' "${files[@]}"
} >"$merged"
[ -n "$out" ] && cp "$merged" "$out" && echo "# merged table: $out"

if [ -n "$markdown" ]; then
	{
		echo "| target | cases | same as the host | different (all listed in known-differences) |"
		echo "|---|---|---|---|"
		for i in $(seq 2 $((${#all_targets[@]} + 1))); do
			awk -F'\t' -v i=$i 'NR > 1 && $i != "" { n++; if ($i == $2) s++ }
				END { printf "%d\t%d\n", n, s }' "$merged" | {
				IFS=$'\t' read -r n s
				t=${all_targets[$((i - 2))]}
				[ "$n" -gt 0 ] && echo "| $t | $n | $s | $((n - s)) |"
			}
		done
		echo
		printf '| case'
		for t in "${all_targets[@]}"; do printf ' | %s' "$t"; done
		printf ' |\n|---'
		for t in "${all_targets[@]}"; do printf '|---'; done
		printf '|\n'
		awk -F'\t' 'NR > 1 { d = 0; for (i = 3; i <= NF; i++) if ($i != "" && $i != $2) d = 1
			if (d) { line = "|"; for (i = 1; i <= NF; i++) line = line " " $i " |"; print line } }' "$merged"
	} >"$markdown"
	echo "# markdown: $markdown"
fi

echo "1..$ntest"
[ "$nfail" -eq 0 ]
