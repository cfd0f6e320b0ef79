"""Bad input gives a negative errno and a message, never a crash or a wrong answer: bad and
dead pids, a process that dies under us, no permission, zero, huge and wrapping lengths."""
import ctypes
import errno
import os
import subprocess

import pytest

from libiodbg_py import SSIZE_MAX, errname, run_as_nobody



@pytest.mark.parametrize("pid", [0, -1, -2**31])
def test_bad_pid(lib, pid):
    err, t = lib.open(pid)
    assert (err, t) == (-errno.EINVAL, None)
    assert lib.errmsg() == f"bad pid {pid}"


def test_no_such_pid(lib):
    err, _ = lib.open(2**31 - 1)
    assert err == -errno.ESRCH
    assert lib.errmsg() == f"no process {2**31 - 1}"


def test_dead_pid(lib):
    proc = subprocess.Popen(["true"])
    proc.wait()
    err, _ = lib.open(proc.pid)
    assert err == -errno.ESRCH, lib.errmsg()


def test_open_flags_and_null(lib):
    h = ctypes.c_void_p()
    assert lib.c.iodbg_open(os.getpid(), 1, ctypes.byref(h)) == -errno.EINVAL
    assert lib.errmsg() == "unknown flags 0x1" and not h.value
    assert lib.c.iodbg_open(os.getpid(), 0, None) == -errno.EINVAL
    # Every function takes NULL handles without crashing.
    lib.c.iodbg_close(None)
    assert lib.c.iodbg_target_pid(None) == -1
    assert lib.c.iodbg_read(None, 0, None, 1, None) == -errno.EINVAL
    assert lib.c.iodbg_maps_count(None) == 0 and not lib.c.iodbg_maps_get(None, 0)
    assert lib.c.iodbg_report_count(None) == 0
    lib.c.iodbg_report_free(None)
    lib.c.iodbg_maps_free(None)


@pytest.mark.parametrize("reap", [False, True], ids=["zombie", "reaped"])
def test_process_gone_after_open(lib, target, reap):
    err, t = lib.open(target.pid)
    assert err == 0
    target.die(reap)
    for path in ["auto", "proc_mem"]:
        t.set_path(path)
        n, _, _ = t.read(target.addr("big"), 16)
        assert n == -errno.ESRCH, (path, errname(n), t.errmsg())
        assert f"process {target.pid} is gone" in t.errmsg()
    err, maps = t.maps()
    assert (err, maps) == ((-errno.ESRCH, None) if reap else (0, []))
    t.close()


@pytest.mark.parametrize("length, err, why", [
    (0, errno.EINVAL, "zero length"),
    (SSIZE_MAX + 1, errno.EINVAL, "length above SSIZE_MAX"),
    (2**64 - 1, errno.EINVAL, "length above SSIZE_MAX"),
])
def test_bad_lengths(lib, handle, target, length, err, why):
    buf = ctypes.create_string_buffer(16)
    for fn in (lib.c.iodbg_read, lib.c.iodbg_write):
        assert fn(handle.h, target.addr("big"), buf, length, None) == -err
        assert handle.errmsg().endswith(why), handle.errmsg()


def test_no_buffer(lib, handle, target):
    assert lib.c.iodbg_read(handle.h, target.addr("big"), None, 8, None) == -errno.EINVAL
    assert handle.errmsg().endswith("no buffer")


@pytest.mark.parametrize("addr, length", [(2**64 - 8, 16), (2**64 - 1, 2), (2**63 + 2, SSIZE_MAX)])
def test_range_past_the_end_of_the_address_space(handle, addr, length):
    buf = ctypes.create_string_buffer(1)
    n = handle.lib.c.iodbg_read(handle.h, addr, buf, length, None)
    assert n == -errno.EOVERFLOW
    assert handle.errmsg().endswith("the range passes the end of the address space")


@pytest.mark.parametrize("addr", [0, 0x800000000000, 0xFFFFFFFF81000000, 0xFFFFFFFFFFFFF000])
def test_addresses_nothing_maps(handle, addr):
    """Non-canonical and kernel addresses: /proc/PID/mem is reached with lseek above
    INT64_MAX, and each fails cleanly."""
    for path in ["auto", "process_vm", "proc_mem"]:
        handle.set_path(path)
        n, data, _ = handle.read(addr, 16)
        assert n in (-errno.EFAULT, -errno.EIO), (path, errname(n))
        assert data == b"\xaa" * 16
        assert handle.errmsg().startswith(f"cannot read 16 bytes at 0x{addr:x}: ")


def test_huge_length_reads_up_to_the_first_hole(handle, target):
    """A length far beyond the mapping: the read stops where nothing is, and says where."""
    _, maps = handle.maps()
    m = next(m for m in maps if m["start"] == target.addr("big"))
    # The big region has PROT_NONE pages around it; /proc/PID/mem reads those (FOLL_FORCE).
    end = m["end"]
    while any(x["start"] == end for x in maps):
        end = next(x["end"] for x in maps if x["start"] == end)
    length = end - m["start"] + 4096 * 16
    n, data, _ = handle.read(m["start"], length)
    assert n == end - m["start"], handle.errmsg()
    assert data[n:] == b"\xaa" * (length - n)
    assert f"stopped at 0x{end:x}" in handle.errmsg()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become nobody")
def test_permission_denied(target):
    """Without the right to debug the target every path says so, as does the message."""
    res = run_as_nobody(f"""
import errno
from libiodbg_py import Lib, errname
lib = Lib(sys.argv[1])
err, t = lib.open({target.pid})
assert err == 0, lib.errmsg()
for path in ["auto", "process_vm", "proc_mem", "ptrace"]:
    t.set_path(path)
    n, data, _ = t.read({target.addr("big")}, 16)
    print(path, errname(n), t.errmsg())
    assert data == b"\\xaa" * 16
err, _ = t.maps()
print("maps", errname(err), t.errmsg())
""")
    assert res.returncode == 0, res.stderr
    lines = dict(line.split(" ", 1) for line in res.stdout.splitlines())
    assert lines["auto"].startswith("EPERM cannot read 16 bytes")
    assert "no permission to debug process" in lines["auto"]
    assert lines["process_vm"].startswith("EPERM ")
    assert lines["proc_mem"].startswith("EACCES ")
    assert f"cannot open /proc/{target.pid}/mem" in lines["proc_mem"]
    assert lines["ptrace"].startswith("EPERM ") and "not our tracee" in lines["ptrace"]
    assert lines["maps"].startswith(f"EACCES cannot open /proc/{target.pid}/smaps")


def test_kernel_info_without_the_module(lib):
    """This machine never loads iodbg: the library says so and is not in error."""
    if os.path.exists("/dev/iodbg"):
        pytest.skip("/dev/iodbg exists here")
    err, info = lib.kernel_info()
    assert err == 0
    assert (info.loaded, info.abi_version, info.features) == (0, 0, 0)
    assert lib.errmsg() == "the iodbg module is not loaded (no /dev/iodbg)"


def test_null_handle_leaves_a_message_of_its_own(lib):
    """A NULL handle is -EINVAL with a message in the thread's slot, not the last one there."""
    buf = ctypes.create_string_buffer(8)
    calls = {
        "iodbg_read": lambda: lib.c.iodbg_read(None, 0x1000, buf, 8, None),
        "iodbg_write": lambda: lib.c.iodbg_write(None, 0x1000, buf, 8, None),
        "iodbg_object_read": lambda: lib.c.iodbg_object_read(None, 1, 0, buf, 8, None),
        "iodbg_object_write": lambda: lib.c.iodbg_object_write(None, 1, 0, buf, 8, None),
        "iodbg_set_path": lambda: lib.c.iodbg_set_path(None, 0),
        "iodbg_set_allow_mmio": lambda: lib.c.iodbg_set_allow_mmio(None, 1),
        "iodbg_maps_read": lambda: lib.c.iodbg_maps_read(None, ctypes.byref(ctypes.c_void_p())),
        "iodbg_objects": lambda: lib.c.iodbg_objects(None, ctypes.byref(ctypes.c_void_p())),
    }
    for name, call in calls.items():
        assert lib.open(0)[0] == -errno.EINVAL      # leaves "bad pid 0"
        assert call() == -errno.EINVAL, name
        assert lib.errmsg() == f"{name}: no target handle", name


@pytest.mark.parametrize("addr, length", [(2**64 - 1, 1), (2**64 - 4096, 4096)])
def test_range_that_ends_at_the_end_of_the_address_space(handle, addr, length):
    """A range that ends exactly at 2^64 is a range like any other: nothing maps it here.
    (The kernel's /proc/PID/mem refuses to reach 2^64 itself, with EOVERFLOW.)"""
    for path in ["auto", "process_vm", "proc_mem"]:
        handle.set_path(path)
        expected = (-errno.EFAULT, -errno.EIO) + ((-errno.EOVERFLOW,) if path == "proc_mem"
                                                  else ())
        n, data, report = handle.read(addr, length, report=True)
        assert n in expected, (path, errname(n), handle.errmsg())
        assert handle.errmsg().startswith(f"cannot read {length} bytes at 0x{addr:x}: nothing "
                                          "is mapped there ["), handle.errmsg()
        assert [(s["addr"], s["len"], s["path"]) for s in report] == [(addr, length, -1)]
        n, report = handle.write(addr, b"x" * length, report=True)
        assert n in expected, (path, errname(n), handle.errmsg())
        assert [(s["addr"], s["len"]) for s in report] == [(addr, length)]


@pytest.mark.skipif(os.path.exists("/dev/iodbg"), reason="/dev/iodbg exists here")
def test_mmio_width_without_the_module(lib, handle, iodbg, target):
    assert lib.c.iodbg_set_mmio_width(handle.h, 3) == -errno.EINVAL
    assert handle.errmsg() == "bad MMIO access width 3 (1, 2, 4 or 8 bytes)"
    assert lib.c.iodbg_set_mmio_width(handle.h, 2) == -errno.ENODEV
    assert handle.errmsg() == "an MMIO access width needs the iodbg module (/dev/iodbg missing)"
    assert lib.c.iodbg_set_mmio_width(handle.h, 0) == 0     # the default needs nothing
    res = subprocess.run([iodbg, "read", "--width=2", str(target.pid),
                          f"{target.addr('big'):x}", "16"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    assert (res.returncode, res.stdout) == (1, "")
    assert res.stderr == "iodbg: an MMIO access width needs the iodbg module (/dev/iodbg " \
        "missing)\n"
