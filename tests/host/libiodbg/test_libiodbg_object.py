"""Transfers by (object id, offset) on the host, where the iodbg module is never loaded and no
process holds an iodbg object file: every call ends in a negative errno and a message that
says why, touches nothing, and leaves the ordinary transfers as they were. The in-guest tests
(tests/guest/test_libiodbg.py) prove the transfers with the module."""
import ctypes
import errno
import os
import subprocess

import pytest

from libiodbg_py import PATH_OBJECT, SSIZE_MAX, errname, run_as_nobody

NO_MODULE = "iodbg module not loaded (/dev/iodbg missing)"

pytestmark = pytest.mark.skipif(os.path.exists("/dev/iodbg"),
                                reason="the iodbg module is loaded on this machine")


@pytest.mark.parametrize("write", [False, True], ids=["read", "write"])
def test_no_module(handle, write):
    verb = "write" if write else "read"
    if write:
        n, report = handle.object_write(7, 0x10, b"abcd", report=True)
    else:
        n, data, report = handle.object_read(7, 0x10, 4, report=True)
        assert data == b"\xaa" * 4
    assert n == -errno.ENODEV, (errname(n), handle.errmsg())
    assert handle.errmsg() == f"cannot {verb} 4 bytes of object 7: {NO_MODULE}"
    assert report == []


def test_policy_object_needs_a_held_file(handle, target):
    """With the object path alone, the process must hold a file of the object; an address
    transfer has no object to use it on."""
    assert handle.set_path("object") == 0
    n, data, _ = handle.object_read(7, 0, 16)
    assert n == -errno.ENOENT and data == b"\xaa" * 16
    assert handle.errmsg() == (f"cannot read 16 bytes of object 7: process {target.pid} holds "
                               'no file of the object (the path policy is "object")')
    n, data, _ = handle.read(target.addr("big"), 16)
    assert n == -errno.EINVAL and data == b"\xaa" * 16
    assert handle.errmsg().endswith('the path policy is "object", which serves only '
                                    "transfers by object (iodbg_object_read)")
    assert handle.set_path("auto") == 0
    n, data, _ = handle.read(target.addr("big"), 16)
    assert n == 16 and data == target.expect("big", 0, 16)


@pytest.mark.parametrize("path", ["process_vm", "ioctl"])
def test_forced_address_path_skips_the_held_files(handle, path):
    """A policy that names an address path goes straight to the mappings."""
    assert handle.set_path(path) == 0
    n, _, _ = handle.object_read(7, 0, 16)
    assert n == -errno.ENODEV and handle.errmsg().endswith(NO_MODULE)


@pytest.mark.parametrize("length, why", [
    (0, "zero length"),
    (SSIZE_MAX + 1, "length above SSIZE_MAX"),
    (2**64 - 1, "length above SSIZE_MAX"),
])
def test_bad_lengths(lib, handle, length, why):
    buf = ctypes.create_string_buffer(16)
    for fn, verb in [(lib.c.iodbg_object_read, "read"), (lib.c.iodbg_object_write, "write")]:
        assert fn(handle.h, 3, 0x20, buf, length, None) == -errno.EINVAL
        assert handle.errmsg() == (f"cannot {verb} {length} bytes of object 3 at offset 0x20: "
                                   f"{why}")


def test_no_buffer_and_no_target(lib, handle):
    assert lib.c.iodbg_object_read(handle.h, 3, 0, None, 8, None) == -errno.EINVAL
    assert handle.errmsg().endswith("no buffer")
    buf = ctypes.create_string_buffer(8)
    assert lib.c.iodbg_object_read(None, 3, 0, buf, 8, None) == -errno.EINVAL
    assert lib.c.iodbg_object_write(None, 3, 0, buf, 8, None) == -errno.EINVAL


def test_report_is_cleared(lib, handle, target):
    rep = lib.c.iodbg_report_new()
    try:
        buf = ctypes.create_string_buffer(8)
        assert lib.c.iodbg_read(handle.h, target.addr("big"), buf, 8, rep) == 8
        assert lib.c.iodbg_report_count(rep) == 1
        assert lib.c.iodbg_object_read(handle.h, 3, 0, buf, 8, rep) == -errno.ENODEV
        assert lib.c.iodbg_report_count(rep) == 0
    finally:
        lib.c.iodbg_report_free(rep)


@pytest.mark.parametrize("reap", [False, True], ids=["zombie", "reaped"])
def test_process_gone(lib, target, reap):
    err, t = lib.open(target.pid)
    assert err == 0
    target.die(reap)
    n, _, _ = t.object_read(1, 0, 16)
    if reap:
        assert n == -errno.ESRCH, (errname(n), t.errmsg())
        assert t.errmsg() == (f"cannot read 16 bytes of object 1: cannot list the files of "
                              f"process {target.pid}: it is gone")
    else:
        # A zombie has no files left: nothing is held, and nothing is mapped either.
        assert n == -errno.ENODEV, (errname(n), t.errmsg())
    t.close()


def test_objects_find(lib):
    assert not lib.c.iodbg_objects_find(None, 1)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become nobody")
def test_permission_denied(target):
    res = run_as_nobody(f"""
from libiodbg_py import Lib, errname
lib = Lib(sys.argv[1])
err, t = lib.open({target.pid})
assert err == 0, lib.errmsg()
n, data, _ = t.object_read(1, 0, 16)
assert data == b"\\xaa" * 16
print(errname(n), t.errmsg())
""")
    assert res.returncode == 0, res.stderr
    assert res.stdout == (f"EPERM cannot read 16 bytes of object 1: cannot list the files of "
                          f"process {target.pid}: no permission to debug it\n")


def test_command(iodbg, target):
    res = subprocess.run([iodbg, "read", "--object=7", "--report", "--json", str(target.pid),
                          "10", "16"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert res.returncode == 1 and res.stdout == ""
    assert res.stderr == f"[]\niodbg: cannot read 16 bytes of object 7: {NO_MODULE}\n"
    res = subprocess.run([iodbg, "write", "--object=7", "--path=object", str(target.pid), "0",
                          "0102"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert res.returncode == 1
    assert res.stderr == (f"iodbg: cannot write 2 bytes of object 7: process {target.pid} "
                          'holds no file of the object (the path policy is "object")\n')


def test_path_object_number(lib):
    assert lib.c.iodbg_path_name(PATH_OBJECT) == b"object"
    assert lib.c.iodbg_path_from_name(b"object") == PATH_OBJECT
