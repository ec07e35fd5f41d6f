#!/bin/bash
# libvirt test: Debian's libvirt 9.0 starts vfsd for a virtio-fs
# <filesystem> of a TCG guest that mounts the share and writes a file, which
# the host then checks. The domain XML is built from `vfsd config --format
# libvirt`. Variants: memfd and file-backed memory, <cache>, <lock>,
# <thread_pool>, <sandbox>, xattr, a source directory named with a comma
# and a space, and vhost-user discovery (no <binary>: libvirt finds vfsd
# through its installed JSON file). A feature vfsd's --help does not list
# (xattr, chroot sandbox) must instead make the domain fail to start, with
# vfsd's reason in the log libvirt keeps.
#
#   tests/libvirt/run.sh BUILD_DIR [GUEST_BIN]
#
# libvirtd and virtlogd run in a private mount namespace with overlays on
# /etc, /usr and /var and a tmpfs on /run, so the test installs vfsd (meson
# install), writes libvirt's configuration, adds the libvirt-qemu user and
# the /etc/qemu/vhost-user file without touching the host. The guests boot
# in parallel (TCG, 512 MiB, one vCPU each). Prints TAP;
# a TAP SKIP (1..0) without root or libvirt.
set -u

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:?usage: run.sh BUILD_DIR [GUEST_BIN]}
build=$(cd "$build" && pwd)
guest_bin=${2:-$build/tests/e2e/e2e_ops}
vfsd=$build/src/cli/vfsd
boot_timeout=180

# shellcheck source=../lib/runner.sh
. "$top/tests/lib/runner.sh"
need_root
need_cmd libvirtd virtlogd virsh qemu-system-x86_64
[ -x "$vfsd" ] || skip_all "$vfsd not built"
runner_private_ns "$@"

runner_work libvirt
. "$top/tests/lib/guest.sh"
chmod 0755 "$work"
n=0
failed=0

ok() {
	n=$((n + 1))
	echo "ok $n - $*"
}

not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $*"
}

diag() {
	sed 's/^/# /' "$@" 2>/dev/null | tr -d '\r' | tail -n 40
}

cleanup() {
	for d in $(virsh -q list --name 2>/dev/null); do
		virsh -q destroy "$d" >/dev/null 2>&1
	done
	for p in /run/libvirtd.pid /run/virtlogd.pid; do
		[ -s "$p" ] && kill "$(cat "$p")" 2>/dev/null
	done
	sleep 0.5
	umount -l /run /var /usr /etc 2>/dev/null
}

# --- a private root for libvirt -------------------------------------------
private_root() {
	for d in etc usr var; do
		mkdir -p "$work/ov/$d.upper" "$work/ov/$d.work" || return 1
		mount -t overlay overlay -o "lowerdir=/$d,upperdir=$work/ov/$d.upper,workdir=$work/ov/$d.work" "/$d" ||
			return 1
	done
	mount -t tmpfs -o mode=0755 tmpfs /run || return 1
	# libvirtd looks the user up even when QEMU runs as root.
	getent passwd libvirt-qemu >/dev/null ||
		echo 'libvirt-qemu:x:64055:64055:libvirt qemu:/var/lib/libvirt:/usr/sbin/nologin' >>/etc/passwd
	getent group libvirt-qemu >/dev/null || echo 'libvirt-qemu:x:64055:' >>/etc/group
	getent group kvm >/dev/null || echo 'kvm:x:64056:' >>/etc/group
	mkdir -p /etc/libvirt /etc/qemu/vhost-user "$work/ram" \
		/var/log/libvirt/qemu /var/lib/libvirt/qemu /var/cache/libvirt || return 1
	# No polkit here: local root connects without authentication.
	cat >/etc/libvirt/libvirtd.conf <<-CONF
	auth_unix_ro = "none"
	auth_unix_rw = "none"
	unix_sock_group = "root"
	unix_sock_rw_perms = "0700"
	log_outputs = "3:file:$work/libvirtd.log"
	CONF
	cat >/etc/libvirt/qemu.conf <<-CONF
	user = "root"
	group = "root"
	dynamic_ownership = 0
	remember_owner = 0
	security_driver = "none"
	cgroup_controllers = [ ]
	namespaces = [ ]
	memory_backing_dir = "$work/ram"
	CONF
	: >/etc/libvirt/libvirt.conf
}

# vfsd as a user installs it: `meson install`, then the discovery file
# made the default as vfsd(1) documents (a lower number in /etc).
install_vfsd() {
	meson install -C "$build" --no-rebuild --quiet >"$work/install.log" 2>&1 ||
		return 1
	json=$(find /usr/local/share/qemu/vhost-user -name '*-vfsd.json' | head -n 1)
	[ -n "$json" ] || return 1
	cp "$json" /etc/qemu/vhost-user/10-vfsd.json
	installed_vfsd=$(sed -n 's/.*"binary": *"\([^"]*\)".*/\1/p' "$json")
	[ -x "$installed_vfsd" ]
}

start_daemons() {
	virtlogd -d || return 1
	libvirtd -d || return 1
	for _ in $(seq 100); do
		virsh -q version >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

prepare_guest() {
	if ! [ -x "$guest_bin" ]; then
		guest_bin=$work/e2e_ops
		${CC:-cc} -std=gnu11 -O2 -D_GNU_SOURCE -static -o "$guest_bin" \
			"$top"/tests/e2e/guest/*.c || return 1
	fi
	guest_prepare "$work/initrd.gz" "$guest_bin"
}

# A share the guest's demo mode expects: hello.txt and docs/.
make_share() {
	mkdir -p "$1/docs" || return 1
	echo "Hello from the host!" >"$1/hello.txt"
	echo "notes" >"$1/docs/notes.md"
}

# Add attributes ($1) and child elements ($2) to the <binary> element of a
# `vfsd config` output on stdin: what the test varies beyond its options.
edit_binary() {
	awk -v attrs="$1" -v kids="$2" '
	/^ *<binary.*\/>$/ {
		sub(/\/>$/, (attrs ? " " attrs : "") ">")
		print; if (kids) print "      " kids; print "    </binary>"; next
	}
	/^ *<binary.*>$/ {
		sub(/>$/, (attrs ? " " attrs : "") ">")
		print; if (kids) print "      " kids; next
	}
	{ print }'
}

# domain_xml NAME TAG DIR ATTRS KIDS CONFIG_ARGS...: the domain, whose
# memory, cpu, memoryBacking and filesystem come from `vfsd config`.
domain_xml() {
	name=$1 tag=$2 dir=$3 attrs=$4 kids=$5
	shift 5
	cfg=$("$vfsd" config --format libvirt --tag "$tag" --shared-dir "$dir" \
		--memory 512M --cpus 2 "$@" | edit_binary "$attrs" "$kids") || return 1
	cat <<-XML
	<domain type='qemu'>
	  <name>$name</name>
	$(printf '%s\n' "$cfg" | sed '/^<devices>$/,/^<\/devices>$/d')
	  <os>
	    <type arch='x86_64' machine='pc'>hvm</type>
	    <kernel>${guest_kernel[0]}</kernel>
	    <initrd>$work/initrd.gz</initrd>
	    <cmdline>console=ttyS0 quiet loglevel=4 panic=-1 vfsd.tag=$tag vfsd.mode=demo</cmdline>
	  </os>
	  <features><acpi/></features>
	  <on_poweroff>destroy</on_poweroff>
	  <on_reboot>destroy</on_reboot>
	  <on_crash>destroy</on_crash>
	  <devices>
	    <emulator>$(command -v qemu-system-x86_64)</emulator>
	$(printf '%s\n' "$cfg" | sed -n '/^<devices>$/,/^<\/devices>$/p' | sed '1d;$d')
	    <serial type='file'>
	      <source path='$work/$name.serial'/>
	      <target port='0'/>
	    </serial>
	    <memballoon model='none'/>
	  </devices>
	</domain>
	XML
}

declare -A share_of
booted=()

# boot NAME TAG DIR ATTRS KIDS CONFIG_ARGS...: define and start the domain.
boot() {
	name=$1 dir=$3
	make_share "$dir" || return 1
	domain_xml "$@" >"$work/$name.xml" || return 1
	share_of[$name]=$dir
	if virsh -q create "$work/$name.xml" >"$work/$name.create" 2>&1; then
		booted+=("$name")
	else
		not_ok "$name: domain did not start"
		diag "$work/$name.create" /var/log/libvirt/qemu/"$name"*.log
	fi
}

# refuse NAME PATTERN TAG DIR ATTRS KIDS CONFIG_ARGS...: the domain must not
# start, and vfsd's log (which libvirt keeps) must give the reason, PATTERN.
refuse() {
	name=$1 pattern=$2
	shift 2
	make_share "$2" || return 1
	domain_xml "$name" "$@" >"$work/$name.xml" || return 1
	if virsh -q create "$work/$name.xml" >"$work/$name.create" 2>&1; then
		virsh -q destroy "$name" >/dev/null 2>&1
		not_ok "$name: domain started, expected vfsd to refuse it"
		return
	fi
	log=$(ls /var/log/libvirt/qemu/"$name"-*virtiofsd.log 2>/dev/null | head -n 1)
	reason=$(grep -i -m1 -- "$pattern" "$log" 2>/dev/null)
	if [ -n "$reason" ]; then
		ok "$name: refused; vfsd said: $reason"
	else
		not_ok "$name: refused without saying '$pattern'"
		diag "$work/$name.create" "$log"
	fi
}

# Wait for a booted domain to power off, then check what the guest did.
finish() {
	name=$1 dir=${share_of[$1]}
	gone=
	for _ in $(seq $((boot_timeout * 2))); do
		virsh -q domstate "$name" >/dev/null 2>&1 || { gone=1; break; }
		sleep 0.5
	done
	if [ -z "$gone" ]; then
		virsh -q destroy "$name" >/dev/null 2>&1
		not_ok "$name: guest did not power off within $boot_timeout s"
		diag "$work/$name.serial"
		return
	fi
	log=$(ls /var/log/libvirt/qemu/"$name"-*virtiofsd.log 2>/dev/null | head -n 1)
	if ! tr -d '\r' <"$work/$name.serial" | grep -q '^=== VFSD-E2E END rc=0 ==='; then
		not_ok "$name: guest demo failed"
		diag "$work/$name.serial" "$log"
	elif ! grep -qx 'Hello from the guest!' "$dir/from-guest.txt" 2>/dev/null; then
		not_ok "$name: $dir/from-guest.txt missing or wrong on the host"
		diag "$log"
	elif ! grep -q "serving '$dir'" "$log" 2>/dev/null; then
		not_ok "$name: the daemon that served the guest was not vfsd"
		diag "$log"
	else
		ok "$name: guest wrote from-guest.txt, the host reads it (${SECONDS}s into the test)"
	fi
}

private_root || { echo "Bail out! cannot set up a private root"; exit 1; }
install_vfsd || { diag "$work/install.log"; echo "Bail out! meson install failed"; exit 1; }
ok "meson install: vfsd in libexecdir, discovery file $(basename "$json") (copied to /etc/qemu/vhost-user/10-vfsd.json)"
start_daemons || { diag "$work/libvirtd.log"; echo "Bail out! libvirtd did not start"; exit 1; }
prepare_guest >"$work/guest.log" 2>&1 ||
	{ diag "$work/guest.log"; echo "Bail out! no guest kernel/initramfs"; exit 1; }

s=$work/shares
help=$("$vfsd" --help)
has() { printf '%s\n' "$help" | grep -q -- "$1"; }
# Features vfsd may not have yet: with them the guests use them, without
# them vfsd must refuse the domain by name.
memfd_attrs= disc_kids=
if has --xattr; then
	memfd_attrs="xattr='on'"
else
	refuse xattr xattr fs5 "$s/r5" "xattr='on'" "" --binary="$vfsd"
fi
if has --posix-lock; then
	disc_kids="<lock posix='on' flock='on'/>"
fi
# Two guests cover most variants: memfd RAM with an explicit <binary> and
# its children, in a directory named with a comma and a space; file-backed
# RAM with vfsd found by discovery.
boot memfd fs1 "$s/a, b" "$memfd_attrs" "<lock posix='off' flock='off'/>" \
	--binary="$vfsd" --memory-backing=memfd --cache=never --thread-pool-size=2
boot discovery-file fs2 "$s/discovery" "xattr='off'" "$disc_kids" \
	--binary=none --memory-backing=file --cache=always
# A <binary> without <cache> (vfsd's default) and a chroot sandbox.
if has chroot; then
	boot sandbox fs3 "$s/sandbox" "" "" --binary="$vfsd" --sandbox=chroot
else
	refuse sandbox sandbox fs4 "$s/r4" "" "" --binary="$vfsd" --sandbox=chroot
fi
for name in "${booted[@]}"; do
	finish "$name"
done
echo "1..$n"
echo "# $((n - failed)) of $n passed"
[ "$failed" -eq 0 ]
