#!/bin/bash
# --translate-uid/--translate-gid seen by real processes through the host's
# FUSE client (vfsd --fuse-mount): ids shown in stat, owners of new files
# on the host, chown in both directions, squash, and forbid-guest refusals.
#
#   tests/devfuse/run-idmap.sh --daemon-bin PATH
#
# Map used: uid/gid 1000 <-> 2000 both ways, host 3000-3009 shown as 65534,
# guest 4000 forbidden. Prints TAP; needs root and setpriv (util-linux).
set -u

# shellcheck source=../lib/runner.sh
. "$(dirname "$0")/../lib/runner.sh"
# shellcheck source=../lib/fuse.sh
. "$(dirname "$0")/../lib/fuse.sh"
need_cmd setpriv
fuse_runner idmap "$@"
mkdir -m 1777 "$share/tmp"
mkdir -m 0755 "$share/home2000" "$share/squashed"
chown 2000:2000 "$share/home2000"
echo data >"$share/squashed/f"
chown 3005:3005 "$share/squashed/f"
echo root >"$share/rootfile"

fuse_start --cache=never \
	--translate-uid=map:1000:2000:1 --translate-gid=map:1000:2000:1 \
	--translate-uid=squash-host:3000:65534:10 \
	--translate-gid=squash-host:3000:65534:10 \
	--translate-uid=forbid-guest:4000:1 --translate-gid=forbid-guest:4000:1 || {
	echo "Bail out! vfsd did not mount"
	sed 's/^/# /' "$log"
	exit 1
}

as() { # UID CMD...: run CMD as UID:UID with no supplementary groups
	local id=$1
	shift
	setpriv --reuid="$id" --regid="$id" --clear-groups -- "$@"
}
owner() { stat -c %u:%g "$1" 2>&1; }

o=$(owner "$mnt/home2000")
check "host 2000:2000 is shown as 1000:1000" "$([ "$o" = 1000:1000 ]; echo $?)" "got $o"
o=$(owner "$mnt/rootfile")
check "an id no rule names is shown unchanged (0:0)" "$([ "$o" = 0:0 ]; echo $?)" "got $o"
o=$(owner "$mnt/squashed/f")
check "squash-host: 3005:3005 is shown as 65534:65534" \
	"$([ "$o" = 65534:65534 ]; echo $?)" "got $o"

as 1000 sh -c "echo mine >'$mnt/home2000/new'"
check "guest uid 1000 may write in its mapped home directory" "$?"
o=$(owner "$share/home2000/new")
check "a file made by 1000 is owned by 2000:2000 on the host" \
	"$([ "$o" = 2000:2000 ]; echo $?)" "got $o"
o=$(owner "$mnt/home2000/new")
check "and by 1000:1000 through the mount" "$([ "$o" = 1000:1000 ]; echo $?)" "got $o"

as 1001 sh -c "echo x >'$mnt/home2000/intruder'" 2>/dev/null
check "uid 1001 (unmapped) may not write there" "$([ $? -ne 0 ]; echo $?)"

echo f >"$mnt/tmp/byroot"
chown 1000:1000 "$mnt/tmp/byroot"
o=$(owner "$share/tmp/byroot")
check "chown to 1000:1000 through the mount stores 2000:2000" \
	"$([ "$o" = 2000:2000 ]; echo $?)" "got $o"

err=$(chown 4000 "$mnt/tmp/byroot" 2>&1)
check "chown to a forbid-guest uid is refused" "$([ -n "$err" ]; echo $?)" "chown succeeded"
err=$(chgrp 4000 "$mnt/tmp/byroot" 2>&1)
check "chgrp to a forbid-guest gid is refused" "$([ -n "$err" ]; echo $?)" "chgrp succeeded"
o=$(owner "$share/tmp/byroot")
check "the refused chown left the owner as it was" "$([ "$o" = 2000:2000 ]; echo $?)" "got $o"

err=$(as 4000 sh -c "echo x >'$mnt/tmp/forbidden'" 2>&1)
check "a forbid-guest user cannot create a file" \
	"$([ ! -e "$share/tmp/forbidden" ] && [ -n "$err" ]; echo $?)" "created: $(owner "$share/tmp/forbidden")"
err=$(as 4000 mkdir "$mnt/tmp/forbidden-dir" 2>&1)
check "a forbid-guest user cannot make a directory" \
	"$([ ! -e "$share/tmp/forbidden-dir" ]; echo $?)" "made"
out=$(as 4000 cat "$mnt/squashed/f" 2>&1)
check "a forbid-guest user still reads world-readable files" \
	"$([ "$out" = data ]; echo $?)" "got: $out"
as 4000 sh -c ": >>'$mnt/tmp/byroot'" 2>/dev/null
check "and has no more than nobody's rights on others' files" "$([ $? -ne 0 ]; echo $?)"

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
check "vfsd exited 0 on SIGTERM" "$([ $rc -eq 0 ]; echo $?)" "status $rc"
check_sanitizer "$log"

echo "1..$ntest"
[ "$nfail" -eq 0 ]
