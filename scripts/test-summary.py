#!/usr/bin/env python3
"""Count the results of one or more meson test logs (meson-logs/testlog.json)
and print one line per failure plus the closing 'N passed, N failed' line.
A skipped test is reported as skipped, never as passed."""
import json
import sys

PASS = {"OK", "EXPECTEDFAIL"}
SKIP = {"SKIP"}

passed = failed = skipped = 0
for path in sys.argv[1:]:
    label = path.split("/")[0]
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError as e:
        print(f"{label}: no test log ({e.strerror})")
        failed += 1
        continue
    for line in lines:
        if not line.strip():
            continue
        t = json.loads(line)
        res = t.get("result")
        if res in PASS:
            passed += 1
        elif res in SKIP:
            skipped += 1
            print(f"skipped: {label}/{t['name']}")
        else:
            failed += 1
            print(f"FAILED: {label}/{t['name']} ({res})")

tail = f", {skipped} skipped" if skipped else ""
print(f"{passed} passed, {failed} failed{tail}")
sys.exit(1 if failed else 0)
