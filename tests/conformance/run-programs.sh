#!/bin/bash
# Real programs in a TCG guest over vfsd, one boot: GNU tar untars a source
# tree onto the share and tars it again, git commits it, changes it, packs
# and checks it, and stress-ng runs its filesystem stressors with --verify
# (tests/conformance/guest-programs.sh prints one TAP line per step). Then
# the host checks what landed on the share: every file's sha256, types,
# modes, sizes and link counts, the re-made tar, and the git repository.
#
#   run-programs.sh --daemon-bin VFSD [--timeout S] [--keep] [--daemon-arg ARG]...
#
# Prints TAP; needs root, git, stress-ng and GNU tar on the host (copied
# into the guest with build-initramfs.sh --bin).
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=../lib/runner.sh
. "$top/tests/lib/runner.sh"
# shellcheck source=../lib/guest.sh
. "$top/tests/lib/guest.sh"

daemon_bin=
timeout_s=600
keep=
daemon_args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--daemon-bin) daemon_bin=${2:-}; shift ;;
	--daemon-arg) daemon_args+=("${2:-}"); shift ;;
	--timeout) timeout_s=${2:-}; shift ;;
	--keep) keep=1 ;;
	*) sed -n '10p' "$0" >&2; exit 2 ;;
	esac
	shift
done
need_exec "$daemon_bin" --daemon-bin
need_root
need_cmd git stress-ng tar sha256sum

runner_work programs
chmod 0755 "$work"
cleanup() { guest_cleanup; }

# --- the source tree: this repository's src/ and tests/ four times over,
# its docs, a few bigger files, and a symlink, a hard link, an empty dir,
# an executable and a long name.
orig=$work/orig/tree
mkdir -p "$orig"
for copy in a b c d; do
	mkdir "$orig/$copy"
	cp -a "$top/src" "$top/tests" "$orig/$copy/"
done
cp -a "$top/docs" "$orig/"
head -c 4194304 /dev/urandom >"$orig/big-1.bin"
head -c 3000017 /dev/urandom >"$orig/big-2.bin"
head -c 1048576 /dev/urandom >"$orig/big-3.bin"
truncate -s 8M "$orig/sparse.bin"
printf 'tail' >>"$orig/sparse.bin"
ln -s a/src/cli "$orig/link-to-cli"
ln "$orig/big-3.bin" "$orig/big-3.hardlink"
mkdir "$orig/empty-dir"
printf '#!/bin/sh\necho hi\n' >"$orig/run.sh"
chmod 0755 "$orig/run.sh"
touch "$orig/$(printf 'n%.0s' $(seq 200))"
echo "made on the host" >"$orig/README.guest"
nfiles=$(find "$orig" -type f | wc -l)
echo "# source tree: $nfiles files, $(du -sm "$orig" | cut -f1) MB"

share=$work/share
mkdir -m 0755 "$share" "$share/in"
tar -cf "$share/in/tree.tar" -C "$work/orig" tree
(cd "$work/orig" && find tree -type f -print0 | xargs -0 sha256sum) >"$share/in/manifest.sha256"

# Type, mode, size and link count of every entry under DIR (sizes of
# directories and symlinks differ between filesystems and are left out).
shape() {
	(cd "$1" && find tree -printf '%p %y %m %n\n' | sort | awk '{ print }') &&
		(cd "$1" && find tree -type f -printf '%p %s\n' | sort)
}
shape "$work/orig" >"$work/orig.shape"

# --- the guest ------------------------------------------------------------

if ! guest_prepare "$work/initrd.gz" /bin/busybox \
	--bin "$(command -v tar)" --bin "$(command -v git)" \
	--bin "$(command -v stress-ng)" --bin "$(command -v sha256sum)" \
	--file "$(command -v git):/usr/lib/git-core/git" \
	--file "$here/guest-programs.sh:/bin/guest-run" >"$work/initrd.log" 2>&1; then
	check "guest kernel and initramfs" 1 "$(tail -n 3 "$work/initrd.log")"
	echo "1..$ntest"
	exit 1
fi
guest_start_daemon vfsd "$daemon_bin" "$share" "$work/sock" "$work/daemon.log" "${daemon_args[@]}" ||
	{ check "vfsd started" 1 "$(tail -n 3 "$work/daemon.log")"; echo "1..$ntest"; exit 1; }
guest_boot "$work/initrd.gz" "$work/sock" programs run "$timeout_s"
guest_check_boot "$timeout_s"
guest_relay_tap guest
grep '^# ' "$work/guest.txt"
guest_wait_daemon 10
check "vfsd exited by itself with status 0" \
	"$([ "${guest_daemon_rc:-x}" = 0 ]; echo $?)" "status ${guest_daemon_rc:-still running}"

# --- the host's view of what the guest wrote ------------------------------

(cd "$share/work" && sha256sum --quiet -c "$share/in/manifest.sha256") >"$work/sum.log" 2>&1
check "host: all $nfiles files the guest untarred have their original sha256" $? \
	"$(head -n 3 "$work/sum.log")"
shape "$share/work" >"$work/work.shape" 2>&1
diff "$work/orig.shape" "$work/work.shape" >"$work/shape.diff"
check "host: types, modes, sizes and link counts of the untarred tree match" $? \
	"$(head -n 4 "$work/shape.diff" | tr '\n' ' ')"

mkdir "$work/retar"
tar -xf "$share/out/retar.tar" -C "$work/retar" 2>"$work/retar.log"
check "host: the guest's tar of the tree extracts" $? "$(head -n 2 "$work/retar.log")"
(cd "$work/retar" && sha256sum --quiet -c "$share/in/manifest.sha256") >"$work/sum2.log" 2>&1
check "host: every file in the guest's tar has its original sha256" $? \
	"$(head -n 3 "$work/sum2.log")"
shape "$work/retar" >"$work/retar.shape" 2>&1
diff "$work/orig.shape" "$work/retar.shape" >"$work/retar.diff"
check "host: types, modes, sizes and link counts in the guest's tar match" $? \
	"$(head -n 4 "$work/retar.diff" | tr '\n' ' ')"

git_host() { git -c safe.directory='*' -C "$share/repo" "$@"; }
git_host fsck --full --no-progress >"$work/fsck.log" 2>&1
check "host: git fsck --full of the guest's repository" $? "$(head -n 3 "$work/fsck.log")"
check "host: git log has the guest's two commits" \
	"$([ "$(git_host log --oneline 2>/dev/null | wc -l)" -eq 2 ]; echo $?)"
check "host: git status of the guest's work tree is clean" \
	"$([ -z "$(git_host status --porcelain 2>&1)" ]; echo $?)" "$(git_host status --porcelain 2>&1 | head -n 3)"
check "host: a file committed in the guest reads back from git" \
	"$(git_host show HEAD:tree/big-3.bin | cmp -s - "$orig/big-3.bin"; echo $?)"

check_sanitizer "$work/daemon.log"

echo "1..$ntest"
if [ "$nfail" -ne 0 ]; then
	guest_diag_all
	exit 1
fi
