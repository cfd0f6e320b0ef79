"""make bench, kernel part (runs in the test VM): how fast debuggers read device memory through
iodbg, as ratios against baselines measured in the same run.

1. 64 MiB of a VRAM-resident gpu_sim object, through /proc/PID/mem (iodbg's ->access) and
   through IODBG_IOC_RW_ADDR, against 64 MiB of ordinary anonymous memory through
   /proc/PID/mem; ratio = baseline time / time (target: at least 0.8). Then the same for
   4 MiB, the size of a buffer object a user debugs.
2. 1 MiB of a pfn mapping of VRAM, through iodbg's generic page-table fallback
   (RW_ADDR with IODBG_RW_GENERIC | IODBG_RW_ALLOW_MMIO) against the same mapping read through
   /proc/PID/mem with the kernel's generic_access_phys() as its ->access; speedup =
   generic_access_phys time / fallback time (target: at least 3).
Each figure is the best of several rounds, each round timing every reader of a ratio once.
Every reader reads straight into one buffer of its own, faulted in by a first read that is
checked against the pattern, so that the time is the kernel's, not Python's allocating and
copying.
"""
import ctypes
import os
import sys

sys.path[:0] = [os.path.join(os.path.dirname(__file__), "..", "guest"),
                os.path.join(os.environ["IODBG_OUT"], "build", "python")]

import iodbg_uapi as uapi                               # noqa: E402
from iodbg_ioctl import rw_addr_at                      # noqa: E402
from rounds import best                                 # noqa: E402
from targets import Target, gpu_pattern                 # noqa: E402

MIB = 1 << 20
PAGE = os.sysconf("SC_PAGESIZE")
RUNS = 7


def proc_mem_reader(pid, addr, size, chunk=MIB):
    """A dd-like reader of /proc/PID/mem: one pread per chunk, straight into a buffer that the
    first call faults in and later calls reuse, as a debugger's would be."""
    out = bytearray(size)
    view = memoryview(out)

    def read():
        fd = os.open(f"/proc/{pid}/mem", os.O_RDONLY)
        try:
            for off in range(0, size, chunk):
                assert os.preadv(fd, [view[off:off + chunk]], addr + off) == chunk
        finally:
            os.close(fd)
        return out
    return read


def ioctl_reader(pid, addr, size, flags=0, chunk=MIB):
    """The same through IODBG_IOC_RW_ADDR."""
    out = bytearray(size)
    base = ctypes.addressof((ctypes.c_char * size).from_buffer(out))

    def read():
        for off in range(0, size, chunk):
            assert rw_addr_at(pid, addr + off, base + off, chunk, flags) == chunk
        return out
    return read


def gpu_target(size, flags=0):
    t = Target("gpu_bo", "1", str(size // PAGE), str(uapi.IODBG_PLACEMENT_DEVICE), str(flags))
    bo_id = int(t.lines[0].split("id=")[1].split()[0])
    return t, bo_id


def expect_gpu_pattern(data, bo_id):
    """Check one page in every 64 (the whole 1 MiB of the small mapping)."""
    for off in range(0, len(data), 64 * PAGE if len(data) > MIB else PAGE):
        assert data[off:off + PAGE] == gpu_pattern(bo_id, off, PAGE), \
            "a benchmark read returned wrong bytes"


def vram_figures(size):
    """Print the figures of part 1 for objects of @size bytes."""
    anon = Target("anon_map", str(size // PAGE))
    vram, bo_id = gpu_target(size)
    try:
        anon_read = proc_mem_reader(anon.pid, anon.addr, size)
        vram_read = proc_mem_reader(vram.pid, vram.addr, size)
        vram_ioctl = ioctl_reader(vram.pid, vram.addr, size)
        first = anon_read()
        assert all(int.from_bytes(first[off:off + 8], "little") == off
                   for off in range(0, size, PAGE)), "a benchmark read returned wrong bytes"
        expect_gpu_pattern(vram_read(), bo_id)
        expect_gpu_pattern(vram_ioctl(), bo_id)
        base, dev_mem, dev_ioctl = best(RUNS, anon_read, vram_read, vram_ioctl)
    finally:
        anon.close()
        vram.close()
    mib = f"{size // MIB} MiB"
    print(f"  {mib:6s} anonymous memory, /proc/PID/mem       {base * 1e3:8.1f} ms  (baseline)")
    print(f"  {mib:6s} VRAM object, /proc/PID/mem (->access) {dev_mem * 1e3:8.1f} ms  "
          f"ratio {base / dev_mem:.2f} (target >= 0.8)")
    print(f"  {mib:6s} VRAM object, IODBG_IOC_RW_ADDR        {dev_ioctl * 1e3:8.1f} ms  "
          f"ratio {base / dev_ioctl:.2f} (target >= 0.8)")


def main():
    kernel = os.uname().release
    print(f"iodbg kernel benchmark on {kernel}, best of {RUNS} rounds")
    vram_figures(64 * MIB)
    vram_figures(4 * MIB)

    size = MIB
    phys, bo_id = gpu_target(size, uapi.GPU_SIM_CREATE_ACCESS_PHYS)
    try:
        flags = uapi.IODBG_RW_GENERIC | uapi.IODBG_RW_ALLOW_MMIO
        # /proc/PID/mem hands ->access one page at a time, as gdb's reads arrive.
        kernel_read = proc_mem_reader(phys.pid, phys.addr, size, chunk=size)
        fallback_read = ioctl_reader(phys.pid, phys.addr, size, flags, chunk=size)
        expect_gpu_pattern(kernel_read(), bo_id)
        expect_gpu_pattern(fallback_read(), bo_id)
        access_phys, fallback = best(RUNS, kernel_read, fallback_read)
    finally:
        phys.close()
    print(f"  1 MiB pfn mapping of VRAM, generic_access_phys  {access_phys * 1e3:8.1f} ms  "
          "(baseline)")
    print(f"  1 MiB pfn mapping of VRAM, iodbg fallback       {fallback * 1e3:8.1f} ms  "
          f"speedup {access_phys / fallback:.1f}x (target >= 3)")


if __name__ == "__main__":
    main()
