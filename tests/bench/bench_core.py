"""make bench, core part (runs in the test VM): `iodbg core` of a process with ORDINARY_MIB of
ordinary memory and DEVICE_MIB of device memory (gpu_sim buffer objects in VRAM) against gdb's
`gcore` of the same process, which leaves the device memory out, timed in the same rounds.

1. Time: iodbg core time / gcore time (goal: at most 1.5), both started from the shell and
   ending with the core written (gdb's start-up included: it is what a user waits for).
2. Size: the core size overhead beyond the device bytes, (iodbg's core size - the device
   bytes) / gcore's core size - 1 (goal: under 1%): what iodbg's core costs beyond gcore's
   and the device memory (its notes, its alignment).
Each core is checked once before it is timed: gdb reads the device memory from iodbg's.
"""
import os
import subprocess
import sys
import tempfile
import time

sys.path[:0] = [os.path.join(os.path.dirname(__file__), "..", "guest"),
                os.path.join(os.environ["IODBG_OUT"], "build", "python")]

import iodbg_uapi as uapi                                       # noqa: E402
from results import record                                      # noqa: E402
from rounds import best                                         # noqa: E402
from targets import Target, key_values                          # noqa: E402

RUNS = 3
TIME_GOAL = 1.5
SIZE_GOAL = 0.01
ORDINARY_MIB = 256
DEVICE_MIB = 64
BOS = 4
PAGE = os.sysconf("SC_PAGESIZE")
IODBG = os.path.join(os.environ["IODBG_OUT"], "build", "libiodbg", "bin", "iodbg")


def main():
    t = Target("gpu_bo", "-O", str((ORDINARY_MIB << 20) // PAGE), str(BOS),
               str((DEVICE_MIB << 20) // BOS // PAGE), str(uapi.IODBG_PLACEMENT_DEVICE))
    bos = [key_values(line) for line in t.lines if line.startswith("bo ")]
    device = sum(bo["size"] for bo in bos)
    assert device == DEVICE_MIB << 20
    # The guest's /tmp is in its memory, which holds one core of each beside the process
    # only just: each side removes the cores before it writes its own, untimed.
    with tempfile.TemporaryDirectory() as folder:
        ours, theirs = os.path.join(folder, "iodbg.core"), os.path.join(folder, "gcore.core")

        def timed(argv):
            for path in (ours, theirs):
                if os.path.exists(path):
                    os.unlink(path)
            start = time.perf_counter()
            subprocess.run(argv, check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            return time.perf_counter() - start

        def iodbg_core():
            return timed([IODBG, "core", "-o", ours, str(t.pid)])

        def gcore():
            # gdb's own start-up is timed, as the user waits for it; its shared libraries'
            # symbols are not loaded (gcore needs none), as iodbg core loads none.
            return timed(["gdb", "-nx", "-batch", "-iex", "set auto-solib-add off", "-p",
                          str(t.pid), "-ex", f"gcore {theirs}"])

        iodbg_core()
        out = subprocess.run(["gdb", "-nx", "-batch", "-c", ours, "-ex",
                              f"x/gx {bos[-1]['addr'] + 8:#x}"], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True).stdout
        assert "Cannot access memory" not in out, out
        ours_size = os.path.getsize(ours)
        gcore()
        theirs_size = os.path.getsize(theirs)
        iodbg_time, gcore_time = best(RUNS, iodbg_core, gcore, self_timed=True)
    t.close()
    ratio = iodbg_time / gcore_time
    overhead = (ours_size - device) / theirs_size - 1
    print(f"iodbg core of {ORDINARY_MIB} MiB ordinary + {DEVICE_MIB} MiB VRAM: "
          f"{iodbg_time:.2f} s, gcore (no device memory) {gcore_time:.2f} s: ratio "
          f"{ratio:.2f} (goal <= {TIME_GOAL}: {'met' if ratio <= TIME_GOAL else 'NOT met'})")
    print(f"core sizes: iodbg {ours_size} bytes, gcore {theirs_size} bytes, device {device}: "
          f"overhead beyond the device bytes {overhead * 100:.3f}% (goal < {SIZE_GOAL * 100:.0f}%:"
          f" {'met' if overhead < SIZE_GOAL else 'NOT met'})")
    record(f"iodbg core, {ORDINARY_MIB} MiB + {DEVICE_MIB} MiB VRAM, time / gcore's",
           f"<= {TIME_GOAL:.1f}", ratio, ratio <= TIME_GOAL)
    record("iodbg core, size beyond the device bytes / gcore's size - 1",
           f"< {SIZE_GOAL:.2f}", overhead, overhead < SIZE_GOAL)


if __name__ == "__main__":
    main()
