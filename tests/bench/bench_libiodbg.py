"""make bench, libiodbg part (runs in the test VM): the library and the iodbg command against
the system calls they make, against dd, and against the ceiling, on a VRAM-resident gpu_sim
object (whose mapping has iodbg's ->access, so libiodbg's own choice is /proc/PID/mem).

1. The library: iodbg_read() of 4 KiB, 4 MiB and 64 MiB of the object, in 1 MiB calls, by the
   path it chooses and with iodbg_set_path(IODBG_PATH_IOCTL), against the same calls made
   directly (pread of /proc/PID/mem, IODBG_IOC_RW_ADDR) on the same range; all in
   tests/progs/bench_rw.c, each call timed (ratio = library time / system calls' time; goal:
   at most 1.10).
2. The command: `iodbg read -o /dev/null` of 64 MiB and 4 MiB, by the path it chooses and with
   --path=ioctl, against `bench_rw --once`, a command that makes only those system calls on the
   same range in the same 1 MiB chunks into a buffer of one chunk, as iodbg does (ratio = iodbg
   time / bench_rw time; goal at 64 MiB: at most 1.10; at 4 MiB starting a process is most of
   either command's time, and how long that takes on a shared machine varies by more than
   10%, so the figure only informs). Each also as a fraction of the ceiling: the target copying
   the same range of its own mapping in 1 MiB chunks (tests/progs/timecopy.h), which times
   itself and so counts no process start-up.
3. `iodbg read` of as much ordinary memory, against dd of the same range of /proc/PID/mem to
   /dev/null (ratio = dd time / iodbg time; target: at least 0.9); and the VRAM object's read
   against it (ratio = ordinary time / VRAM time; target: at least 0.8).
Every command's output goes to /dev/null, so that only the read is timed; each command's bytes
are checked once, untimed, through a pipe. The commands run from a copy in the guest's tmpfs:
out/, where they are built, is a 9p share without a cache, and reading a binary through it at
each start costs more, and varies more, than what is measured.
Each figure is the best of several rounds, each round timing every side of it once.
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path[:0] = [os.path.join(os.path.dirname(__file__), "..", "guest"),
                os.path.join(os.environ["IODBG_OUT"], "build", "python")]

import iodbg_uapi as uapi                               # noqa: E402
from ceiling import Debugger, chunk_for, once, own_time  # noqa: E402
from results import record, table                       # noqa: E402
from rounds import best, wall                           # noqa: E402
from targets import GPU_PATTERN, PROGS, Target, gpu_pattern, key_values  # noqa: E402

KIB, MIB = 1 << 10, 1 << 20
PAGE = os.sysconf("SC_PAGESIZE")
LIBRARY_RUNS = 7
COMMAND_RUNS = 25   # a process start varies more than a read: more rounds for the best
LIBRARY_GOAL = COMMAND_GOAL = 1.10
DD_TARGET = 0.9
VRAM_TARGET = 0.8
# Copied to tmpfs by main().
IODBG = os.path.join(os.environ["IODBG_OUT"], "build", "libiodbg", "bin", "iodbg")
BENCH_RW = os.path.join(PROGS, "bench_rw")
# (label, libiodbg's path, the system call's path in bench_rw, its name)
PATHS = [("auto", "libiodbg:auto", "mem", "/proc/PID/mem"),
         ("ioctl", "libiodbg:ioctl", "rw-addr", "RW_ADDR")]


def size_text(size):
    return f"{size // MIB} MiB" if size >= MIB else f"{size // KIB} KiB"


def vram_target(size):
    vram = Target("gpu_bo", "1", str(size // PAGE), str(uapi.IODBG_PLACEMENT_DEVICE))
    return vram, key_values(vram.lines[0])


def library():
    """Part 1."""
    size = 64 * MIB
    vram, bo = vram_target(size)
    first = GPU_PATTERN | bo["id"] << 32
    debugger = Debugger(vram.pid)
    times = {}
    try:
        for n in (4 * KIB, 4 * MIB, size):
            paths = [p for _, lib, raw, _ in PATHS for p in (lib, raw)]
            times[n] = dict(zip(paths, best(
                LIBRARY_RUNS, *[lambda p=p: debugger.time(p, vram.addr, n, first=first)
                                for p in paths], self_timed=True)))
    finally:
        debugger.close()
        vram.close()
    print(f"  the library: iodbg_read() of a VRAM object in calls of up to 1 MiB against the "
          f"system calls, microseconds (best of {LIBRARY_RUNS} rounds of the calls' best)")
    rows = []
    for n, t in times.items():
        for label, lib, raw, name in PATHS:
            ratio = t[lib] / t[raw]
            print(f"    {size_text(n):>6s}  {label:5s} {t[lib] * 1e6:9.0f}  {name:14s}"
                  f"{t[raw] * 1e6:9.0f}  ratio {ratio:.2f} (goal <= {LIBRARY_GOAL:.2f}: "
                  f"{'met' if ratio <= LIBRARY_GOAL else 'NOT met'})")
            record(f"iodbg_read() {size_text(n)} VRAM, path {label}: time / {name}'s",
                   f"<= {LIBRARY_GOAL}", ratio, ratio <= LIBRARY_GOAL)
            rows.append([n, label, t[lib] * 1e6, name, t[raw] * 1e6, ratio])
    table("iodbg_read() of a VRAM object against the system calls it makes: microseconds",
          ["bytes", "libiodbg path", "iodbg_read us", "system call", "system call us",
           "ratio"], rows)


def run(argv):
    return lambda: subprocess.run(argv, check=True, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)


def iodbg_read(pid, addr, size, *options, out="/dev/null"):
    return [IODBG, "read", *options, "-o", out, str(pid), hex(addr), str(size)]


def dd_read(pid, addr, size, out="/dev/null"):
    return ["dd", f"if=/proc/{pid}/mem", f"of={out}", f"bs={chunk_for(size)}",
            f"skip={addr}", f"count={size}", "iflag=skip_bytes,count_bytes"]


def check(argv, expect, size):
    """Run @argv once with its output to stdout, a pipe, instead of /dev/null; check one page
    in every 64."""
    argv = [{"/dev/null": "-", "of=/dev/null": "of=/proc/self/fd/1"}.get(a, a) for a in argv]
    data = subprocess.run(argv, check=True, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL).stdout
    assert len(data) == size, f"{argv[0]} read {len(data)} bytes, not {size}"
    for off in range(0, size, 64 * PAGE):
        assert data[off:off + PAGE] == expect(off, PAGE), f"{argv} read wrong bytes"


def ordinary_pattern(off, length):
    return b"".join(o.to_bytes(8, "little") for o in range(off, off + length, 8))


def commands(size):
    """Parts 2 and 3 for @size bytes."""
    anon = Target("anon_map", str(size // PAGE))
    vram, bo = vram_target(size)
    argvs = {
        "dd": dd_read(anon.pid, anon.addr, size),
        "ordinary": iodbg_read(anon.pid, anon.addr, size),
        "auto": iodbg_read(vram.pid, vram.addr, size),
        "mem": once(vram.pid, "mem", vram.addr, size, BENCH_RW),
        "ioctl": iodbg_read(vram.pid, vram.addr, size, "--path=ioctl"),
        "rw-addr": once(vram.pid, "rw-addr", vram.addr, size, BENCH_RW),
    }
    try:
        for name in ("dd", "ordinary"):
            check(argvs[name], ordinary_pattern, size)
        for name in ("auto", "ioctl"):
            check(argvs[name], lambda off, n: gpu_pattern(bo["id"], off, n), size)
        *times, ceiling = best(COMMAND_RUNS, *[wall(run(argv)) for argv in argvs.values()],
                               lambda: own_time(vram, "0 ", 0, size), self_timed=True)
    finally:
        anon.close()
        vram.close()
    t = dict(zip(argvs, times))
    mib = size_text(size)
    goal = f"<= {COMMAND_GOAL}" if size == 64 * MIB else None
    print(f"  the command, {mib}: milliseconds, best of {COMMAND_RUNS} rounds; output to "
          "/dev/null")
    print(f"    VRAM object, the target copying its own mapping {ceiling * 1e3:8.1f}  (ceiling)")
    rows = []
    for label, _, raw, name in PATHS:
        command = "iodbg read" + (" --path=ioctl" if label == "ioctl" else "")
        ratio = t[label] / t[raw]
        verdict = (f" (goal {goal}: {'met' if ratio <= COMMAND_GOAL else 'NOT met'})" if goal
                   else "")
        print(f"    VRAM object, bench_rw --once {raw:8s}          {t[raw] * 1e3:8.1f}")
        print(f"    VRAM object, {command:24s}          {t[label] * 1e3:8.1f}  ratio "
              f"{ratio:.2f} to bench_rw{verdict}, {ceiling / t[label]:.2f} of the ceiling")
        record(f"{command} {mib} VRAM: time / bench_rw --once {raw}'s", goal, ratio,
               ratio <= COMMAND_GOAL if goal else None)
        record(f"{command} {mib} VRAM: fraction of ceiling", None, ceiling / t[label], None)
        rows.append([command, t[label] * 1e3, t[raw] * 1e3, ratio, ceiling / t[label]])
    table(f"iodbg read {mib} of a VRAM object: milliseconds; the ceiling {ceiling * 1e3:.2f} ms",
          ["command", "ms", "bench_rw --once ms", "ratio", "of ceiling"], rows)
    dd_ratio, vram_ratio = t["dd"] / t["ordinary"], t["ordinary"] / t["auto"]
    print(f"    ordinary memory, dd of /proc/PID/mem               {t['dd'] * 1e3:8.1f}  "
          "(baseline)")
    print(f"    ordinary memory, iodbg read                        {t['ordinary'] * 1e3:8.1f}  "
          f"ratio {dd_ratio:.2f} (target >= {DD_TARGET})")
    print(f"    VRAM object, iodbg read, to ordinary's                      ratio "
          f"{vram_ratio:.2f} (target >= {VRAM_TARGET})")
    record(f"iodbg read {mib} ordinary: dd's time / this", f">= {DD_TARGET}", dd_ratio,
           dd_ratio >= DD_TARGET)
    record(f"iodbg read {mib} VRAM: ordinary memory's time / this", f">= {VRAM_TARGET}",
           vram_ratio, vram_ratio >= VRAM_TARGET)


def main():
    global IODBG, BENCH_RW
    print(f"libiodbg benchmark on {os.uname().release}")
    library()
    with tempfile.TemporaryDirectory() as local:
        IODBG, BENCH_RW = (shutil.copy2(prog, local) for prog in (IODBG, BENCH_RW))
        commands(64 * MIB)
        commands(4 * MIB)


if __name__ == "__main__":
    main()
