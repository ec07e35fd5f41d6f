#!/bin/bash
# One licence header: every C source and header of the tree starts with
#   /* SPDX-License-Identifier: GPL-2.0-or-later */
#
#   tests/style/check-licence.sh SOURCE_ROOT
#
# Prints TAP.
set -u
root=${1:?usage: $0 SOURCE_ROOT}
# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"

want='/* SPDX-License-Identifier: GPL-2.0-or-later */'
bad=
n=0
while IFS= read -r f; do
	n=$((n + 1))
	IFS= read -r first <"$f" || first=
	[ "$first" = "$want" ] || bad+="${f#"$root"/}"$'\n'
done < <(find "$root/src" "$root/tools" "$root/tests" "$root/bench" \
	-name '*.[ch]' 2>/dev/null | sort)
[ -z "$bad" ] || printf '%s' "$bad" | sed 's/^/# no header: /'
check "all $n C files start with the one SPDX line" \
	"$([ -z "$bad" ] && [ "$n" -gt 0 ]; echo $?)"
echo "1..$ntest"
[ "$nfail" -eq 0 ]
