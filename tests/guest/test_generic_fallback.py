"""The generic page-table fallback and the access rules of IODBG_IOC_RW_ADDR: what a debugger may
read or write of another process's device mapping, and what it must never do to it."""
import ctypes
import errno
import mmap
import os

import pytest

import iodbg_test_uapi as uapi
from iodbg_ioctl import rw_addr
from targets import (MAP_FAILED, MAP_FIXED, GpuTarget, Target, expect_errno, gpu_pattern, iodbg,
                     key_values, libc, scratch_pattern)

PAGE = mmap.PAGESIZE
VRAM = uapi.IODBG_PLACEMENT_DEVICE
GENERIC_MMIO = uapi.IODBG_RW_GENERIC | uapi.IODBG_RW_ALLOW_MMIO
NOBODY = 65534

@pytest.fixture
def scratch():
    """Map scratch objects of /dev/iodbg_test into this process: map(variant offset, prot)."""
    fd = os.open("/dev/iodbg_test", os.O_RDWR)
    maps = []

    def map_scratch(offset, prot, pages=4):
        addr = libc.mmap(None, pages * PAGE, prot, mmap.MAP_SHARED, fd, offset)
        assert addr not in (None, 2**64 - 1), os.strerror(ctypes.get_errno())
        maps.append((addr, pages * PAGE))
        return addr

    yield map_scratch
    for addr, size in maps:
        libc.munmap(addr, size)
    os.close(fd)


def test_untouched_page_is_not_present_and_never_faulted_in(scratch):
    """A page of a mapping without ->access that its process never touched is reported as not
    present (ENOENT): the fallback never runs the driver's fault handler on another process's
    behalf (mainline never does; spufs and TTM drivers rely on that)."""
    addr = scratch(uapi.IODBG_SCRATCH_OFF_NO_ACCESS, mmap.PROT_READ | mmap.PROT_WRITE)
    ctypes.memmove(addr, b"touched!", 8)                     # page 0 only
    assert rw_addr(os.getpid(), addr, 8, uapi.IODBG_RW_GENERIC)[0] == b"touched!"
    expect_errno(errno.ENOENT, rw_addr, os.getpid(), addr + PAGE, 8, uapi.IODBG_RW_GENERIC)
    expect_errno(errno.ENOENT, rw_addr, os.getpid(), addr + 2 * PAGE, b"x",
                 uapi.IODBG_RW_GENERIC)
    # A read that starts on a present page stops before the absent one and says how far.
    data, done = rw_addr(os.getpid(), addr, 8, uapi.IODBG_RW_GENERIC)
    assert done == 8 and data == b"touched!"
    with pytest.raises(OSError) as err:
        rw_addr(os.getpid(), addr, 2 * PAGE, uapi.IODBG_RW_GENERIC)
    assert err.value.errno == errno.ENOENT


def test_page_under_an_empty_pmd_is_not_present():
    """A mapping of which no page was ever touched, alone in its PMD's range, has no page
    table there at all: not present (ENOENT), as under an empty PTE, never a huge leaf."""
    pmd = 2 << 20
    area = libc.mmap(None, 2 * pmd, 0, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, -1, 0)  # PROT_NONE
    assert area not in (None, MAP_FAILED), os.strerror(ctypes.get_errno())
    fd = os.open("/dev/iodbg_test", os.O_RDWR)
    try:
        addr = (area + pmd - 1) & ~(pmd - 1)
        assert libc.mmap(addr, pmd, mmap.PROT_READ | mmap.PROT_WRITE,
                         mmap.MAP_SHARED | MAP_FIXED, fd,
                         uapi.IODBG_SCRATCH_OFF_NO_ACCESS) == addr
        for offset in (0, 5 * PAGE + 8, pmd - 8):
            expect_errno(errno.ENOENT, rw_addr, os.getpid(), addr + offset, 8,
                         uapi.IODBG_RW_GENERIC)
    finally:
        os.close(fd)
        libc.munmap(area, 2 * pmd)


def test_write_only_mapping_refuses_reads_with_eacces(scratch):
    """A mapping its driver made write-only (no VM_MAYREAD) is not read, even by force, as
    GUP's check_vma_flags() rules for ptrace; writes go through."""
    addr = scratch(uapi.IODBG_SCRATCH_OFF_WRITE_ONLY, mmap.PROT_WRITE)
    ctypes.memmove(addr, b"touched!", 8)
    for flags in (0, uapi.IODBG_RW_GENERIC):
        expect_errno(errno.EACCES, rw_addr, os.getpid(), addr, 8, flags)
        assert rw_addr(os.getpid(), addr, b"doorbell", flags) == 8


def test_prot_none_mapping_is_read_as_ptrace_reads_it(scratch):
    """PROT_NONE keeps VM_MAYREAD: ptrace (FOLL_FORCE) reads it, and so does iodbg; it is not
    written, since a shared mapping cannot be written by copy-on-write."""
    addr = scratch(uapi.IODBG_SCRATCH_OFF_ACCESS, mmap.PROT_READ | mmap.PROT_WRITE)
    ctypes.memmove(addr, b"hidden!!", 8)
    assert libc.mprotect(addr, 4 * PAGE, 0) == 0    # PROT_NONE
    assert rw_addr(os.getpid(), addr, 8)[0] == b"hidden!!"
    expect_errno(errno.EROFS, rw_addr, os.getpid(), addr, b"x")


def test_read_only_mapping_refuses_writes_with_erofs(scratch):
    for offset in (uapi.IODBG_SCRATCH_OFF_ACCESS, uapi.IODBG_SCRATCH_OFF_NO_ACCESS):
        addr = scratch(offset, mmap.PROT_READ)
        for flags in (0, uapi.IODBG_RW_GENERIC):
            expect_errno(errno.EROFS, rw_addr, os.getpid(), addr, b"x", flags)


@pytest.mark.parametrize("width", [1, 2, 4, 8])
def test_mmio_reads_and_writes_at_each_width(start, width):
    """VRAM through the generic fallback in accesses of each width: every byte right, at
    unaligned edges too, and a write changes exactly the bytes asked for."""
    t = start(GpuTarget, 1, 2, VRAM)
    bo = t.bos[0]
    for offset, length in ((0, 64), (3, 29), (PAGE - 5, 11), (1, 2 * PAGE - 2)):
        data, _ = rw_addr(t.pid, bo["addr"] + offset, length, GENERIC_MMIO, width=width)
        assert data == gpu_pattern(bo["id"], offset, length)
    patch = bytes(range(1, 14))
    assert rw_addr(t.pid, bo["addr"] + 7, patch, GENERIC_MMIO, width=width) == len(patch)
    expected = gpu_pattern(bo["id"], 0, 32)
    expected = expected[:7] + patch + expected[7 + len(patch):]
    assert t.read_bo(0, 0, 32) == expected


@pytest.mark.parametrize("width", [3, 5, 16, 1 << 31])
def test_bad_widths_are_einval(start, width):
    t = start(GpuTarget, 1, 1, VRAM)
    expect_errno(errno.EINVAL, rw_addr, t.pid, t.bos[0]["addr"], 8, GENERIC_MMIO, width=width)


# ---- huge leaves ----

def kernel_has(symbol):
    """Whether the running kernel has a function of that name (the tests run as root, so
    /proc/kallsyms names them)."""
    with open("/proc/kallsyms") as f:
        return any(line.split()[2] == symbol for line in f)


def huge_pattern(offset, length):
    return scratch_pattern(offset, length, base=uapi.IODBG_SCRATCH_HUGE_PATTERN)


def start_huge_target(start, user=None):
    """scratch_map with the test module's huge mapping, which one PMD leaf maps: every page of
    it took the process a single page fault to touch, so one entry maps them all."""
    t = start(Target, "scratch_map", "0", "huge", user=user)
    touched = key_values(next(line for line in t.lines if line.startswith("touched ")))
    assert touched["pages"] == t.size // PAGE > 1
    assert touched["faults"] == 1, f"{touched}: the mapping is not one PMD leaf"
    return t


# follow_pfnmap_start() (6.12) looks into huge leaves of pfn mappings; follow_pte() before it
# does not (and BUGs on them under CONFIG_DEBUG_VM), so iodbg refuses them there.
HUGE_READABLE = kernel_has("follow_pfnmap_start")


def huge_ranges(size):
    """(offset, length) in a leaf of @size bytes: past its first page, where a read that took
    the leaf's first pfn for the page's would return other bytes; across a page boundary in
    its middle; and its last page."""
    return [(5 * PAGE + 24, 40), (size // 2 - 8, 16), (size - PAGE, PAGE)]


def test_huge_leaf_through_the_generic_fallback(start):
    """RW_ADDR into a pfn mapping that a huge PMD leaf maps: the bytes of the very sub-page
    asked for, and writes that land there, where the kernel can look into such a leaf;
    EOPNOTSUPP where it cannot, and the process's memory untouched. Never other bytes."""
    t = start_huge_target(start)
    for offset, length in huge_ranges(t.size):
        assert t.read_own(offset, length) == huge_pattern(offset, length)
        if not HUGE_READABLE:
            expect_errno(errno.EOPNOTSUPP, rw_addr, t.pid, t.addr + offset, length,
                         uapi.IODBG_RW_GENERIC)
            expect_errno(errno.EOPNOTSUPP, rw_addr, t.pid, t.addr + offset, b"x" * length,
                         uapi.IODBG_RW_GENERIC)
            assert t.read_own(offset, length) == huge_pattern(offset, length)
            continue
        assert rw_addr(t.pid, t.addr + offset, length, uapi.IODBG_RW_GENERIC) == \
            (huge_pattern(offset, length), length)
        patch = bytes(~b & 0xFF for b in huge_pattern(offset, length))  # every byte differs
        assert rw_addr(t.pid, t.addr + offset, patch, uapi.IODBG_RW_GENERIC) == length
        before, after = offset - 8, min(offset + length + 8, t.size)
        assert t.read_own(before, after - before) == \
            huge_pattern(before, 8) + patch + huge_pattern(offset + length, after - offset - length)


@pytest.mark.parametrize("user", [None, NOBODY], ids=["root", "nobody"])
def test_huge_leaf_through_the_iodbg_command(start, user):
    """What a user of 'iodbg read' and 'iodbg write' sees of a mapping that a huge PMD leaf
    maps, at a sub-page past its first: the bytes, and the write in the process's memory; or,
    where the kernel cannot look into the leaf, exit 1, no byte, and a message that says why.
    As root, and as a plain user debugging a process of its own."""
    t = start_huge_target(start, user)
    offset, length = 7 * PAGE + 100, 2 * PAGE
    addr = hex(t.addr + offset)
    read = iodbg("read", "-o", "-", t.pid, addr, length, user=user)
    patch = bytes(~b & 0xFF for b in huge_pattern(offset, 4))
    write = iodbg("write", t.pid, addr, patch.hex(), user=user)
    if HUGE_READABLE:
        assert (read.returncode, read.stdout) == (0, huge_pattern(offset, length)), read.stderr
        assert write.returncode == 0, write.stderr
        assert t.read_own(offset, 8) == patch + huge_pattern(offset + 4, 4)
        return
    for res in (read, write):
        assert (res.returncode, res.stdout) == (1, b""), res
        assert f"{t.addr + offset:#x} is mapped by a huge page this kernel cannot look into" \
            in res.stderr.decode(), res.stderr
    assert t.read_own(offset, length) == huge_pattern(offset, length)
