# Sourced by the runners that mount through mount(8) and the build's
# mount.fuse.vfsd (tests/meson.build makes it). mount(8) looks for helpers
# in /sbin only, so the runner re-executes itself in a private mount
# namespace, where an overlay on the /sbin directory carries the helper: the
# host's /sbin is never written, and everything mounted in the namespace goes
# away with it.
#
#   helper_enter_ns "$@"          first thing in the runner: re-exec in a new
#                                 mount namespace (returns in the new one)
#   ns_overlay DIR LAYERS         an overlay on DIR (in the namespace), its
#                                 layers under LAYERS; status 1 if not
#   helper_install HELPER WORK    put HELPER at /sbin/mount.fuse.vfsd, the
#                                 overlay's layers under WORK; status 1 if not

helper_enter_ns() {
	[ -n "${VFSD_HELPER_NS:-}" ] && return 0
	VFSD_HELPER_NS=1 exec unshare --mount --propagation private \
		"$0" "$@"
	echo "Bail out! unshare --mount failed"
	exit 1
}

ns_overlay() {
	local name
	name=$(basename "$1")
	mkdir -p "$2/$name.upper" "$2/$name.work" &&
		mount -t overlay overlay -o "lowerdir=$1,upperdir=$2/$name.upper,workdir=$2/$name.work" "$1"
}

helper_install() {
	local sbin
	sbin=$(readlink -f /sbin) || return 1
	ns_overlay "$sbin" "$2" &&
		install -m 0755 "$1" "$sbin/mount.fuse.vfsd"
}
