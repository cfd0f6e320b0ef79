"""make bench, kernel part (runs in the test VM): how fast debuggers read and write device
memory through iodbg, against the ceiling and against ordinary memory, every figure a ratio of
times measured in the same rounds.

The ceiling of a figure is the target process copying the same range of its own mapping with
64-bit loads (stores, for a write) in the same chunks (tests/progs/timecopy.h); the debugger's
side is tests/progs/bench_rw.c. Each times itself (tests/bench/README.md). A fraction of the
ceiling is ceiling time / path time: 1 is as fast as the hardware lets the owner go.

1. A 64 MiB VRAM-resident gpu_sim object: reads and writes of 4 KiB to 64 MiB at its start, in
   chunks of up to 1 MiB, through /proc/PID/mem (iodbg's ->access), IODBG_IOC_RW_ADDR and
   IODBG_IOC_RW_OBJECT, each as a fraction of the ceiling; from the 4 KiB and 1 MiB figures
   (one call each), each path's fixed cost per call and its rate per byte.
2. The same object's reads of 64 MiB and 4 MiB through /proc/PID/mem and RW_ADDR against as
   much anonymous memory through /proc/PID/mem (ratio = baseline time / time; target: at
   least 0.8).
3. The generic page-table fallback (RW_ADDR with IODBG_RW_GENERIC), 1 MiB: on RAM pages (an
   iodbg_test scratch object) and on MMIO pages (a gpu_sim GPU_SIM_CREATE_ACCESS_PHYS object,
   a pfn mapping of VRAM that never leaves it; IODBG_RW_ALLOW_MMIO, 4-byte accesses by
   default, and 8), each as a fraction of its ceiling; and on MMIO against the same mapping
   read through /proc/PID/mem with the kernel's generic_access_phys() as its ->access
   (speedup = generic_access_phys time / fallback time; target: at least 3).
Each figure is the best of several rounds, each round timing every side of it once.
"""
import os
import sys

sys.path[:0] = [os.path.join(os.path.dirname(__file__), "..", "guest"),
                os.path.join(os.environ["IODBG_OUT"], "build", "python")]

import iodbg_test_uapi as uapi                          # noqa: E402
from ceiling import Debugger, own_time                  # noqa: E402
from results import record, table                       # noqa: E402
from rounds import best                                 # noqa: E402
from targets import GPU_PATTERN, SCRATCH_PATTERN, Target, key_values  # noqa: E402

KIB, MIB = 1 << 10, 1 << 20
PAGE = os.sysconf("SC_PAGESIZE")
RUNS = 5
SIZES = [4 * KIB, 64 * KIB, 256 * KIB, MIB, 4 * MIB, 16 * MIB, 64 * MIB]
SUMMARY_SIZES = (4 * KIB, 64 * MIB)
RATIO_TARGET = 0.8
FALLBACK_TARGET = 3


def size_text(size):
    return f"{size // MIB} MiB" if size >= MIB else f"{size // KIB} KiB"


def gpu_target(size, flags=0):
    """gpu_bo with one VRAM object of @size bytes: (target, its bo line's values)."""
    t = Target("gpu_bo", "1", str(size // PAGE), str(uapi.IODBG_PLACEMENT_DEVICE), str(flags))
    return t, key_values(t.lines[0])


def vram_paths():
    """Part 1: the object's paths by size, read and write, as fractions of the ceiling."""
    size = max(SIZES)
    vram, bo = gpu_target(size)
    first = GPU_PATTERN | bo["id"] << 32
    debugger = Debugger(vram.pid)
    paths = [("/proc/PID/mem", "mem"), ("RW_ADDR", "rw-addr"),
             ("RW_OBJECT", f"object:{bo['fd']}")]
    times = {}
    try:
        for write in (False, True):
            for n in SIZES:
                sides = [lambda: own_time(vram, "0 ", 0, n, write)]
                for _, path in paths:
                    addr = 0 if path.startswith("object:") else vram.addr
                    sides.append(lambda path=path, addr=addr:
                                 debugger.time(path, addr, n, write, first))
                times[write, n] = best(RUNS, *sides, self_timed=True)
    finally:
        debugger.close()
        vram.close()
    for write in (False, True):
        verb = "write" if write else "read"
        print(f"  VRAM object, {verb}s in chunks of up to 1 MiB: microseconds (best pass), "
              "fraction of the ceiling")
        print(f"    {'size':>7s}  {'ceiling':>9s}" + "".join(f"  {name:>16s}" for name, _ in paths))
        rows = []
        for n in SIZES:
            ceil, *rest = times[write, n]
            print(f"    {size_text(n):>7s}  {ceil * 1e6:9.0f}"
                  + "".join(f"  {t * 1e6:9.0f} {ceil / t:5.2f}" for t in rest))
            rows.append([n, ceil * 1e6] + [x for t in rest for x in (t * 1e6, ceil / t)])
        table(f"VRAM object {verb}s by size: microseconds, fraction of the ceiling",
              ["bytes", "ceiling us"] + [c for name, _ in paths
                                         for c in (f"{name} us", f"{name} of ceiling")], rows)
        # One call at 4 KiB and at 1 MiB: t = fixed + bytes / rate.
        small, large = SIZES[0], MIB
        print("    one call: fixed microseconds per call, MiB/s beyond it")
        for i, name in enumerate(["ceiling"] + [name for name, _ in paths]):
            t_small, t_large = times[write, small][i], times[write, large][i]
            rate = (large - small) / (t_large - t_small) / MIB
            fixed = t_small - small / (rate * MIB)
            print(f"      {name:14s} {fixed * 1e6:7.1f} us  {rate:7.0f} MiB/s")
        for n in SUMMARY_SIZES:
            ceil, *rest = times[write, n]
            for (name, _), t in zip(paths, rest):
                record(f"VRAM {verb} {size_text(n)}, {name}: fraction of ceiling", None,
                       ceil / t, None)


def vram_vs_ordinary(size):
    """Part 2 for @size bytes."""
    anon = Target("anon_map", str(size // PAGE))
    vram, bo = gpu_target(size)
    first = GPU_PATTERN | bo["id"] << 32
    anon_debugger, vram_debugger = Debugger(anon.pid), Debugger(vram.pid)
    try:
        base, dev_mem, dev_ioctl = best(
            RUNS, lambda: anon_debugger.time("mem", anon.addr, size, first=0),
            lambda: vram_debugger.time("mem", vram.addr, size, first=first),
            lambda: vram_debugger.time("rw-addr", vram.addr, size, first=first),
            self_timed=True)
    finally:
        anon_debugger.close()
        vram_debugger.close()
        anon.close()
        vram.close()
    mib = size_text(size)
    print(f"  {mib:6s} anonymous memory, /proc/PID/mem       {base * 1e3:8.1f} ms  (baseline)")
    for name, t in (("/proc/PID/mem (->access)", dev_mem), ("IODBG_IOC_RW_ADDR", dev_ioctl)):
        print(f"  {mib:6s} VRAM object, {name:24s} {t * 1e3:8.1f} ms  ratio {base / t:.2f} "
              f"(target >= {RATIO_TARGET})")
        record(f"VRAM read {mib}, {name.split()[0]}: anonymous memory's time / this",
               f">= {RATIO_TARGET}", base / t, base / t >= RATIO_TARGET)


def generic_fallback():
    """Part 3."""
    size = MIB
    scratch = Target("scratch_map", str(size // PAGE))
    phys, bo = gpu_target(size, uapi.GPU_SIM_CREATE_ACCESS_PHYS)
    first = GPU_PATTERN | bo["id"] << 32
    ram_debugger, mmio_debugger = Debugger(scratch.pid), Debugger(phys.pid)
    try:
        (ram_ceiling, ram, mmio_ceiling, access_phys, mmio, mmio8) = best(
            RUNS, lambda: own_time(scratch, "", 0, size),
            lambda: ram_debugger.time("generic", scratch.addr, size, first=SCRATCH_PATTERN),
            lambda: own_time(phys, "0 ", 0, size),
            lambda: mmio_debugger.time("mem", phys.addr, size, first=first),
            lambda: mmio_debugger.time("generic-mmio", phys.addr, size, first=first),
            lambda: mmio_debugger.time("generic-mmio:8", phys.addr, size, first=first),
            self_timed=True)
    finally:
        ram_debugger.close()
        mmio_debugger.close()
        scratch.close()
        phys.close()
    print("  generic fallback, 1 MiB in one call: milliseconds, fraction of the ceiling")
    print(f"    RAM pages (scratch object): ceiling {ram_ceiling * 1e3:7.2f}  "
          f"fallback {ram * 1e3:7.2f} {ram_ceiling / ram:5.2f}")
    print(f"    MMIO pages (pfn mapping of VRAM): ceiling {mmio_ceiling * 1e3:7.2f}  "
          f"fallback {mmio * 1e3:7.2f} {mmio_ceiling / mmio:5.2f}, with 8-byte accesses "
          f"{mmio8 * 1e3:7.2f} {mmio_ceiling / mmio8:5.2f}, generic_access_phys "
          f"{access_phys * 1e3:7.2f} {mmio_ceiling / access_phys:5.2f}")
    speedup = access_phys / mmio
    print(f"    fallback on MMIO: speedup {speedup:.1f}x over generic_access_phys "
          f"(target >= {FALLBACK_TARGET})")
    record("generic fallback read 1 MiB, RAM pages: fraction of ceiling", None,
           ram_ceiling / ram, None)
    record("generic fallback read 1 MiB, MMIO pages: fraction of ceiling", None,
           mmio_ceiling / mmio, None)
    record("generic fallback read 1 MiB, MMIO, 8-byte accesses: fraction of ceiling", None,
           mmio_ceiling / mmio8, None)
    record("generic fallback read 1 MiB, MMIO: generic_access_phys time / this",
           f">= {FALLBACK_TARGET}", speedup, speedup >= FALLBACK_TARGET)


def main():
    print(f"iodbg kernel benchmark on {os.uname().release}, best of {RUNS} rounds")
    vram_paths()
    vram_vs_ordinary(64 * MIB)
    vram_vs_ordinary(4 * MIB)
    generic_fallback()


if __name__ == "__main__":
    main()
