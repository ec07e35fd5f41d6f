# Sourced by runners that serve a share on a real filesystem they make
# (after loop.sh). Each is its own: an image file on a loop device, or a
# tmpfs, or an overlayfs on tmpfs layers; what was mounted goes with
# realfs_cleanup (and the loop devices with loop_cleanup).
#
#   realfs_mount KIND DIR WORK [SIZE]
#       mount a new KIND on DIR: ext4, xfs, btrfs (an image of SIZE,
#       default 512M, in WORK), tmpfs, overlay (tmpfs layers in
#       WORK/layers, the overlay without nfs_export); status 1 if it
#       cannot be made, 2 if no loop device can be had, 77 if its mkfs
#       is not installed
#   realfs_cleanup
#       unmount everything realfs_mount mounted, last first

realfs_mounts=()

realfs_mount() {
	local kind=$1 dir=$2 work=$3 size=${4:-512M} opts
	case "$kind" in
	ext4 | xfs | btrfs)
		command -v "mkfs.$kind" >/dev/null || return 77
		truncate -s "$size" "$work/$kind.img" || return 1
		case "$kind" in
		ext4) mkfs.ext4 -q -F -N 65536 "$work/$kind.img" ;;
		xfs) mkfs.xfs -q -f "$work/$kind.img" ;;
		btrfs) mkfs.btrfs -q -f "$work/$kind.img" ;;
		esac >/dev/null 2>&1 || return 1
		loop_attach "$work/$kind.img" || return 2
		mount -t "$kind" "$loop_dev" "$dir" || return 1
		;;
	tmpfs)
		mount -t tmpfs -o size="$size",nr_inodes=200000 vfsd-realfs "$dir" ||
			return 1
		;;
	overlay)
		# The layers on a tmpfs of their own: overlayfs wants an upper
		# layer with xattrs and file handles.
		mkdir -p "$work/layers" &&
			mount -t tmpfs -o size="$size",nr_inodes=200000 \
				vfsd-realfs-layers "$work/layers" || return 1
		realfs_mounts+=("$work/layers")
		mkdir "$work/layers/lower" "$work/layers/upper" \
			"$work/layers/work" || return 1
		opts=lowerdir=$work/layers/lower,upperdir=$work/layers/upper
		mount -t overlay -o "$opts,workdir=$work/layers/work,nfs_export=off" \
			vfsd-realfs-overlay "$dir" || return 1
		;;
	*) return 1 ;;
	esac
	realfs_mounts+=("$dir")
}

realfs_cleanup() {
	local i
	for ((i = ${#realfs_mounts[@]} - 1; i >= 0; i--)); do
		umount "${realfs_mounts[$i]}" 2>/dev/null ||
			umount -l "${realfs_mounts[$i]}" 2>/dev/null
	done
	realfs_mounts=()
}
