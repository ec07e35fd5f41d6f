#!/usr/bin/env python3
"""Compare an xfstests xunit report with the lists of failures this tree
expects, and print one TAP line per test (numbered from --first).

  expected-failures  tests that fail on a reference too: each line is
                     TEST WHERE REASON, WHERE a comma list that must name
                     ext4, passthrough_ll or passthrough_hp (where it
                     was seen failing)
  known-vfsd-bugs    tests only vfsd fails today: TEST BULLET REASON, BULLET
                     the issue-17 item whose fix will make it pass (--known
                     may come twice: the guest run adds
                     known-vfsd-bugs-guest, what only a guest shows)

For --target vfsd both lists are expected; for a reference (ext4,
passthrough_ll, passthrough_hp) only the expected-failures lines that name it. A failure
that no list expects is "not ok"; a listed test that passes is an
unexpected pass ("ok ... # TODO"), which fails the run too, so a fixed bug
forces its line out of the list. A test not run is "ok ... # SKIP". Exit
status 1 on either, or on a malformed list."""
import argparse
import sys
import xml.etree.ElementTree as ET

REFERENCES = {"ext4", "passthrough_ll", "passthrough_hp"}


def read_list(path, kind, problems):
    """{test: (field2, reason)}; a bad line goes to problems."""
    entries = {}
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError as e:
        problems.append(f"{path}: {e.strerror}")
        return entries
    for n, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 2)
        where = f"{path}:{n}"
        if len(parts) < 3:
            problems.append(f"{where}: needs TEST, {kind} and a reason")
            continue
        test, field, reason = parts
        if test in entries:
            problems.append(f"{where}: {test} listed twice")
        if kind == "WHERE" and not set(field.split(",")) & REFERENCES:
            problems.append(f"{where}: {test} is not shown failing on "
                            "ext4, passthrough_ll or passthrough_hp")
        if kind == "BULLET" and not field.startswith("issue17:"):
            problems.append(f"{where}: {test} names no issue-17 item")
        entries[test] = (field, reason)
    return entries


def results(xml_path):
    """[(test, status, message, diff)] in the order the tests ran."""
    out = []
    for case in ET.parse(xml_path).getroot().iter("testcase"):
        name = case.get("name")
        fail = case.find("failure")
        skip = case.find("skipped")
        if fail is not None:
            err = case.find("system-err")
            diff = err.text if err is not None and err.text else ""
            out.append((name, "fail", fail.get("message", ""), diff))
        elif skip is not None:
            out.append((name, "notrun", skip.get("message", ""), ""))
        else:
            out.append((name, "pass", "", ""))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--xml", required=True)
    ap.add_argument("--target", required=True)
    ap.add_argument("--expected", required=True)
    ap.add_argument("--known", required=True, action="append")
    ap.add_argument("--first", type=int, default=1)
    ap.add_argument("--elapsed", default="?")
    ap.add_argument("--summary", help="write TEST<TAB>STATUS<TAB>MESSAGE")
    ap.add_argument("--subset", action="store_true",
                    help="a chosen few tests ran: no line for each listed "
                    "test that did not")
    a = ap.parse_args()

    problems = []
    expected = read_list(a.expected, "WHERE", problems)
    known = {}
    for path in a.known:
        more = read_list(path, "BULLET", problems)
        for test in set(known) & set(more):
            problems.append(f"{path}: {test} is in another --known list too")
        known.update(more)
    if a.target == "vfsd":
        listed = {t: f"fails on {w} too: {r}" for t, (w, r) in
                  expected.items()}
        listed.update({t: f"vfsd bug, fixed by {b}: {r}" for t, (b, r) in
                       known.items()})
    else:
        listed = {t: f"fails on {a.target}: {r}" for t, (w, r) in
                  expected.items() if a.target in w.split(",")}

    n = a.first
    bad = 0
    count = {"pass": 0, "fail": 0, "notrun": 0}
    rows = results(a.xml)
    for test, status, msg, diff in rows:
        count[status] += 1
        msg = " ".join(msg.split())
        if status == "notrun":
            print(f"ok {n} - {test} # SKIP not run: {msg}")
        elif status == "pass" and test in listed:
            bad += 1
            print(f"ok {n} - {test} # TODO listed as failing ({listed[test]})"
                  " but passed: take it out of the list")
        elif status == "pass":
            print(f"ok {n} - {test}")
        elif test in listed:
            print(f"not ok {n} - {test} # TODO {listed[test]}")
        else:
            bad += 1
            print(f"not ok {n} - {test}: new failure: {msg}")
            for line in diff.strip().splitlines()[:20]:
                print(f"# {line}")
        n += 1
    ran = {r[0] for r in rows if r[1] != "notrun"}
    for test in [] if a.subset else sorted(set(listed) - ran):
        print(f"# listed but not run here: {test}")
    for p in problems:
        bad += 1
        print(f"not ok {n} - list: {p}")
        n += 1
    print(f"# {a.target}: {len(rows)} tests, {count['pass']} passed, "
          f"{count['fail']} failed, {count['notrun']} not run, "
          f"{a.elapsed} s")
    if a.summary:
        with open(a.summary, "w", encoding="utf-8") as f:
            for test, status, msg, diff in rows:
                f.write(f"{test}\t{status}\t{' '.join(msg.split())}\n")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
