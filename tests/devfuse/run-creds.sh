#!/bin/bash
# The credential model seen by real processes through the host's FUSE
# client (vfsd --fuse-mount, default_permissions): what the kernel allows
# with the caller's full identity, the daemon must not refuse for lack of
# the part FUSE does not carry (docs/SECURITY.md, "Credentials").
#
# User 1000 runs with the supplementary group 2000 (setpriv --groups):
# it reads a file of that group, executes an execute-only file, creates
# in a directory of the group (the new file is its own), gives its file to
# the group and sets set-group-ID on it; it writes a file with file
# capabilities (dropped, as on ext4), and writes and fallocates another
# user's set-user-ID file, whose cleared mode the mount shows at once.
# trusted.* xattrs: refused by default (no CAP_SYS_ADMIN), the guest's
# root's with --modcaps=+sys_admin, on every type of inode (a symlink's
# own, a fifo's, a device node's, which vfsd never opens). With --translate-uid sending the
# guest's root elsewhere, the host's refusals stand.
#
#   tests/devfuse/run-creds.sh --daemon-bin PATH
#
# Prints TAP; needs root, setpriv and fallocate (util-linux), python3.
set -u

# shellcheck source=../lib/runner.sh
. "$(dirname "$0")/../lib/runner.sh"
# shellcheck source=../lib/fuse.sh
. "$(dirname "$0")/../lib/fuse.sh"

fuse_runner creds "$@"
need_cmd setpriv fallocate python3

# The user 1000 of the "guest", in group 2000 by a supplementary group.
user() { setpriv --reuid=1000 --regid=1000 --groups=2000 -- "$@"; }
mode() { stat -c %a "$1" 2>&1; }
owner() { stat -c %u:%g "$1" 2>&1; }
xattr() { # OP PATH NAME [VALUE]: python's os.*xattr, the error on stderr
	python3 -c '
import os, sys
op, path, name = sys.argv[1:4]
try:
    if op == "set": os.setxattr(path, name, sys.argv[4].encode(), follow_symlinks=False)
    elif op == "get":
        v = os.getxattr(path, name, follow_symlinks=False)
        print(v.decode() if v.isascii() and b"\0" not in v else v.hex())
    elif op == "list": print(" ".join(sorted(os.listxattr(path, follow_symlinks=False))))
    elif op == "remove": os.removexattr(path, name, follow_symlinks=False)
except OSError as e:
    print(e.strerror, file=sys.stderr); sys.exit(1)' "$@"
}

echo "group data" >"$share/grp"
chown 0:2000 "$share/grp"
chmod 0640 "$share/grp"
cp /bin/true "$share/xonly"
chmod 0711 "$share/xonly"
mkdir -m 0770 "$share/gd"
chown 0:2000 "$share/gd"
echo mine >"$share/mine"
chown 1000:1000 "$share/mine"
printf 'x%.0s' $(seq 8192) >"$share/capped"
chmod 0666 "$share/capped"
# v2 file capabilities: cap_net_raw, effective.
python3 -c 'import os, struct, sys
os.setxattr(sys.argv[1], "security.capability",
            struct.pack("<5I", 0x02000001, 1 << 13, 0, 0, 0))' "$share/capped"
check "the host file carries security.capability" $?
ln -s grp "$share/lnk"
mkfifo "$share/fifo"
mknod "$share/null" c 1 3
for f in suid suid2; do
	echo data >"$share/$f"
	chown 3000:3000 "$share/$f"
	chmod 06666 "$share/$f"
done

# --xattr: the file capability and trusted.* cases need them.
fuse_start --xattr || { echo "Bail out! vfsd did not mount"; sed 's/^/# /' "$log"; exit 1; }

out=$(user cat "$mnt/grp" 2>&1)
check "user reads a 0640 file of its supplementary group" \
	"$([ "$out" = "group data" ]; echo $?)" "$out"
out=$(user "$mnt/xonly" 2>&1)
check "user executes a root's execute-only (0711) file" $? "$out"
out=$(user sh -c "echo new >'$mnt/gd/new'" 2>&1)
check "user creates in a 0770 directory of its supplementary group" $? "$out"
o=$(owner "$share/gd/new")
check "the new file is the user's own on the host" \
	"$([ "$o" = 1000:1000 ]; echo $?)" "got $o"
out=$(user chgrp 2000 "$mnt/mine" 2>&1)
check "user gives its file to its supplementary group" $? "$out"
o=$(owner "$share/mine")
check "the host file is in group 2000" "$([ "$o" = 1000:2000 ]; echo $?)" "got $o"
out=$(user chmod 2644 "$mnt/mine" 2>&1)
m=$(mode "$share/mine")
check "user sets set-group-ID on its file of that group (kept)" \
	"$([ "$m" = 2644 ]; echo $?)" "chmod: $out; mode $m"

out=$(user sh -c "printf y | dd of='$mnt/capped' conv=notrunc status=none" 2>&1)
check "user writes a file that carries file capabilities" $? "$out"
out=$(xattr get "$share/capped" security.capability 2>&1)
check "the write dropped security.capability, as on ext4" \
	"$([ "$out" = "No data available" ]; echo $?)" "got: $out"

out=$(user sh -c "printf y >>'$mnt/suid'" 2>&1)
m=$(mode "$mnt/suid")
check "another user's write: the mount shows set-user/group-ID cleared" \
	"$([ "$m" = 666 ]; echo $?)" "write: $out; mode $m (host $(mode "$share/suid"))"
out=$(user fallocate -o 0 -l 8192 "$mnt/suid2" 2>&1)
m=$(mode "$mnt/suid2")
check "another user's fallocate: the mount shows them cleared" \
	"$([ "$m" = 666 ]; echo $?)" "fallocate: $out; mode $m (host $(mode "$share/suid2"))"

out=$(xattr set "$mnt/grp" trusted.t v 2>&1)
check "trusted.* by default: EPERM (no CAP_SYS_ADMIN kept)" \
	"$([ "$out" = "Operation not permitted" ]; echo $?)" "got: $out"
fuse_stop
check "vfsd exited 0" "$([ "$status" = 0 ]; echo $?)" "status $status"
check_sanitizer "$log"

# --modcaps=+sys_admin: kept, but only trusted.* requests borrow it.
fuse_keep_log=1
fuse_start --xattr --modcaps=+sys_admin ||
	{ echo "Bail out! vfsd did not mount"; sed 's/^/# /' "$log"; exit 1; }
out=$(xattr set "$mnt/grp" trusted.t v 2>&1)
check "trusted.* with --modcaps=+sys_admin: root sets one" $? "$out"
out=$(xattr get "$mnt/grp" trusted.t 2>&1)
check "and reads it back" "$([ "$out" = v ]; echo $?)" "got: $out"
out=$(xattr list "$mnt/grp" x 2>&1)
check "and lists it" "$(case "$out" in *trusted.t*) echo 0 ;; *) echo 1 ;; esac)" "got: $out"
out=$(xattr get "$share/grp" trusted.t 2>&1)
check "it is on the host file" "$([ "$out" = v ]; echo $?)" "got: $out"
out=$(user python3 -c 'import os, sys; os.getxattr(sys.argv[1], "trusted.t")' "$mnt/grp" 2>&1)
check "a user may not read it (the kernel's own check)" "$([ $? -ne 0 ]; echo $?)" "$out"
for f in lnk fifo null; do
	out=$(xattr set "$mnt/$f" trusted.t "v-$f" 2>&1)
	check "trusted.* on $f (not a file or directory): root sets one" $? "$out"
	out=$(xattr get "$share/$f" trusted.t 2>&1)
	check "it is on the host's $f itself" "$([ "$out" = "v-$f" ]; echo $?)" "got: $out"
	out=$(xattr get "$mnt/$f" trusted.t 2>&1)
	check "reads it back through the mount" "$([ "$out" = "v-$f" ]; echo $?)" "got: $out"
	out=$(xattr list "$mnt/$f" x 2>&1)
	check "and lists it" "$([ "$out" = trusted.t ]; echo $?)" "got: $out"
	out=$(xattr remove "$mnt/$f" trusted.t 2>&1)
	check "and removes it" $? "$out"
	out=$(xattr get "$share/$f" trusted.t 2>&1)
	check "gone from the host's $f" \
		"$([ "$out" = "No data available" ]; echo $?)" "got: $out"
done
out=$(xattr get "$share/grp" trusted.t 2>&1)
check "the symlink's target kept its own" "$([ "$out" = v ]; echo $?)" "got: $out"
# The host kernel refuses user.* on what is not a file or directory.
out=$(xattr set "$mnt/lnk" user.u v 2>&1)
check "user.* on a symlink: EPERM, as on the host" \
	"$([ "$out" = "Operation not permitted" ]; echo $?)" "got: $out"
# The server is the supervisor's child (docs/SECURITY.md).
status_of=/proc/$(pgrep -n -P "$pid" || echo "$pid")/status
prm=$(awk '$1 == "CapPrm:" { print $2 }' "$status_of")
eff=$(awk '$1 == "CapEff:" { print $2 }' "$status_of")
check "the server keeps CAP_SYS_ADMIN, out of its effective set" \
	"$([ -n "$eff" ] && [ $(( 0x$prm >> 21 & 1 )) -eq 1 ] &&
		[ $(( 0x$eff >> 21 & 1 )) -eq 0 ]; echo $?)" "CapPrm $prm CapEff $eff"
fuse_stop
check "vfsd exited 0" "$([ "$status" = 0 ]; echo $?)" "status $status"

# The guest's root squashed to 1000: nothing is borrowed for anyone.
fuse_start --translate-uid=squash-guest:0:1000:1 ||
	{ echo "Bail out! vfsd did not mount"; sed 's/^/# /' "$log"; exit 1; }
out=$(user cat "$mnt/grp" 2>&1)
check "guest root squashed: the host's refusal of the group read stands" \
	"$([ "$out" != "group data" ]; echo $?)" "read it"
fuse_stop
check "vfsd exited 0" "$([ "$status" = 0 ]; echo $?)" "status $status"
check_sanitizer "$log"

echo "1..$ntest"
[ "$nfail" -eq 0 ]
