"""The foundation's proof that the harness reaches a real VM_IO | VM_PFNMAP mapping: the iodbg
control device's scratch object, read and written the ways a debugger does."""
import ctypes
import errno
import fcntl
import mmap
import os

import pytest

from targets import (PATCHED_KERNEL, Ptrace, gdb_batch, gdb_words, process_vm_readv,
                     scratch_pattern, smaps)

PAGE = mmap.PAGESIZE


def proc_mem(pid, flags=os.O_RDONLY):
    return os.open(f"/proc/{pid}/mem", flags)


def test_mapping_is_vm_io_pfnmap(scratch_target):
    flags = next(f for start, _, f in smaps(scratch_target.pid) if start == scratch_target.addr)
    assert {"io", "pf", "dd"} <= flags


def test_proc_mem_reads_whole_mapping(scratch_target):
    fd = proc_mem(scratch_target.pid)
    try:
        data = os.pread(fd, scratch_target.size, scratch_target.addr)
    finally:
        os.close(fd)
    assert data == scratch_pattern(0, scratch_target.size)


def test_proc_mem_read_unaligned_across_pages(scratch_target):
    fd = proc_mem(scratch_target.pid)
    try:
        data = os.pread(fd, 21, scratch_target.addr + PAGE - 7)
    finally:
        os.close(fd)
    assert data == scratch_pattern(PAGE - 7, 21)


def test_proc_mem_read_stops_at_end_of_mapping(scratch_target):
    """The kernel hands ->access the whole remaining length; the object must clamp it."""
    last_page = scratch_target.size - PAGE
    fd = proc_mem(scratch_target.pid)
    try:
        data = os.pread(fd, 2 * PAGE, scratch_target.addr + last_page)
    finally:
        os.close(fd)
    assert data == scratch_pattern(last_page, PAGE)


def test_proc_mem_write_is_seen_by_target(scratch_target):
    offset = PAGE + 3
    fd = proc_mem(scratch_target.pid, os.O_RDWR)
    try:
        assert os.pwrite(fd, b"written by a debugger", scratch_target.addr + offset) == 21
    finally:
        os.close(fd)
    assert scratch_target.read_own(offset, 21) == b"written by a debugger"
    assert scratch_target.read_own(offset + 21, 8) == scratch_pattern(offset + 21, 8)


def test_ptrace_peek_and_poke(scratch_target):
    addr = scratch_target.addr + 2 * PAGE + 16
    with Ptrace(scratch_target.pid) as tracee:
        assert tracee.peek(addr).to_bytes(8, "little") == scratch_pattern(2 * PAGE + 16, 8)
        tracee.poke(addr, 0x0123456789ABCDEF)
        assert tracee.peek(addr) == 0x0123456789ABCDEF
    assert scratch_target.read_own(2 * PAGE + 16, 8) == (0x0123456789ABCDEF).to_bytes(8, "little")


def test_gdb_x_and_set_var(scratch_target):
    addr = scratch_target.addr + 3 * PAGE
    out = gdb_batch(scratch_target.pid, f"x/2gx {addr:#x}",
                    f"set var *(unsigned long *){addr + 8:#x} = 0xfeedface",
                    f"x/1gx {addr + 8:#x}")
    words = gdb_words(out)
    expected = [int.from_bytes(scratch_pattern(3 * PAGE + 8 * i, 8), "little") for i in range(2)]
    assert words == expected + [0xFEEDFACE], out
    assert scratch_target.read_own(3 * PAGE + 8, 8) == (0xFEEDFACE).to_bytes(8, "little")


def test_process_vm_readv_and_access(scratch_target):
    """A stock process_vm_readv only pins pages and never calls ->access: EFAULT. With the
    kernel series it falls back to access_remote_vm(), which calls it."""
    if PATCHED_KERNEL:
        assert process_vm_readv(scratch_target.pid, scratch_target.addr, 64) == \
            scratch_pattern(0, 64)
        return
    with pytest.raises(OSError) as err:
        process_vm_readv(scratch_target.pid, scratch_target.addr, 64)
    assert err.value.errno == errno.EFAULT


def test_control_device_maps_nothing():
    """/dev/iodbg, open to every user, allocates nothing for them: mapping it is refused."""
    fd = os.open("/dev/iodbg", os.O_RDWR)
    try:
        with pytest.raises(OSError) as err:
            mmap.mmap(fd, PAGE)
        assert err.value.errno == errno.ENODEV
    finally:
        os.close(fd)


def test_private_and_oversized_mappings_are_refused(uapi):
    fd = os.open("/dev/iodbg_test", os.O_RDWR)
    try:
        with pytest.raises(OSError) as err:
            mmap.mmap(fd, PAGE, flags=mmap.MAP_PRIVATE)
        assert err.value.errno == errno.EINVAL
        with pytest.raises(OSError) as err:
            mmap.mmap(fd, uapi.IODBG_SCRATCH_MAX_SIZE + PAGE, flags=mmap.MAP_SHARED)
        assert err.value.errno == errno.EINVAL
    finally:
        os.close(fd)


def version_ioctl(uapi, ver):
    fd = os.open("/dev/iodbg", os.O_RDWR)
    try:
        fcntl.ioctl(fd, uapi.IODBG_IOC_VERSION, ver)
    finally:
        os.close(fd)


def test_version_ioctl(uapi):
    ver = uapi.iodbg_version(size=ctypes.sizeof(uapi.iodbg_version))
    version_ioctl(uapi, ver)
    assert ver.abi_version == uapi.IODBG_ABI_VERSION
    assert ver.features & uapi.IODBG_FEATURE_PIDFD and ver.features & uapi.IODBG_FEATURE_WIDTH
    assert ver.size == ctypes.sizeof(uapi.iodbg_version)


@pytest.mark.parametrize("bad", ["reserved", "short size"])
def test_version_ioctl_rejects_bad_input(uapi, bad):
    ver = uapi.iodbg_version(size=ctypes.sizeof(uapi.iodbg_version))
    if bad == "reserved":
        ver.reserved[2] = 1
    else:
        ver.size = 4
    with pytest.raises(OSError) as err:
        version_ioctl(uapi, ver)
    assert err.value.errno == errno.EINVAL
    assert ver.abi_version == 0
