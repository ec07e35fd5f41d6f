# Sourced by the xfstests runners (tests/xfstests), after tap.sh and
# mount_helper.sh, in their private mount namespace (runner_private_ns,
# helper_enter_ns).
#
#   xfstests_tarball TOP        print ../shared/suites/xfstests-*.tar.gz beside
#                               the repository TOP (nothing when missing)
#   xfstests_build SRC TARBALL  unpack and build the suite in SRC, once per
#                               tarball (SRC/.built-from); one check line when
#                               it builds; status 1 if it failed
#   xfstests_users WORK         an overlay on /etc (layers under WORK) with the
#                               users xfstests expects: fsgqa, fsgqa2 and
#                               123456-fsgqa, homes under WORK/home; one check
#   xfstests_compare XML TARGET ELAPSED [SUMMARY] [--guest]
#                               compare.py's TAP lines for the report XML,
#                               numbered on from this runner's; status 1 on a
#                               new failure or an unexpected pass (--guest:
#                               a chosen few ran from a guest, which may
#                               fail those in known-vfsd-bugs-guest too; the
#                               rest of the lists goes unmentioned)

xfstests_lists=$(cd "$(dirname "${BASH_SOURCE[0]}")/../xfstests" && pwd)

xfstests_tarball() {
	ls "$1"/../shared/suites/xfstests-*.tar.gz 2>/dev/null | head -n 1
}

xfstests_build() {
	local src=$1 tarball=$2 stamp=$1/.built-from rc
	[ "$(cat "$stamp" 2>/dev/null)" != "$(basename "$tarball")" ] || return 0
	rm -rf "$src"
	mkdir -p "$src"
	tar -xzf "$tarball" -C "$src" --strip-components=1 &&
		make -C "$src" -j"$(nproc)" >"$src.build.log" 2>&1
	rc=$?
	check "xfstests unpacked and built in $src" $rc \
		"$(tail -n 20 "$src.build.log" 2>/dev/null)"
	[ $rc -eq 0 ] || return 1
	basename "$tarball" >"$stamp"
}

xfstests_users() {
	local u ok=0
	ns_overlay /etc "$1" || ok=1
	for u in fsgqa fsgqa2 123456-fsgqa; do
		[ $ok -eq 0 ] || break
		id "$u" >/dev/null 2>&1 || useradd -m -d "$1/home/$u" "$u" || ok=1
	done
	check "users fsgqa, fsgqa2, 123456-fsgqa exist (an overlay on /etc)" $ok
}

xfstests_compare() {
	local rc
	python3 "$xfstests_lists/compare.py" --xml "$1" --target "$2" \
		--expected "$xfstests_lists/expected-failures" \
		--known "$xfstests_lists/known-vfsd-bugs" \
		--first "$((ntest + 1))" --elapsed "$3" \
		${4:+--summary "$4"} \
		${5:+--subset --known "$xfstests_lists/known-vfsd-bugs-guest"} \
		>"$work/tap"
	rc=$?
	cat "$work/tap"
	ntest=$((ntest + $(grep -cE '^(not )?ok ' "$work/tap")))
	return $rc
}
