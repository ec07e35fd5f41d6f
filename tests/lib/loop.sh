# Sourced by runners that mount filesystem images (after tap.sh or not).
# A fresh machine may have loop support but no /dev/loop-control or
# /dev/loopN nodes (a static /dev without udev): the nodes needed are made
# here and removed again by loop_cleanup.
#
#   loop_attach IMAGE   attach IMAGE to a free loop device, in $loop_dev;
#                       status 1 if none can be had
#   loop_cleanup        detach every device loop_attach attached, remove
#                       the nodes it made

loop_devs=()
loop_nodes=()
loop_dev=

loop_need_node() {
	[ -e "$1" ] && return 0
	mknod -m 0600 "$1" "$2" "$3" "$4" || return 1
	loop_nodes+=("$1")
}

loop_attach() {
	local n
	loop_dev=$(losetup -f --show "$1" 2>/dev/null)
	if [ -z "$loop_dev" ]; then
		loop_need_node /dev/loop-control c 10 237 || return 1
		for _ in 1 2 3; do
			n=$(losetup -f 2>/dev/null) || return 1
			loop_need_node "$n" b 7 "${n#/dev/loop}" || return 1
			losetup "$n" "$1" 2>/dev/null && { loop_dev=$n; break; }
		done
	fi
	[ -n "$loop_dev" ] || return 1
	loop_devs+=("$loop_dev")
}

loop_cleanup() {
	local d
	for d in "${loop_devs[@]}"; do
		losetup -d "$d" 2>/dev/null
	done
	for d in "${loop_nodes[@]}"; do
		rm -f "$d"
	done
	loop_devs=()
	loop_nodes=()
}
