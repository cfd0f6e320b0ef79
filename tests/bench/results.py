"""make bench's results: each bench script records its summary rows (and its tables by size)
here, inside the VM; tests/bench/summary.py merges every kernel's on the host into one table
and out/bench/results.json (tests/bench/README.md describes both).

A record is one line of JSON appended to OUT/bench/rows/RELEASE.jsonl, RELEASE being the
running kernel's (the guest writes OUT, which it shares with the host).
"""
import json
import os
import sys

ROWS_DIR = os.path.join(os.environ.get("IODBG_OUT", "out"), "bench", "rows")


def cpu_model():
    """The CPU model of this machine (the guest's inside the VM), as /proc/cpuinfo names it."""
    with open("/proc/cpuinfo") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                return value.strip()
    return None


def _append(entry):
    release = os.uname().release
    path = os.path.join(ROWS_DIR, f"{release}.jsonl")
    os.makedirs(ROWS_DIR, exist_ok=True)
    with open(path, "a") as f:
        if not f.tell():
            with open("/proc/version") as v:
                version = v.read().strip()
            f.write(json.dumps({"kind": "kernel", "kernel": release, "version": version,
                                "cpu": cpu_model(), "cpus": os.cpu_count()}) + "\n")
        f.write(json.dumps({"kernel": release,
                            "script": os.path.basename(sys.argv[0]), **entry}) + "\n")


def record(measure, goal, figure, met):
    """Record one row of make bench's summary.

    @measure: what was measured, in the same words on every kernel (summary.py matches the
        kernels' rows by it), e.g. "iodbg read 64 MiB VRAM, time / RW_ADDR ioctl's".
    @goal: the goal as shown, e.g. "<= 1.10", or None for a row that only informs.
    @figure: the number measured (a float: a ratio to a baseline of the same round).
    @met: True or False against @goal, None when there is no goal.
    """
    if goal is None and met is not None:
        raise ValueError("a row without a goal is neither met nor missed")
    _append({"kind": "row", "measure": str(measure), "goal": goal, "figure": float(figure),
             "met": None if met is None else bool(met)})


def table(title, columns, rows):
    """Record (for results.json; the script prints its own) a table of figures, e.g. the
    times by size: @columns, the column names; @rows, lists of as many values (str or
    numbers) each."""
    rows = [list(r) for r in rows]
    if any(len(r) != len(columns) for r in rows):
        raise ValueError("every row needs one value per column")
    _append({"kind": "table", "title": str(title), "columns": list(columns), "rows": rows})
