"""make bench, libiodbg part (runs in the test VM): the iodbg command against dd.

1. `iodbg read` of 64 MiB of ordinary memory, against dd of the same range of /proc/PID/mem
   (ratio = dd time / iodbg time; target: at least 0.9).
2. `iodbg read` of a 64 MiB VRAM-resident gpu_sim object, against the ordinary-memory figure
   of 1 (ratio = that time / this time; target: at least 0.8).
Then both again for 4 MiB, the size of a buffer object a user debugs.
Best of several rounds, each round running every command once; every command's output is
checked against the target's pattern.
"""
import os
import subprocess
import sys

sys.path[:0] = [os.path.join(os.path.dirname(__file__), "..", "guest"),
                os.path.join(os.environ["IODBG_OUT"], "build", "python")]

import iodbg_uapi as uapi                               # noqa: E402
from rounds import best                                 # noqa: E402
from targets import Target, gpu_pattern                 # noqa: E402

MIB = 1 << 20
PAGE = os.sysconf("SC_PAGESIZE")
RUNS = 5
IODBG = os.path.join(os.environ["IODBG_OUT"], "build", "libiodbg", "bin", "iodbg")
OUTPUT = "/tmp/bench.out"


def run(argv):
    return lambda: subprocess.run(argv, check=True, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)


def iodbg_read(pid, addr, size):
    return [IODBG, "read", "-o", OUTPUT, str(pid), hex(addr), str(size)]


def dd_read(pid, addr, size):
    return ["dd", f"if=/proc/{pid}/mem", f"of={OUTPUT}", "bs=1M", f"skip={addr}",
            f"count={size}", "iflag=skip_bytes,count_bytes"]


def check_output(size, first_word):
    with open(OUTPUT, "rb") as f:
        data = f.read()
    assert len(data) == size and int.from_bytes(data[:8], "little") == first_word


def figures(size):
    """Print the figures for @size bytes."""
    anon = Target("anon_map", str(size // PAGE))
    vram = Target("gpu_bo", "1", str(size // PAGE), str(uapi.IODBG_PLACEMENT_DEVICE))
    bo_id = int(vram.lines[0].split("id=")[1].split()[0])
    try:
        # Each round ends with the VRAM read, whose output is checked; the others once each.
        readers = [run(dd_read(anon.pid, anon.addr, size)),
                   run(iodbg_read(anon.pid, anon.addr, size)),
                   run(iodbg_read(vram.pid, vram.addr, size))]
        for read in readers[:2]:
            read()
            check_output(size, 0)
        dd, ordinary, device = best(RUNS, *readers)
        check_output(size, int.from_bytes(gpu_pattern(bo_id, 0, 8), "little"))
    finally:
        anon.close()
        vram.close()
        os.unlink(OUTPUT)
    mib = f"{size // MIB} MiB"
    print(f"  dd of /proc/PID/mem, {mib:6s} ordinary   {dd * 1e3:8.1f} ms  (baseline)")
    print(f"  iodbg read, {mib:6s} ordinary memory     {ordinary * 1e3:8.1f} ms  "
          f"ratio {dd / ordinary:.2f} (target >= 0.9)")
    print(f"  iodbg read, {mib:6s} VRAM object         {device * 1e3:8.1f} ms  "
          f"ratio {ordinary / device:.2f} to ordinary (target >= 0.8)")


def main():
    print(f"libiodbg benchmark on {os.uname().release}, best of {RUNS} rounds")
    figures(64 * MIB)
    figures(4 * MIB)


if __name__ == "__main__":
    main()
