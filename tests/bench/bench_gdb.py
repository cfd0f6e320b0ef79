"""make bench, GDB part (runs in the test VM): gdb on device memory against gdb on ordinary
memory and against the ceiling, timed inside one gdb session each so that gdb's start-up does
not count. Every timed dump goes to /dev/null, so that only gdb's read is timed; one more dump,
to a file, is checked at the end of each session.

1. `dump binary memory` of the 256 KiB local store of a running SPU context (the kernel answers
   gdb's /proc/PID/mem reads through the driver's ->access, while the scheduler steps the
   context every tick), against the same dump of a 256 KiB ordinary buffer of the same process
   (ratio = local store time / ordinary time; goal: at most 1.10 in every round). Each of
   several rounds is a measurement of its own, the best of a few alternate dumps of each, and
   every round's ratio is printed: a debugger must never wait for a scheduler tick, so the
   figure must hold steady, not only at its best. Then once for a context saved off the SPEs
   (its copy is vmalloc memory, as spufs's saved state is).
2. The same for a 4 MiB VRAM-resident gpu_sim object, the size of a buffer a user debugs,
   against a 4 MiB ordinary buffer of the same process (target: at most 1.25, as
   bench_kernel.py's 0.8 throughput).
Both dumps also as a fraction of the ceiling: in each round, the target copying the same range
of its own mapping in one piece, as gdb reads it (one pread of /proc/PID/mem), with word loads;
gdb has the target stopped, so it calls the program's timecopy_time() (tests/progs/timecopy.h),
which times itself.
3. `info spu-ls/gx` of the whole local store through the ioctl path (set iodbg path ioctl),
   against gdb's own `x/32768gx` of the same mapping (ratio = info spu-ls time / x time).
The last dump of each session is checked against the program's pattern.
"""
import os
import re
import subprocess
import sys

sys.path[:0] = [os.path.join(os.path.dirname(__file__), "..", "guest"),
                os.path.join(os.environ["IODBG_OUT"], "build", "python")]

import iodbg_uapi as uapi                                               # noqa: E402
from results import record                                              # noqa: E402
from targets import (GDB_PACKAGE, SpuTarget, Target, gpu_pattern, key_values,  # noqa: E402
                     spu_pattern)

LS_SIZE = uapi.SPU_SIM_LS_SIZE
MIB = 1 << 20
GPU_SIZE = 4 * MIB
PAGE = os.sysconf("SC_PAGESIZE")
ROUNDS = 7          # independent measurements of each dump ratio
DUMP_RUNS = 9       # alternate dumps of each side in a round; a round's figure is the best
RUNS = 5            # the x and info spu-ls figures: the best of RUNS
DUMP_GOAL = 1.10    # the running-context dump, in every round
GPU_TARGET = 1.25
DUMP = "/tmp/bench-gdb.bin"

# Run inside gdb: time a group of commands over @runs rounds, each command once per round (so
# that a slow spell of the machine falls on every figure of a ratio alike); print each best.
# A command "=EXPR" is an expression whose value is the nanoseconds the target measured itself;
# another may be several lines, timed together.
TIMER = """python
import time
def iodbg_bench(group, runs, *pairs):
    times = {label: [] for label, _ in pairs}
    for _ in range(runs):
        for label, command in pairs:
            start = time.perf_counter()
            if command.startswith("="):
                seconds = int(gdb.parse_and_eval(command[1:])) / 1e9
            else:
                for line in command.split("\\n"):
                    gdb.execute(line, to_string=True)
                seconds = time.perf_counter() - start
            times[label].append(seconds)
    for label, t in times.items():
        print(f"bench {group} {label} {min(t):.6f}")
end"""


def gdb_times(pid, *groups, setup=(), after=()):
    """[{label: best seconds}] for groups of (runs, [(label, command), ...]), each group timed
    by iodbg_bench(), one after the other in one gdb session attached to @pid (to nothing if
    None), between the setup commands and the after commands."""
    args = ["gdb", "-nx", "-batch", "-iex", "set auto-solib-add off",
            *(["-p", str(pid)] if pid is not None else []), "-ex", f"source {GDB_PACKAGE}"]
    script = TIMER + "\n" + "".join(f"{c}\n" for c in setup)
    script += "".join(f"python iodbg_bench({i}, {runs}, *{pairs!r})\n"
                      for i, (runs, pairs) in enumerate(groups))
    script += "".join(f"{c}\n" for c in after)
    path = "/tmp/bench-gdb.gdb"
    with open(path, "w") as f:
        f.write(script)
    out = subprocess.run(args + ["-x", path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, timeout=900).stdout
    times = [{} for _ in groups]
    for m in re.finditer(r"^bench (\d+) (\S+) ([\d.]+)$", out, re.M):
        times[int(m[1])][m[2]] = float(m[3])
    if [len(t) for t in times] != [len(pairs) for _, pairs in groups]:
        sys.exit(f"bench_gdb: gdb did not time every command:\n{out}")
    return times


def dump(label, addr, size, path="/dev/null"):
    return (label, f"dump binary memory {path} {addr} {addr + size}")


def ceiling(mapping, size):
    """The target's own copy of @size bytes of @mapping (a C expression in the program), in
    one piece, as a command for iodbg_bench()."""
    return ("ceiling", f"=timecopy_time({mapping}, {size}, 0, {size}, {size}, 1, 0)")


def alternate_rounds(first, second, ceiling_side):
    """For each of ROUNDS rounds, a group of the ceiling's calls, then one of the two dumps, the
    second first in every other round, so that neither always runs right after the other. The
    ceiling has a group of its own: the first dump after a call in the target is slower (gdb
    reads the stopped target's state again), which the best of a group's dumps leaves out."""
    return [group for i in range(ROUNDS)
            for group in ((DUMP_RUNS, [ceiling_side]),
                          (DUMP_RUNS, [first, second] if i % 2 else [second, first]))]


def merge_rounds(groups):
    """The {label: best seconds} of each round from gdb_times() of alternate_rounds()."""
    return [{**groups[i], **groups[i + 1]} for i in range(0, 2 * ROUNDS, 2)]


def check_dump(expect, step=1):
    """Check the dump against @expect(offset, length), one page in every @step."""
    with open(DUMP, "rb") as f:
        data = f.read()
    for off in range(0, len(data), step * PAGE):
        want = expect(off, min(PAGE, len(data) - off))
        assert data[off:off + len(want)] == want, "the dump is not what the program wrote"


def ordinary_pattern(off, length):
    return b"".join(o.to_bytes(8, "little") for o in range(off, off + length, 8))


def print_rounds(what, ratios, goal, verdict):
    worst = max(ratios)
    print(f"  {what}, ratio to ordinary in each of {len(ratios)} rounds:")
    print("    " + " ".join(f"{r:.2f}" for r in ratios))
    line = f"    worst {worst:.2f}, best {min(ratios):.2f} ({'goal' if verdict else 'target'}" \
           f" <= {goal:.2f})"
    if verdict:
        line += ": " + ("met" if worst <= goal else "NOT met")
    print(line)
    return worst


def ceiling_lines(what, rounds, label, size_text):
    """Print and record @label's best dump as a fraction of the ceiling of the same rounds."""
    best_ceiling = min(r["ceiling"] for r in rounds)
    best_dump = min(r[label] for r in rounds)
    print(f"  the target copying its own {what} {best_ceiling * 1e3:8.2f} ms  (ceiling, best "
          f"round): the dump is {best_ceiling / best_dump:.2f} of it")
    record(f"gdb dump {size_text} {what}: fraction of ceiling", None, best_ceiling / best_dump,
           None)


def spu_part():
    spu = SpuTarget(1)
    ctx, ordinary = spu.ctxs[0], spu.ordinary
    dump_ordinary = dump("ordinary", ordinary["addr"], LS_SIZE)
    dump_ls = dump("ls", ctx["ls"], LS_SIZE)
    try:
        before = spu.mem_regs(0)
        running = gdb_times(spu.pid, *alternate_rounds(dump_ls, dump_ordinary,
                                                       ceiling("ctxs[0].ls", LS_SIZE)),
                            (RUNS, [("x", f"x/{LS_SIZE // 8}gx {ctx['ls']}")]),
                            (RUNS, [("spu-ls-ioctl",
                                     f"info spu-ls/gx {ctx['ls_id']} 0 {LS_SIZE}")]),
                            setup=["set iodbg path ioctl"],
                            after=[dump("", ordinary["addr"], LS_SIZE, DUMP)[1]])
        after = spu.mem_regs(0)
        assert after.status & uapi.SPU_SIM_STATUS_RUNNING, "the context left its SPE"
        assert after.run_ticks > before.run_ticks, "the context did not run during the dumps"
        check_dump(ordinary_pattern)
        spu.ok("stop 0")
        saved = gdb_times(spu.pid, (DUMP_RUNS, [dump_ordinary, dump_ls]),
                          after=[dump("", ctx["ls"], LS_SIZE, DUMP)[1]])[0]
        # Up to the counter words, which the running context changes.
        check_dump(lambda off, n: spu_pattern(ctx["ls_id"], off,
                                              min(n, uapi.SPU_SIM_LS_COUNTER - off)))
    finally:
        spu.close()
    rounds, (x, spu_ls) = merge_rounds(running[:2 * ROUNDS]), running[2 * ROUNDS:]
    ratios = [r["ls"] / r["ordinary"] for r in rounds]
    print(f"  dump binary memory, 256 KiB ordinary buffer  "
          f"{min(r['ordinary'] for r in rounds) * 1e3:8.2f} ms  (baseline, best round)")
    print(f"  dump binary memory, 256 KiB SPU local store  "
          f"{min(r['ls'] for r in rounds) * 1e3:8.2f} ms  (running context, best round; "
          f"it ran {after.run_ticks - before.run_ticks} steps and switched "
          f"{after.loads - before.loads} times meanwhile)")
    worst = print_rounds("running context", ratios, DUMP_GOAL, verdict=True)
    record("gdb dump 256 KiB SPU local store, running: worst round's time / ordinary's",
           f"<= {DUMP_GOAL}", worst, worst <= DUMP_GOAL)
    ceiling_lines("SPU local store", rounds, "ls", "256 KiB")
    print(f"  the same, context saved off the SPEs         {saved['ls'] * 1e3:8.2f} ms"
          f"  ratio {saved['ls'] / saved['ordinary']:.2f}")
    print(f"  x/{LS_SIZE // 8}gx of the local store            {x['x'] * 1e3:8.2f} ms"
          "  (baseline)")
    print(f"  info spu-ls/gx of it, ioctl path             {spu_ls['spu-ls-ioctl'] * 1e3:8.2f}"
          f" ms  ratio {spu_ls['spu-ls-ioctl'] / x['x']:.2f} to x")


def gpu_part():
    gpu = Target("gpu_bo", "-o", "1", str(GPU_SIZE // PAGE), str(uapi.IODBG_PLACEMENT_DEVICE))
    bo, ordinary = (key_values(line) for line in gpu.lines)
    try:
        rounds = merge_rounds(gdb_times(
            gpu.pid, *alternate_rounds(dump("ordinary", ordinary["addr"], GPU_SIZE),
                                       dump("vram", bo["addr"], GPU_SIZE),
                                       ceiling("bos[0].map", GPU_SIZE)),
            after=[dump("", bo["addr"], GPU_SIZE, DUMP)[1]]))
        check_dump(lambda off, n: gpu_pattern(bo["id"], off, n), step=64)
    finally:
        gpu.close()
    print(f"  dump binary memory, 4 MiB ordinary buffer    "
          f"{min(r['ordinary'] for r in rounds) * 1e3:8.2f} ms  (baseline, best round)")
    print(f"  dump binary memory, 4 MiB VRAM object        "
          f"{min(r['vram'] for r in rounds) * 1e3:8.2f} ms  (best round)")
    worst = print_rounds("VRAM object", [r["vram"] / r["ordinary"] for r in rounds],
                         GPU_TARGET, verdict=False)
    record("gdb dump 4 MiB VRAM object: worst round's time / ordinary's", f"<= {GPU_TARGET}",
           worst, worst <= GPU_TARGET)
    ceiling_lines("VRAM object", rounds, "vram", "4 MiB")


def main():
    print(f"gdb benchmark on {os.uname().release}: {ROUNDS} rounds of each dump ratio, "
          f"each round the best of {DUMP_RUNS} alternate dumps of both sides; x and info "
          f"spu-ls best of {RUNS}")
    try:
        spu_part()
        gpu_part()
    finally:
        if os.path.exists(DUMP):
            os.unlink(DUMP)


if __name__ == "__main__":
    main()
