# Sourced by the shell test runners: one TAP counter for the whole script.
#   check NAME STATUS [REASON]   "ok N - NAME" when STATUS is 0, else
#                                "not ok N - NAME: REASON" (and counts it)
#   skip NAME REASON             "ok N - NAME # SKIP REASON": a part that
#                                could not run here (a peer is missing),
#                                visible as a skip, never as a pass
#   check_sanitizer LOG [NAME]   NAME (default "daemon log has no sanitizer
#                                report") passes when LOG holds no ASan,
#                                LSan or UBSan report; what it found goes
#                                out as comments
# The runner ends with: echo "1..$ntest"; [ "$nfail" -eq 0 ]
ntest=0
nfail=0
check() {
	ntest=$((ntest + 1))
	if [ "$2" -eq 0 ]; then
		echo "ok $ntest - $1"
	else
		nfail=$((nfail + 1))
		echo "not ok $ntest - $1${3:+: $3}"
	fi
}

skip() {
	ntest=$((ntest + 1))
	echo "ok $ntest - $1 # SKIP $2"
}

sanitizer_report='AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:'
check_sanitizer() {
	local found
	found=$(grep -E "$sanitizer_report" "$1" 2>/dev/null | head -n 20)
	[ -z "$found" ] || printf '%s\n' "$found" | sed 's/^/# /'
	check "${2:-daemon log has no sanitizer report}" \
		"$([ -z "$found" ]; echo $?)" "see the daemon log"
}
