# Sourced by the shell test runners: one TAP counter for the whole script.
#   check NAME STATUS [REASON]   "ok N - NAME" when STATUS is 0, else
#                                "not ok N - NAME: REASON" (and counts it)
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
