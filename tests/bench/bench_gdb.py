"""make bench, GDB part (runs in the test VM): gdb on an SPU local store against gdb on
ordinary memory, timed inside one gdb session each so that gdb's start-up does not count.

1. `dump binary memory` of a 256 KiB local store mapping (the kernel answers gdb's
   /proc/PID/mem reads through the driver's ->access), against the same dump of a 256 KiB
   ordinary buffer of the same process, in the same gdb session, the two timed in alternate
   rounds (ratio = local store time / ordinary time; target: at most 1.25), for a context on
   an SPE and again for one saved off the SPEs (its copy is vmalloc memory, as spufs's saved
   state is).
2. `info spu-ls/gx` of the whole local store through the ioctl path (set iodbg path ioctl),
   against gdb's own `x/32768gx` of the same mapping (ratio = info spu-ls time / x time).
Best of several rounds of each; both dumps are checked against the program's patterns.
"""
import os
import re
import subprocess
import sys

sys.path[:0] = [os.path.join(os.path.dirname(__file__), "..", "guest"),
                os.path.join(os.environ["IODBG_OUT"], "build", "python")]

import iodbg_uapi as uapi                                       # noqa: E402
from targets import GDB_PACKAGE, SpuTarget, spu_pattern          # noqa: E402

LS_SIZE = uapi.SPU_SIM_LS_SIZE
PAGE = os.sysconf("SC_PAGESIZE")
RUNS = 15
DUMP = "/tmp/bench-gdb.bin"

# Run inside gdb: time a group of commands over RUNS rounds, each command once per round (so
# that a slow spell of the machine falls on every figure of a ratio alike); print each best.
TIMER = """python
import time
def iodbg_bench(*pairs):
    times = {{label: [] for label, _ in pairs}}
    for _ in range({runs}):
        for label, command in pairs:
            start = time.perf_counter()
            gdb.execute(command, to_string=True)
            times[label].append(time.perf_counter() - start)
    for label, t in times.items():
        print(f"bench {{label}} {{min(t):.6f}}")
end"""


def gdb_times(pid, *groups, setup=()):
    """{label: best seconds} for groups of (label, command) pairs, each group timed in rounds
    by iodbg_bench(), all in one gdb session, after the setup commands."""
    args = ["gdb", "-nx", "-batch", "-iex", "set auto-solib-add off", "-p", str(pid),
            "-ex", f"source {GDB_PACKAGE}"]
    script = TIMER.format(runs=RUNS) + "\n" + "".join(f"{c}\n" for c in setup)
    script += "".join(f"python iodbg_bench(*{list(group)!r})\n" for group in groups)
    path = "/tmp/bench-gdb.gdb"
    with open(path, "w") as f:
        f.write(script)
    out = subprocess.run(args + ["-x", path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, timeout=600).stdout
    times = dict((m[0], float(m[1])) for m in re.findall(r"^bench (\S+) ([\d.]+)$", out, re.M))
    if len(times) != sum(len(group) for group in groups):
        sys.exit(f"bench_gdb: gdb did not time every command:\n{out}")
    return times


def check_dump(expect):
    with open(DUMP, "rb") as f:
        data = f.read()
    assert data[:len(expect)] == expect, "the dump is not what the program wrote"


def main():
    print(f"gdb benchmark on {os.uname().release}, best of {RUNS} rounds")
    spu = SpuTarget(1)
    ctx, ordinary = spu.ctxs[0], spu.ordinary
    dump_ordinary = ("ordinary", f"dump binary memory {DUMP} {ordinary['addr']} "
                                 f"{ordinary['addr'] + LS_SIZE}")
    dump_ls = ("ls", f"dump binary memory {DUMP} {ctx['ls']} {ctx['ls'] + LS_SIZE}")
    # Up to the counter words, which the running context changes.
    expect_ls = spu_pattern(ctx["ls_id"], 0, uapi.SPU_SIM_LS_COUNTER)
    try:
        # Each group's last dump is checked: the ordinary one here, the local store's below.
        running = gdb_times(spu.pid, [dump_ls, dump_ordinary],
                            [("x", f"x/{LS_SIZE // 8}gx {ctx['ls']}")],
                            [("spu-ls-ioctl", f"info spu-ls/gx {ctx['ls_id']} 0 {LS_SIZE}")],
                            setup=["set iodbg path ioctl"])
        check_dump(b"".join((8 * i).to_bytes(8, "little") for i in range(LS_SIZE // 8)))
        spu.ok("stop 0")
        saved = gdb_times(spu.pid, [dump_ordinary, dump_ls])
        check_dump(expect_ls)
    finally:
        spu.close()
        if os.path.exists(DUMP):
            os.unlink(DUMP)
    print(f"  dump binary memory, 256 KiB ordinary buffer  {running['ordinary'] * 1e3:8.2f} ms"
          "  (baseline)")
    print(f"  dump binary memory, 256 KiB SPU local store  {running['ls'] * 1e3:8.2f} ms"
          f"  ratio {running['ls'] / running['ordinary']:.2f} (target <= 1.25)")
    print(f"  the same, context saved off the SPEs         {saved['ls'] * 1e3:8.2f} ms"
          f"  ratio {saved['ls'] / saved['ordinary']:.2f}")
    print(f"  x/{LS_SIZE // 8}gx of the local store            {running['x'] * 1e3:8.2f} ms"
          "  (baseline)")
    print(f"  info spu-ls/gx of it, ioctl path             "
          f"{running['spu-ls-ioctl'] * 1e3:8.2f} ms"
          f"  ratio {running['spu-ls-ioctl'] / running['x']:.2f} to x")


if __name__ == "__main__":
    main()
