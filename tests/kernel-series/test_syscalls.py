"""/proc/PID/mem (what gdb and gdbserver read through) and process_vm_readv/writev (what lldb,
rr and perf use), each one call from a plain user's program on a process of its own, across
the boundary between two pages that are not neighbours in physical memory."""
import pytest

from series import (BOUNDARY, WrongBytes, check_bytes, check_write, remote_rw,
                    shapes_the_series_fixes)

DATA = bytes(range(0xA0, 0xB0))     # no pattern holds these bytes near where they go


def read(method, target, shape):
    """32 bytes from 16 before the boundary between pages 1 and 2."""
    offset = BOUNDARY - 16
    got = remote_rw(method, "read", target.pid, target.at(shape, offset), 32)
    return offset, got


def write(method, target, shape):
    offset = BOUNDARY - 8
    n = remote_rw(method, "write", target.pid, target.at(shape, offset), DATA)
    if n != len(DATA):
        raise WrongBytes(f"{method} write: {n} of {len(DATA)} bytes written")
    return offset


@pytest.mark.parametrize("shape", shapes_the_series_fixes("mem"))
def test_proc_mem_read_across_a_page_boundary(target, shape):
    offset, got = read("mem", target, shape)
    check_bytes("/proc/PID/mem read", shape, offset, got)


@pytest.mark.parametrize("shape", shapes_the_series_fixes("mem"))
def test_proc_mem_write_across_a_page_boundary(target, shape):
    offset = write("mem", target, shape)
    check_write("/proc/PID/mem write", target, shape, offset, DATA)


@pytest.mark.parametrize("shape", shapes_the_series_fixes("vm"))
def test_process_vm_readv_across_a_page_boundary(target, shape):
    offset, got = read("vm", target, shape)
    check_bytes("process_vm_readv", shape, offset, got)


@pytest.mark.parametrize("shape", shapes_the_series_fixes("vm"))
def test_process_vm_writev_across_a_page_boundary(target, shape):
    offset = write("vm", target, shape)
    check_write("process_vm_writev", target, shape, offset, DATA)
