#!/bin/bash
# The layers' arrows, checked on the includes: a file in src/LAYER may
# include headers of its own layer and of the layers listed for it below,
# nothing else (docs/ARCHITECTURE.md, "Layers"). The vfsd link alone does
# not catch an include against the arrows (a header is not a symbol), so
# this test does, in make check.
#
#   tests/style/check-layers.sh SOURCE_ROOT      check the tree (TAP)
#   tests/style/check-layers.sh --scan DIR       print offending includes of
#                                                DIR/src and DIR/tools
#
# The TAP run also plants a bad include in a scratch tree and requires the
# scan to name it, so the check cannot quietly stop working.
set -u

# What each layer may include besides itself. cli is the program: it wires
# every layer. tools/ speak the wire formats of the transport and FUSE.
declare -A allowed=(
	[util]=""
	[policy]="util"
	[fs]="util policy"
	[fuse]="util fs"
	[transport]="util fuse"
	[cli]="util policy fs fuse transport"
	[vfsd-client]="util transport fuse"
)

# Prints "FILE:LINE: includes HEADER" for each include against the arrows,
# or for a file in a folder that is no declared layer.
scan() {
	local root=$1 f dir layer line n hdr to
	while IFS= read -r f; do
		dir=$(dirname "$f")
		layer=$(basename "$dir")
		if [ -z "${allowed[$layer]+set}" ]; then
			echo "${f#"$root"/}: in $layer/, which is no declared layer"
			continue
		fi
		n=0
		while IFS= read -r line; do
			n=$((n + 1))
			[[ $line =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]] || continue
			hdr=${BASH_REMATCH[1]}
			case $hdr in
			*/*) to=${hdr%%/*} ;;
			# The build's generated configuration is everyone's.
			vfsd_config.h) continue ;;
			*) [ -e "$dir/$hdr" ] && continue; to="?" ;;
			esac
			[ "$to" = "$layer" ] && continue
			[[ " ${allowed[$layer]} " == *" $to "* ]] && continue
			echo "${f#"$root"/}:$n: includes $hdr"
		done <"$f"
	done < <(find "$root/src" "$root/tools" -mindepth 2 \
		-name '*.[ch]' 2>/dev/null | sort)
}

if [ "${1:-}" = "--scan" ]; then
	scan "$2"
	exit 0
fi
root=${1:?usage: $0 SOURCE_ROOT}

# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"

bad=$(scan "$root")
[ -z "$bad" ] || printf '%s\n' "$bad" | sed 's/^/# /'
check "every include in src/ and tools/ follows the layers' arrows" \
	"$([ -z "$bad" ]; echo $?)" "$(printf '%s\n' "$bad" | wc -l) against"

scratch=$(mktemp -d /tmp/vfsd-layers.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/src/fuse" "$scratch/src/transport" "$scratch/src/util"
printf '#include "fuse/req.h"\n' >"$scratch/src/transport/ok.c"
printf '#include <stdio.h>\n#include "util/log.h"\n#include "transport/virtio_fs.h"\n' \
	>"$scratch/src/fuse/bad.c"
printf '#include "fs/inode.h"\n' >"$scratch/src/util/bad.h"
got=$(scan "$scratch")
want=$'src/fuse/bad.c:3: includes transport/virtio_fs.h\nsrc/util/bad.h:1: includes fs/inode.h'
[ "$got" = "$want" ] || printf '%s\n' "$got" | sed 's/^/# scan said: /'
check "a planted include against the arrows is found (fuse -> transport, util -> fs)" \
	"$([ "$got" = "$want" ]; echo $?)"

echo "1..$ntest"
[ "$nfail" -eq 0 ]
