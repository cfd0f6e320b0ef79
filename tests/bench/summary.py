"""make bench's last step (on the host): merge the rows every kernel's bench scripts recorded
(tests/bench/results.py) into one summary table, printed, and out/bench/results.json.

    summary.py [ROWS_DIR [RESULTS_JSON]]   (default: OUT/bench/rows, OUT/bench/results.json)

Exit status 0 (a missed goal is shown, not an error), 2 when there are no rows.
"""
import datetime
import json
import os
import re
import subprocess
import sys

from results import cpu_model

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.environ.get("IODBG_OUT", os.path.join(PROJECT, "out"))
SCHEMA = 1


def release_key(release):
    """Order kernel releases by version: 6.1.0-... before 6.12.0-..."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", release)]


def load(rows_dir):
    """{release: [entry, ...]} from the JSON lines files of @rows_dir."""
    kernels = {}
    for name in sorted(os.listdir(rows_dir)):
        if name.endswith(".jsonl"):
            with open(os.path.join(rows_dir, name)) as f:
                entries = [json.loads(line) for line in f if line.strip()]
            if entries:
                kernels[entries[0]["kernel"]] = entries
    return dict(sorted(kernels.items(), key=lambda kv: release_key(kv[0])))


def commit():
    def git(*args):
        return subprocess.run(["git", "-C", PROJECT, *args], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True).stdout.strip()
    head = git("rev-parse", "HEAD")
    return head + ("-dirty" if head and git("status", "--porcelain", "--untracked-files=no")
                   else "")


def merge(kernels):
    """The rows in the order first recorded, each with its figure on every kernel."""
    rows = {}
    for release, entries in kernels.items():
        for e in entries:
            if e["kind"] != "row":
                continue
            row = rows.setdefault(e["measure"], {"measure": e["measure"], "goal": e["goal"],
                                                 "script": e["script"], "kernels": {}})
            # A measure recorded twice on a kernel (a script run again): the last counts.
            row["kernels"][release] = {"figure": e["figure"], "met": e["met"]}
    for row in rows.values():
        verdicts = [k["met"] for k in row["kernels"].values()]
        row["met"] = None if row["goal"] is None else (
            all(verdicts) and len(verdicts) == len(kernels))
    return list(rows.values())


def figure_text(value):
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def print_table(rows, releases):
    width = max([len("measure")] + [len(r["measure"]) for r in rows])
    cols = [max(len(r), 8) for r in releases]
    print("make bench summary (figures are ratios to a baseline measured in the same round; "
          "'!' marks a missed goal)")
    print(f"  {'measure':{width}s}  {'goal':8s}  "
          + "  ".join(f"{r:{w}s}" for r, w in zip(releases, cols)) + "  met")
    for row in rows:
        cells = []
        for release, w in zip(releases, cols):
            k = row["kernels"].get(release)
            text = "-" if k is None else figure_text(k["figure"]) + ("!" if k["met"] is False
                                                                     else "")
            cells.append(f"{text:{w}s}")
        met = "-" if row["met"] is None else ("yes" if row["met"] else "NO")
        print(f"  {row['measure']:{width}s}  {row['goal'] or '-':8s}  " + "  ".join(cells)
              + f"  {met}")


def main():
    rows_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(OUT, "bench", "rows")
    path = sys.argv[2] if len(sys.argv) > 2 else os.path.join(OUT, "bench", "results.json")
    kernels = load(rows_dir) if os.path.isdir(rows_dir) else {}
    if not kernels:
        print(f"summary: no benchmark rows in {rows_dir}", file=sys.stderr)
        return 2
    rows = merge(kernels)
    results = {
        "schema": SCHEMA,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": commit(),
        "host_cpu": cpu_model(),
        "accel": os.environ.get("IODBG_ACCEL", "tcg"),
        "kernels": [{key: e[key] for key in ("kernel", "version", "cpu", "cpus")}
                    for e in (entries[0] for entries in kernels.values())],
        "rows": rows,
        "tables": [{key: e[key] for key in ("kernel", "script", "title", "columns", "rows")}
                   for entries in kernels.values() for e in entries if e["kind"] == "table"],
    }
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)
    print()
    print_table(rows, list(kernels))
    print(f"  commit {results['commit']}, host CPU {results['host_cpu']}, "
          f"{results['accel']}; written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
