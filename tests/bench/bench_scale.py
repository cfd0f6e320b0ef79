"""make bench, scale part (runs in the test VM): the listings of a process as large as real
ones, against the kernel's own listing of the same process, timed in the same rounds.

1. `iodbg maps PID` and `iodbg objects PID` against `cat /proc/PID/maps` (ratio = iodbg time
   / cat time; goal: at most 2 at every size), at 1,000, 10,000 and 60,000 ordinary mappings
   and at 100, 1,000 and 10,000 mapped gpu_sim buffer objects.
2. In one gdb session attached to the same processes: `info iodbg-maps` and
   `info gpu-objects` against gdb's own `info proc mappings` (ratio = command time / that;
   the same goal).
3. `iodbg dump` in gdb of a GPU object of DUMP_SIZE bytes to /dev/null: gdb's peak RSS before
   and after, which must not grow with the object (goal: by less than a tenth of it).
Each command's output is checked once before it is timed.
"""
import os
import re
import subprocess
import sys

sys.path[:0] = [os.path.join(os.path.dirname(__file__), "..", "guest"),
                os.path.join(os.environ["IODBG_OUT"], "build", "python")]

import iodbg_uapi as uapi                                       # noqa: E402
from bench_gdb import gdb_times                                 # noqa: E402
from results import record                                      # noqa: E402
from rounds import best                                         # noqa: E402
from targets import GDB_PACKAGE, GpuTarget, Target              # noqa: E402

RUNS = 5
GDB_RUNS = 3
GOAL = 2.0
MAPPINGS = (1000, 10000, 60000)
OBJECTS = (100, 1000, 10000)
DUMP_SIZE = uapi.GPU_SIM_MAX_BO_SIZE
PAGE = os.sysconf("SC_PAGESIZE")
IODBG = os.path.join(os.environ["IODBG_OUT"], "build", "libiodbg", "bin", "iodbg")
PEAK_RSS = ("python import resource; "
            "print('peak', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)")


def quiet(argv):
    return lambda: subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)


def lines_of(argv):
    return subprocess.run(argv, check=True, stdout=subprocess.PIPE, text=True).stdout.count("\n")


def verdict(ratio):
    return f"(goal <= {GOAL:.1f}: {'met' if ratio <= GOAL else 'NOT met'})"


def command_rows(what, t, objects):
    """`iodbg maps` and `iodbg objects` of target @t against `cat /proc/PID/maps`."""
    cat = ["cat", f"/proc/{t.pid}/maps"]
    maps = [IODBG, "maps", str(t.pid)]
    objs = [IODBG, "objects", str(t.pid)]
    mappings = lines_of(cat)
    # One line per mapping (and a header); one per object.
    assert lines_of(maps) >= mappings + 1 and lines_of(objs) == objects + 1
    base, maps_time, objs_time = best(RUNS, quiet(cat), quiet(maps), quiet(objs))
    for command, ratio in (("iodbg maps", maps_time / base), ("iodbg objects", objs_time / base)):
        record(f"{command}, {what}, time / cat /proc/PID/maps", f"<= {GOAL:.1f}", ratio,
               ratio <= GOAL)
    print(f"  {what:28s} cat maps {base * 1e3:8.1f} ms   "
          f"iodbg maps {maps_time / base:5.2f}x {verdict(maps_time / base)}   "
          f"iodbg objects {objs_time / base:5.2f}x {verdict(objs_time / base)}")


def gdb_rows(what, t):
    """`info iodbg-maps` and `info gpu-objects` against `info proc mappings`, timed in gdb."""
    (times,) = gdb_times(t.pid, (GDB_RUNS, [("proc", "info proc mappings"),
                                            ("maps", "info iodbg-maps"),
                                            ("gpu", "info gpu-objects")]))
    base = times["proc"]
    for command, label in (("info iodbg-maps", "maps"), ("info gpu-objects", "gpu")):
        ratio = times[label] / base
        record(f"{command}, {what}, time / info proc mappings", f"<= {GOAL:.1f}", ratio,
               ratio <= GOAL)
    print(f"  {what:28s} info proc mappings {base * 1e3:8.1f} ms   "
          f"info iodbg-maps {times['maps'] / base:5.2f}x {verdict(times['maps'] / base)}   "
          f"info gpu-objects {times['gpu'] / base:5.2f}x {verdict(times['gpu'] / base)}")


def dump_row():
    t = GpuTarget(1, DUMP_SIZE // PAGE, uapi.IODBG_PLACEMENT_SYSTEM)
    try:
        bo = t.bos[0]
        out = subprocess.run(["gdb", "-nx", "-batch", "-iex", "set auto-solib-add off", "-p",
                              str(t.pid), "-ex", f"source {GDB_PACKAGE}", "-ex", PEAK_RSS,
                              "-ex", f"iodbg dump /dev/null {bo['id']}", "-ex", PEAK_RSS],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             timeout=900).stdout
    finally:
        t.close()
    if f"Wrote {bo['size']} bytes" not in out:
        sys.exit(f"bench_scale: the dump failed:\n{out}")
    before, after = (int(v) for v in re.findall(r"^peak (\d+)$", out, re.M))
    growth = after - before
    record(f"iodbg dump of a {DUMP_SIZE >> 20} MiB object in gdb, peak RSS growth / object "
           "size", "< 0.1", growth / DUMP_SIZE, growth < DUMP_SIZE / 10)
    print(f"  iodbg dump of a {DUMP_SIZE >> 20} MiB object: gdb's peak RSS {before >> 20} MiB "
          f"before, {after >> 20} MiB after (grew {growth / DUMP_SIZE:.3f} of the object; "
          f"goal < 0.1: {'met' if growth < DUMP_SIZE / 10 else 'NOT met'})")


def main():
    print(f"scale benchmark on {os.uname().release}, best of {RUNS} rounds "
          f"(gdb: of {GDB_RUNS})")
    for n in MAPPINGS:
        t = Target("many_maps", str(n), "10", "0")
        try:
            command_rows(f"{n} mappings, 10 objects", t, 10)
            gdb_rows(f"{n} mappings, 10 objects", t)
        finally:
            t.close()
    for n in OBJECTS:
        t = Target("many_maps", "100", str(n), "0")
        try:
            command_rows(f"{n} objects, 100 mappings", t, n)
            gdb_rows(f"{n} objects, 100 mappings", t)
        finally:
            t.close()
    dump_row()


if __name__ == "__main__":
    main()
