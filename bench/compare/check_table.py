#!/usr/bin/env python3
"""Checks a table written by compare.py --out FILE: the smoke test's assertions (not speed).

- the header line (date, nproc, load) and the command are there;
- every workload named on the command line has at least one row;
- every figure of every row parses as a number (or is one of the known words: a peer without
  the feature, "—" for a subject that does not take part), Astrolabe's figures are numbers
  and > 0 where they are costs that cannot be zero (RSS, bytes, latency; CPU can read 0 at
  --quick sizes, the kernel counting it in 10 ms ticks);
- every ratio is a number or "—";
- no workload failed (no "FAILED" note).

usage: check_table.py FILE WORKLOAD...      exit 0 when all hold, 1 with the reasons otherwise
"""
import re
import sys

ROW_PREFIX = {"scrape": "scrape ", "rw": "rw ", "otlp": "otlp ", "storage": "storage: ",
              "dashboard": "dashboard "}
WORDS = ("—", "n/a", "no OTLP", "no trace store", "incomplete")


def number(cell):
    try:
        x = float(cell.replace(",", ""))
    except ValueError:
        return False
    return x == x and abs(x) != float("inf")


def check(text, workloads):
    """The reasons TEXT (a compare.py table) fails, empty if none."""
    errors = []
    if not re.search(r"Measured \d{4}-\d\d-\d\d \d\d:\d\d UTC .*nproc \d+, load average [\d.]+", text):
        errors.append("no header with date, nproc and load average")
    if "Command: `bench/compare/compare.py" not in text:
        errors.append("no command line")
    if "FAILED" in text:
        errors.append("a workload failed: " + "; ".join(l for l in text.splitlines() if "FAILED" in l))
    rows = [l for l in text.splitlines() if l.startswith("| ") and not l.startswith("| workload")]
    header = next((l for l in text.splitlines() if l.startswith("| workload")), "")
    ncols = header.count("|") - 1
    subjects = [c.strip() for c in header.strip("|").split("|")][2:]
    nsubj = sum(1 for s in subjects if not s.startswith("ours /"))
    for w in workloads:
        if not any(r.startswith("| " + ROW_PREFIX[w]) for r in rows):
            errors.append(f"no row for workload {w}")
    for r in rows:
        cells = [c.strip() for c in r.strip().strip("|").split("|")]
        if len(cells) != ncols:
            errors.append(f"{len(cells)} cells, header has {ncols}: {r}")
            continue
        figures, ratios = cells[2:2 + nsubj], cells[2 + nsubj:]
        ours = figures[0]
        if not number(ours):
            errors.append(f"Astrolabe's figure is not a number: {r}")
        elif float(ours.replace(",", "")) <= 0 and "CPU" not in cells[1]:
            # CPU figures may be 0: the kernel counts CPU in 10 ms ticks, and at --quick sizes a
            # whole scrape window of ours can cost less than one tick.
            errors.append(f"Astrolabe's figure is not > 0: {r}")
        for c in figures[1:]:
            if not number(c) and not c.startswith(WORDS):
                errors.append(f"figure {c!r} does not parse: {r}")
        for c in ratios:
            if not number(c) and c != "—":
                errors.append(f"ratio {c!r} does not parse: {r}")
    return errors


def main():
    errors = check(open(sys.argv[1]).read(), sys.argv[2:])
    if errors:
        print("\n".join(errors))
        sys.exit(1)
    print(f"ok: every workload has a row and every figure parses")


if __name__ == "__main__":
    main()
