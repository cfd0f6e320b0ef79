"""make bench, remote part (runs in the test VM): gdb through iodbg-gdbserver against gdb
through the stock gdbserver alone and against gdb on its own, all in one gdb session with one
inferior per way of reaching a process, each its own process, so that one round alternates
the sides of every ratio:

  inferior 1  stock gdbserver (target remote | gdbserver --attach - PID): ordinary memory
  inferior 2  iodbg-gdbserver on a pipe (what 'iodbg attach' makes): a 1 MiB mapping whose
              driver has no ->access, which gdbserver refuses and libiodbg reads
  inferior 3  gdb's native attach: ordinary memory
  inferior 4  iodbg-gdbserver: ordinary memory

(a) `dump binary memory` of 1 MiB of the device mapping through the proxy against 1 MiB of
    ordinary memory through the stock gdbserver (goal: at most 0.33). The proxy offers gdb
    256 KiB packets where gdbserver offers 18 KiB ones, which saves round trips on a slow link;
    on a pipe the time goes to gdb's own handling of each hex digit, the same in any packet
    size;
(b) 1 MiB of ordinary memory through the proxy against the stock gdbserver (goal: at most
    1.0: the proxy's relaying costs less than the round trips its larger packets save);
(c) the device dump through the proxy against native gdb's dump of 1 MiB of ordinary memory
    (goal: at most 2.0: what 'iodbg attach' costs against gdb on its own).
Each round's figure is the best of a few dumps of each side; the worst round counts. The last
dump through the proxy is checked against the mapping's pattern.
"""
import os
import sys

sys.path[:0] = [os.path.join(os.path.dirname(__file__), "..", "guest"),
                os.path.join(os.environ["IODBG_OUT"], "build", "python")]

import iodbg_uapi as uapi                                               # noqa: E402
from bench_gdb import DUMP, dump, gdb_times, print_rounds               # noqa: E402
from results import record                                              # noqa: E402
from targets import Target, key_values, scratch_pattern                 # noqa: E402

MIB = 1 << 20
PAGE = os.sysconf("SC_PAGESIZE")
ROUNDS = 3
RUNS = 2
PROXY = os.path.join(os.environ["IODBG_OUT"], "build", "gdbserver-ext", "iodbg-gdbserver")
GOALS = {"a": 0.33, "b": 1.0, "c": 2.0}


def ordinary_target():
    """A process with a 1 MiB buffer of ordinary memory (beside an object of that size)."""
    t = Target("gpu_bo", "-o", "1", str(MIB // PAGE), str(uapi.IODBG_PLACEMENT_SYSTEM))
    return t, next(key_values(line) for line in t.lines if line.startswith("ordinary "))


def rounds(pairs):
    """ROUNDS groups of every pair, the order reversed in every other round."""
    return [(RUNS, pairs if i % 2 else pairs[::-1]) for i in range(ROUNDS)]


def main():
    print(f"remote benchmark on {os.uname().release}: {ROUNDS} rounds, each the best of {RUNS} "
          "alternate dumps of every side")
    stock, stock_buf = ordinary_target()
    device = Target("scratch_map", str(MIB // PAGE), "noaccess")
    native, native_buf = ordinary_target()
    proxied, proxied_buf = ordinary_target()
    try:
        assert device.size == MIB
        setup = [f"target remote | gdbserver --attach - {stock.pid}",
                 "add-inferior", "inferior 2",
                 f"target remote | {PROXY} --attach - {device.pid}",
                 "add-inferior", "inferior 3", f"attach {native.pid}",
                 "add-inferior", "inferior 4",
                 f"target remote | {PROXY} --attach - {proxied.pid}"]
        sides = [("stock", "inferior 1\n" + dump("", stock_buf["addr"], MIB)[1]),
                 ("device", "inferior 2\n" + dump("", device.addr, MIB)[1]),
                 ("native", "inferior 3\n" + dump("", native_buf["addr"], MIB)[1]),
                 ("proxied", "inferior 4\n" + dump("", proxied_buf["addr"], MIB)[1])]
        times = gdb_times(None, *rounds(sides), setup=["set sysroot /", *setup],
                          after=["inferior 2", dump("", device.addr, MIB, DUMP)[1],
                                 "inferior 1", "detach", "inferior 2", "detach",
                                 "inferior 3", "detach", "inferior 4", "detach"])
        with open(DUMP, "rb") as f:
            assert f.read() == scratch_pattern(0, MIB), "the dump is not the mapping's bytes"
    finally:
        for t in (stock, device, native, proxied):
            t.close()
        if os.path.exists(DUMP):
            os.unlink(DUMP)
    for side in ("stock", "native", "proxied", "device"):
        print(f"  dump binary memory of 1 MiB, {side:8s} {min(r[side] for r in times) * 1e3:9.2f}"
              " ms (best round)")
    for key, what, num, den in (
            ("a", "device mapping through the proxy / ordinary through stock gdbserver",
             "device", "stock"),
            ("b", "ordinary through the proxy / ordinary through stock gdbserver",
             "proxied", "stock"),
            ("c", "device mapping through iodbg attach / ordinary natively", "device",
             "native")):
        worst = print_rounds(f"({key}) {what}", [r[num] / r[den] for r in times], GOALS[key],
                             verdict=True)
        record(f"gdb dump 1 MiB, {what}: worst round", f"<= {GOALS[key]:.2f}", worst,
               worst <= GOALS[key])


if __name__ == "__main__":
    main()
