# Sourced by the runners that start a daemon without root: an ordinary
# user made for the run (a fresh CI machine has none) with subordinate ids,
# and the maps libvirt's session mode passes. Needs root (useradd) and the
# uidmap package (newuidmap/newgidmap).
#
#   rootless_missing        why a rootless run cannot happen here (empty if
#                           it can); print it as the SKIP reason
#   rootless_ready WHAT     rootless_user_add for a TAP runner (tap.sh): a
#                           SKIP of WHAT when it cannot happen here, a
#                           failed check when useradd fails; status 0 when
#                           the user is there
#   rootless_user_add       create the user: rl_user, rl_uid, rl_gid and
#                           its subordinate ranges rl_subuid, rl_subgid
#                           (rl_count ids each); status 1 on failure
#   rootless_user_del       remove the user and its ranges again (safe to
#                           call twice; call it from the EXIT trap)
#   rootless_maps           the --uid-map/--gid-map arguments libvirt 10's
#                           qemuVirtioFSPrepareIdMap gives a session
#                           daemon: 0 is the user, 1.. its range (one a line)
#   rootless_run CMD...     run CMD as the user (no supplementary groups)

rl_user=
rl_uid=
rl_gid=
rl_subuid=
rl_subgid=
rl_count=65536
rl_made_subfiles=()

rootless_missing() {
	[ "$(id -u)" -eq 0 ] || { echo "needs root to create a test user"; return; }
	local c
	for c in useradd userdel newuidmap newgidmap setpriv; do
		command -v "$c" >/dev/null || { echo "$c not installed (uidmap, passwd, util-linux)"; return; }
	done
}

# The first free range of rl_count ids in FILE at or above 200000.
rootless_free_range() {
	local start=200000 s c
	while read -r s c; do
		[ -n "$s" ] || continue
		if [ $((s + c)) -gt "$start" ] && [ "$s" -lt $((start + rl_count)) ]; then
			start=$((s + c))
		fi
	done < <(awk -F: 'NF == 3 { print $2, $3 }' "$1" | sort -n)
	echo "$start"
}

rootless_user_add() {
	local f free
	rl_user=vfsdt$$
	# A group of its own (-U), so the gid maps like libvirt's.
	useradd -M -U -s /usr/sbin/nologin "$rl_user" || { rl_user=; return 1; }
	rl_uid=$(id -u "$rl_user")
	rl_gid=$(id -g "$rl_user")
	for f in /etc/subuid /etc/subgid; do
		[ -e "$f" ] || { : >"$f" && rl_made_subfiles+=("$f"); } || return 1
	done
	# useradd may have given it ranges; else give it free ones.
	rl_subuid=$(awk -F: -v u="$rl_user" '$1 == u { print $2; exit }' /etc/subuid)
	rl_subgid=$(awk -F: -v u="$rl_user" '$1 == u { print $2; exit }' /etc/subgid)
	if [ -z "$rl_subuid" ]; then
		free=$(rootless_free_range /etc/subuid)
		usermod --add-subuids "$free-$((free + rl_count - 1))" "$rl_user" || return 1
		rl_subuid=$free
	fi
	if [ -z "$rl_subgid" ]; then
		free=$(rootless_free_range /etc/subgid)
		usermod --add-subgids "$free-$((free + rl_count - 1))" "$rl_user" || return 1
		rl_subgid=$free
	fi
	rl_count=$(awk -F: -v u="$rl_user" '$1 == u { print $3; exit }' /etc/subuid)
}

rootless_ready() {
	local why
	why=$(rootless_missing)
	if [ -n "$why" ]; then
		skip "$1" "$why"
		return 1
	fi
	rootless_user_add && return 0
	check "$1: a test user" 1 "useradd failed"
	return 1
}

rootless_user_del() {
	local f
	if [ -n "$rl_user" ]; then
		# userdel leaves subordinate ranges behind on some versions.
		usermod --del-subuids "$rl_subuid-$((rl_subuid + rl_count - 1))" \
			--del-subgids "$rl_subgid-$((rl_subgid + rl_count - 1))" \
			"$rl_user" 2>/dev/null
		userdel "$rl_user" 2>/dev/null
		groupdel "$rl_user" 2>/dev/null
		rl_user=
	fi
	for f in "${rl_made_subfiles[@]}"; do
		[ -s "$f" ] || rm -f "$f"
	done
	rl_made_subfiles=()
}

rootless_maps() {
	echo "--uid-map=:0:$rl_uid:1:"
	echo "--uid-map=:1:$rl_subuid:$rl_count:"
	echo "--gid-map=:0:$rl_gid:1:"
	echo "--gid-map=:1:$rl_subgid:$rl_count:"
}

rootless_run() {
	setpriv --reuid="$rl_uid" --regid="$rl_gid" --clear-groups "$@"
}
