"""make bench, scheduler part (runs in the test VM): a debugger reading an SPU context's local
store flat out must not slow spu_sim's scheduler down.

More contexts than SPEs (one more), on the shortest time slice (slice_ms, restored
afterwards): the scheduler's context switches per second (the sum of the contexts' `loads`, read
from their register pages through /proc/PID/mem) over a few seconds with no debugger, against
the same while a debugger process reads one context's whole 256 KiB local store over and over,
through /proc/PID/mem (as gdb does) and through IODBG_IOC_RW_ADDR (as `iodbg read` does); ratio
= switches per second with the debugger / without it, over all rounds (goal: at least 0.9 for
each). Two controls take no object lock: a debugger reading the same process's 256 KiB ordinary
buffer through /proc/PID/mem, and a process that only spins; what they cost the scheduler is
the machine's, not the driver's, so each reader's rate is also given as a ratio to the
ordinary-buffer control's. The conditions alternate, in a different order each round.
For each, where the scheduler thread's time went (its /proc/PID/sched, with schedstats on for
the run): on a CPU, waiting for one, and blocked (uninterruptible: on a lock), per second.

    bench_spu_sched.py                                  the benchmark
    bench_spu_sched.py --reader HOW PID ADDR LS_ID      a debugger (HOW: ls-mem, ls-ioctl,
                                                        ordinary-mem) or spinner (spin): runs
                                                        until SIGTERM, then prints its count
"""
import ctypes
import fcntl
import os
import signal
import subprocess
import sys
import time

sys.path[:0] = [os.path.join(os.path.dirname(__file__), "..", "guest"),
                os.path.join(os.environ["IODBG_OUT"], "build", "python")]

import iodbg_uapi as uapi                               # noqa: E402
from results import record                              # noqa: E402
from targets import SpuTarget, spu_pattern              # noqa: E402

LS_SIZE = uapi.SPU_SIM_LS_SIZE
PARAMS = "/sys/module/spu_sim/parameters"
SCHEDSTATS = "/proc/sys/kernel/sched_schedstats"
SLICE_MS = 5        # spu_sim's shortest slice: the most switches a debugger could slow down
ROUNDS = 5
WINDOW = 2.0        # seconds each condition is measured in a round
GOAL = 0.9
CONDITIONS = {
    None: "no debugger",
    "spin": "control: a process spinning",
    "ordinary-mem": "control: ordinary buffer, /proc/PID/mem",
    "ls-mem": "debugger: local store, /proc/PID/mem",
    "ls-ioctl": "debugger: local store, RW_ADDR",
}
GOAL_CONDITIONS = ("ls-mem", "ls-ioctl")


def reader(how, pid, addr, ls_id):
    """Read 256 KiB at @addr of @pid flat out (or only spin) until SIGTERM; print 'reading'
    after the first read, which is checked, and 'reads N' at the end."""
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    buf = bytearray(LS_SIZE)
    if how == "spin":
        def read():
            return LS_SIZE
    elif how.endswith("-mem"):
        fd = os.open(f"/proc/{pid}/mem", os.O_RDONLY)

        def read():
            return os.preadv(fd, [buf], addr)
    else:
        fd = os.open("/dev/iodbg", os.O_RDWR)
        args = uapi.iodbg_rw(size=ctypes.sizeof(uapi.iodbg_rw), pid=pid, addr=addr, len=LS_SIZE,
                             buf=ctypes.addressof((ctypes.c_char * LS_SIZE).from_buffer(buf)))

        def read():
            args.done = 0
            fcntl.ioctl(fd, uapi.IODBG_IOC_RW_ADDR, args)
            return args.done
    assert read() == LS_SIZE
    if how == "ordinary-mem":
        # spu_ctx's ordinary buffer: the word at offset O holds O.
        assert buf[:64] == b"".join(o.to_bytes(8, "little") for o in range(0, 64, 8)), \
            "the debugger read wrong bytes"
    elif how != "spin":
        # The words from the counter on change while the context runs.
        assert buf[:uapi.SPU_SIM_LS_COUNTER] == spu_pattern(ls_id, 0, uapi.SPU_SIM_LS_COUNTER), \
            "the debugger read wrong bytes"
    print("reading", flush=True)
    reads = 1
    while not stop:
        assert read() == LS_SIZE
        reads += 1
    print(f"reads {reads}", flush=True)


def param(path, value=None):
    if value is None:
        with open(path) as f:
            return int(f.read())
    with open(path, "w") as f:
        f.write(f"{value}\n")


def switches(spu):
    return sum(spu.mem_regs(i).loads for i in range(len(spu.ctxs)))


def scheduler_thread():
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read() == "spu_sim\n":
                    return int(pid)
        except (OSError, ValueError):
            pass
    sys.exit("bench_spu_sched: no spu_sim thread")


def thread_times(pid):
    """The scheduler thread's (on CPU, waiting for a CPU, blocked) in ms so far."""
    fields = {}
    with open(f"/proc/{pid}/sched") as f:
        for line in f:
            key, sep, value = line.partition(":")
            if sep:
                fields[key.strip().rsplit(".", 1)[-1]] = value.strip()
    return [float(fields.get(key, "nan"))
            for key in ("sum_exec_runtime", "wait_sum", "sum_block_runtime")]


def measure(spu, kthread, how):
    """(switches per second, the scheduler thread's [on CPU, waiting, blocked] in ms per second,
    reads per second or None) over WINDOW under condition @how."""
    debugger = None
    if how:
        addr = spu.ordinary["addr"] if how == "ordinary-mem" else spu.ctxs[0]["ls"]
        debugger = subprocess.Popen([sys.executable, __file__, "--reader", how, str(spu.pid),
                                     str(addr), str(spu.ctxs[0]["ls_id"])],
                                    stdout=subprocess.PIPE, text=True)
        assert debugger.stdout.readline() == "reading\n", "the debugger did not start"
    try:
        start, first, times = time.monotonic(), switches(spu), thread_times(kthread)
        time.sleep(WINDOW)
        end, last = time.monotonic(), switches(spu)
        times = [(b - a) / (end - start) for a, b in zip(times, thread_times(kthread))]
    finally:
        if debugger:
            debugger.terminate()
            out, _ = debugger.communicate(timeout=60)
    reads = None
    if debugger:
        assert debugger.returncode == 0 and out.startswith("reads "), "the debugger failed"
        # Counted from before the first window read to after the last: a slight overcount.
        reads = int(out.split()[1]) / (end - start)
    return (last - first) / (end - start), times, reads


def mean(values):
    return sum(values) / len(values)


def main():
    nr_spes = param(os.path.join(PARAMS, "nr_spes"))
    old_slice = param(os.path.join(PARAMS, "slice_ms"))
    old_schedstats = param(SCHEDSTATS)
    print(f"spu_sim scheduler benchmark on {os.uname().release}: {nr_spes + 1} contexts on "
          f"{nr_spes} SPEs, slice_ms={SLICE_MS}, {ROUNDS} rounds of {WINDOW:.0f} s per condition")
    conditions = list(CONDITIONS)
    rates = {how: [] for how in conditions}
    times = {how: [] for how in conditions}
    reads = {how: [] for how in conditions}
    kthread = scheduler_thread()
    spu = SpuTarget(nr_spes + 1)
    try:
        param(os.path.join(PARAMS, "slice_ms"), SLICE_MS)
        param(SCHEDSTATS, 1)
        for i in range(ROUNDS):
            for how in conditions[i:] + conditions[:i]:
                rate, thread, read_rate = measure(spu, kthread, how)
                rates[how].append(rate)
                times[how].append(thread)
                reads[how].append(read_rate)
    finally:
        param(SCHEDSTATS, old_schedstats)
        param(os.path.join(PARAMS, "slice_ms"), old_slice)
        spu.close()
    base, control = mean(rates[None]), mean(rates["ordinary-mem"])
    print("  context switches per second in each round; the scheduler thread's ms per second on "
          "a CPU, waiting for one, blocked; ratio to no debugger")
    for how in conditions:
        cpu, wait, blocked = (mean(t) for t in zip(*times[how]))
        line = (f"    {CONDITIONS[how]:41s}" + "".join(f"{r:6.1f}" for r in rates[how])
                + f"   {cpu:5.1f} {wait:5.1f} {blocked:5.1f}")
        if how:
            line += f"   {mean(rates[how]) / base:.2f}"
        print(line)
    for how in conditions[2:]:
        print(f"  {CONDITIONS[how]} read {mean(reads[how]) * LS_SIZE / (1 << 20):.0f} MiB/s")
    for how in GOAL_CONDITIONS:
        ratio = mean(rates[how]) / base
        print(f"  {CONDITIONS[how]}: switches per second {ratio:.2f} of no debugger's "
              f"(goal >= {GOAL}: {'met' if ratio >= GOAL else 'NOT met'}), "
              f"{mean(rates[how]) / control:.2f} of the ordinary-buffer control's")
        record(f"spu_sim switches/s, {CONDITIONS[how]}, / no debugger", f">= {GOAL}", ratio,
               ratio >= GOAL)

if __name__ == "__main__":
    if sys.argv[1:2] == ["--reader"]:
        reader(sys.argv[2], *map(int, sys.argv[3:6]))
    else:
        main()
