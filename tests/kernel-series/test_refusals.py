"""What must hold on every kernel, patched or not: device memory whose driver gave no
->access (shape b) is never read or written behind the driver's back, and a read-only
mapping of RAM is never written, whichever stock tool asks. These pass everywhere."""
import pytest

from series import (BOUNDARY, NOBODY, PAGE, PAGES, Refused, expected, hexdump_diff,
                    remote_rw)

DATA = bytes(range(0xA0, 0xB0))
VALUE = 0x1122334455667788


def gdb_x(gdb, target, addr):
    with gdb.attached(target.pid):
        return gdb.x(addr, 4)


def gdb_dump(gdb, target, addr):
    with gdb.attached(target.pid):
        return gdb.dump(addr, addr + 2 * PAGE, f"/tmp/pfnmap-dump-{target.pid}")


def gdb_find(gdb, target, addr):
    """Whatever find answers, found or not, it read the memory."""
    with gdb.attached(target.pid):
        found = gdb.find(addr, addr + 2 * PAGE, 0)
    return f"find answered {[hex(a) for a in found]}"


def gdbserver_x(gdb, target, addr):
    with gdb.remote(target.pid):
        return gdb.x(addr, 4)


def syscall_read(method, user):
    return lambda gdb, target, addr: remote_rw(method, "read", target.pid, addr, 32, user)


READS = {
    "gdb-x": gdb_x,
    "gdb-dump": gdb_dump,
    "gdb-find": gdb_find,
    "gdbserver-x": gdbserver_x,
    "proc-mem-nobody": syscall_read("mem", NOBODY),
    "proc-mem-root": syscall_read("mem", None),
    "process_vm_readv-nobody": syscall_read("vm", NOBODY),
    "process_vm_readv-root": syscall_read("vm", None),
}


def gdb_set_var(gdb, target, addr):
    with gdb.attached(target.pid):
        gdb.set_var(addr, VALUE)


def gdbserver_set_var(gdb, target, addr):
    with gdb.remote(target.pid):
        gdb.set_var(addr, VALUE)


def syscall_write(method, user):
    return lambda gdb, target, addr: remote_rw(method, "write", target.pid, addr, DATA, user)


WRITES = {
    "gdb-set-var": gdb_set_var,
    "gdbserver-set-var": gdbserver_set_var,
    "proc-mem-nobody": syscall_write("mem", NOBODY),
    "proc-mem-root": syscall_write("mem", None),
    "process_vm_writev-nobody": syscall_write("vm", NOBODY),
    "process_vm_writev-root": syscall_write("vm", None),
}


@pytest.mark.parametrize("tool", READS)
def test_mmio_without_access_is_never_read(gdb, target, tool):
    """Shape b, from 16 bytes before the boundary between pages 1 and 2: refused, no byte
    given (gdb: "Cannot access memory", /proc/PID/mem: EIO, process_vm_readv: EFAULT)."""
    addr = target.at("mmio", BOUNDARY - 16)
    try:
        got = READS[tool](gdb, target, addr)
    except Refused as refused:
        print(f"refused as it must be: {refused}")
        return
    shown = got.hex(" ") if isinstance(got, bytes) else got
    pytest.fail(f"{tool} read device memory that has no ->access, at {addr:#x}: {shown}")


@pytest.mark.parametrize("tool", WRITES)
@pytest.mark.parametrize("shape", [pytest.param("mmio", id="b-mmio"),
                                   pytest.param("ram:ro", id="a-ram-read-only")])
def test_write_is_refused_and_changes_nothing(gdb, target, shape, tool):
    """A write across the boundary between pages 1 and 2 of shape b, or of a read-only
    mapping of shape a: refused, and every page of the mapping as it was."""
    size = PAGES * PAGE
    assert target.own(shape, 0, size) == expected(shape, 0, size), "the pattern is not in place"
    addr = target.at(shape, BOUNDARY - 8)
    try:
        result = WRITES[tool](gdb, target, addr)
        refused = None
    except Refused as err:
        refused = err
    after = target.own(shape, 0, size)
    assert after == expected(shape, 0, size), \
        f"{tool} changed the mapping:\n" + hexdump_diff(0, after, expected(shape, 0, size))
    assert refused, f"{tool} reported success ({result}) writing at {addr:#x}"
    print(f"refused as it must be: {refused}")
