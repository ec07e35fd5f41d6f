#!/bin/sh
# Runs in the guest (build-initramfs.sh mode run) with the share's mount
# point as $1: real programs on the share, one TAP line per step. Host
# programs are called by path: busybox's sh prefers its own applets. The host
# left in/tree.tar and in/manifest.sha256 there (tests/conformance/
# run-programs.sh) and checks work/, out/ and repo/ afterwards.
mnt=$1
export HOME=/root PATH=/usr/bin:/bin:/sbin:/usr/sbin GIT_PAGER=cat PAGER=cat \
	GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=guest GIT_AUTHOR_EMAIL=guest@vfsd.invalid \
	GIT_COMMITTER_NAME=guest GIT_COMMITTER_EMAIL=guest@vfsd.invalid
n=0
rc=0

step() { # NAME COMMAND...
	name=$1
	shift
	n=$((n + 1))
	t0=$(date +%s)
	if "$@" >/tmp/step.log 2>&1; then
		echo "ok $n - $name ($(($(date +%s) - t0)) s)"
	else
		echo "not ok $n - $name: exit $?"
		tail -n 20 /tmp/step.log | sed 's/^/# /'
		rc=1
	fi
}

git_log_count() { # DIR N: the history has N commits
	[ "$(git -C "$1" log --oneline | wc -l)" -eq "$2" ]
}

git_clean() {
	[ -z "$(git -C "$1" status --porcelain)" ]
}

mkdir -p "$mnt/work" "$mnt/out" "$mnt/stress" "$mnt/repo"
step "untar the source tree onto the share (GNU tar)" \
	/usr/bin/tar -xf "$mnt/in/tree.tar" -C "$mnt/work"
step "every extracted file has the host's sha256" \
	sh -c "cd '$mnt/work' && /usr/bin/sha256sum --quiet -c '$mnt/in/manifest.sha256'"
step "re-tar the tree from the share" \
	/usr/bin/tar -cf "$mnt/out/retar.tar" -C "$mnt/work" tree
step "cp -a the tree into a git work tree" cp -a "$mnt/work/tree" "$mnt/repo"
step "git init" git init -q "$mnt/repo"
step "git add -A" git -C "$mnt/repo" add -A
step "git commit" git -C "$mnt/repo" commit -q -m "the tree as the host made it"
step "git status is clean after the commit" git_clean "$mnt/repo"
echo "changed in the guest" >>"$mnt/repo/tree/README.guest"
git -C "$mnt/repo" mv tree/big-1.bin tree/big-1-moved.bin 2>/tmp/step.log
rm -f "$mnt/repo/tree/big-2.bin"
step "git status sees an add, a rename and a delete" \
	sh -c "[ \$(git -C '$mnt/repo' status --porcelain | wc -l) -eq 3 ]"
step "git commit -a of the changes" \
	sh -c "git -C '$mnt/repo' add -A && git -C '$mnt/repo' commit -q -m 'guest changes'"
step "git log shows both commits" git_log_count "$mnt/repo" 2
step "git gc packs the objects" git -C "$mnt/repo" gc -q
step "git fsck --full finds every object intact" git -C "$mnt/repo" fsck --full --no-progress
step "stress-ng filesystem stressors (--verify) for 10 s" \
	/usr/bin/stress-ng --temp-path "$mnt/stress" --timeout 10s --verify \
	--metrics-brief --dir 1 --link 1 --rename 1 --hdd 1 \
	--hdd-bytes 4M --fallocate 1 --seek 1 --xattr 1 --lockf 1 --flock 1 \
	--chmod 1 --utime 1 --getdent 1 --copy-file 1 --io 1 --sync-file 1
grep -E 'metrc|info|fail|error' /tmp/step.log | tail -n 25 | sed 's/^/# /'
echo "1..$n"
exit $rc
