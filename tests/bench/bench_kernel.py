"""make bench, kernel part (runs in the test VM): how fast debuggers read device memory through
iodbg, as ratios against baselines measured in the same run.

1. 64 MiB of a VRAM-resident gpu_sim object, through /proc/PID/mem (iodbg's ->access) and
   through IODBG_IOC_RW_ADDR, against 64 MiB of ordinary anonymous memory through
   /proc/PID/mem; ratio = baseline time / time (target: at least 0.8).
2. 1 MiB of a pfn mapping of VRAM, through iodbg's generic page-table fallback
   (RW_ADDR with IODBG_RW_GENERIC | IODBG_RW_ALLOW_MMIO) against the same mapping read through
   /proc/PID/mem with the kernel's generic_access_phys() as its ->access; speedup =
   generic_access_phys time / fallback time (target: at least 3).
Each figure is the best of several runs; every read is checked against the pattern.
"""
import os
import sys
import time

sys.path[:0] = [os.path.join(os.path.dirname(__file__), "..", "guest"),
                os.path.join(os.environ["IODBG_OUT"], "build", "python")]

import iodbg_uapi as uapi                               # noqa: E402
from iodbg_ioctl import rw_addr                         # noqa: E402
from targets import Target, gpu_pattern                 # noqa: E402

MIB = 1 << 20
PAGE = os.sysconf("SC_PAGESIZE")
RUNS = 5


def best(fn):
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def proc_mem_reader(pid, addr, size, chunk=MIB):
    """A dd-like reader of /proc/PID/mem: one pread per chunk."""
    def read():
        fd = os.open(f"/proc/{pid}/mem", os.O_RDONLY)
        try:
            out = bytearray()
            for off in range(0, size, chunk):
                data = os.pread(fd, chunk, addr + off)
                assert len(data) == chunk
                out += data
            return bytes(out)
        finally:
            os.close(fd)
    return read


def ioctl_reader(pid, addr, size, flags=0, chunk=MIB):
    def read():
        out = bytearray()
        for off in range(0, size, chunk):
            data, done = rw_addr(pid, addr + off, chunk, flags)
            assert done == chunk
            out += data
        return bytes(out)
    return read


def gpu_target(size, flags=0):
    t = Target("gpu_bo", "1", str(size // PAGE), str(uapi.IODBG_PLACEMENT_DEVICE), str(flags))
    bo_id = int(t.lines[0].split("id=")[1].split()[0])
    return t, bo_id


def expect_gpu_pattern(data, bo_id, length=4096):
    assert data[:length] == gpu_pattern(bo_id, 0, length), "a benchmark read returned wrong bytes"


def main():
    kernel = os.uname().release
    print(f"iodbg kernel benchmark on {kernel}, best of {RUNS} runs")
    size = 64 * MIB
    anon = Target("anon_map", str(size // PAGE))
    vram, bo_id = gpu_target(size)
    try:
        base = best(proc_mem_reader(anon.pid, anon.addr, size))
        expect_gpu_pattern(proc_mem_reader(vram.pid, vram.addr, size)(), bo_id)
        expect_gpu_pattern(ioctl_reader(vram.pid, vram.addr, size)(), bo_id)
        dev_mem = best(proc_mem_reader(vram.pid, vram.addr, size))
        dev_ioctl = best(ioctl_reader(vram.pid, vram.addr, size))
    finally:
        anon.close()
        vram.close()
    print(f"  64 MiB anonymous memory, /proc/PID/mem       {base * 1e3:8.1f} ms  (baseline)")
    print(f"  64 MiB VRAM object, /proc/PID/mem (->access) {dev_mem * 1e3:8.1f} ms  "
          f"ratio {base / dev_mem:.2f} (target >= 0.8)")
    print(f"  64 MiB VRAM object, IODBG_IOC_RW_ADDR        {dev_ioctl * 1e3:8.1f} ms  "
          f"ratio {base / dev_ioctl:.2f} (target >= 0.8)")

    size = MIB
    phys, bo_id = gpu_target(size, uapi.GPU_SIM_CREATE_ACCESS_PHYS)
    try:
        flags = uapi.IODBG_RW_GENERIC | uapi.IODBG_RW_ALLOW_MMIO
        # /proc/PID/mem hands ->access one page at a time, as gdb's reads arrive.
        kernel_read = proc_mem_reader(phys.pid, phys.addr, size, chunk=size)
        fallback_read = ioctl_reader(phys.pid, phys.addr, size, flags, chunk=size)
        expect_gpu_pattern(kernel_read(), bo_id, size)
        expect_gpu_pattern(fallback_read(), bo_id, size)
        access_phys = best(kernel_read)
        fallback = best(fallback_read)
    finally:
        phys.close()
    print(f"  1 MiB pfn mapping of VRAM, generic_access_phys {access_phys * 1e3:6.1f} ms  "
          "(baseline)")
    print(f"  1 MiB pfn mapping of VRAM, iodbg fallback      {fallback * 1e3:6.1f} ms  "
          f"speedup {access_phys / fallback:.1f}x (target >= 3)")


if __name__ == "__main__":
    main()
