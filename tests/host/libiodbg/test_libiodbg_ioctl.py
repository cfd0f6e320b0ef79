"""The ioctl path and the object API on the host, where the iodbg module is never loaded: they
must step aside with the reason and leave ordinary memory to the other paths. The in-guest
tests (tests/guest/test_libiodbg.py) prove them with the module."""
import ctypes
import errno
import os

import pytest

from libiodbg_py import PATH_IOCTL, PATH_PROCESS_VM, errname

PAGE = 4096
NO_MODULE_WHY = "iodbg module not loaded (/dev/iodbg missing)"

pytestmark = pytest.mark.skipif(os.path.exists("/dev/iodbg"),
                                reason="the iodbg module is loaded on this machine")


def test_objects_without_the_module(lib, handle):
    objs = ctypes.c_void_p(1)
    assert lib.c.iodbg_objects(handle.h, ctypes.byref(objs)) == -errno.ENODEV
    assert not objs.value
    assert handle.errmsg() == NO_MODULE_WHY
    assert lib.c.iodbg_objects_count(None) == 0
    assert not lib.c.iodbg_objects_get(None, 0)
    lib.c.iodbg_objects_free(None)
    assert lib.c.iodbg_objects(None, ctypes.byref(objs)) == -errno.EINVAL


def test_maps_have_no_objects_without_the_module(lib, handle):
    h = ctypes.c_void_p()
    assert lib.c.iodbg_maps_read(handle.h, ctypes.byref(h)) == 0
    try:
        n = lib.c.iodbg_maps_count(h)
        assert n > 0
        assert all(not lib.c.iodbg_maps_get(h, i).contents.object for i in range(n))
    finally:
        lib.c.iodbg_maps_free(h)


def test_names(lib):
    assert [lib.c.iodbg_object_kind_name(k) for k in range(6)] == [
        b"unknown", b"scratch", b"gpu_bo", b"spu_ls", b"spu_regs", b"unknown"]
    assert [lib.c.iodbg_placement_name(p) for p in range(6)] == [
        b"none", b"device", b"gart", b"system", b"saved", b"unknown"]


def test_forced_ioctl_is_skipped_with_the_reason(lib, handle, target):
    assert lib.c.iodbg_set_allow_mmio(handle.h, 1) == 0
    assert lib.c.iodbg_set_allow_mmio(None, 1) == -errno.EINVAL
    assert handle.set_path("ioctl") == 0
    n, data, report = handle.read(target.addr("big"), 16, report=True)
    assert n == -errno.ENODEV, errname(n)
    assert data == b"\xaa" * 16
    [attempt] = report[0]["attempts"]
    assert (attempt["path"], attempt["skipped"], attempt["why"]) == (PATH_IOCTL, True,
                                                                      NO_MODULE_WHY)
    assert f"ioctl skipped: {NO_MODULE_WHY}" in handle.errmsg()


def test_auto_skips_the_ioctl_for_ordinary_memory(handle, target):
    """Where smaps says a piece is ordinary, the ioctl is not even asked."""
    n, _, report = handle.read(target.addr("big"), 16, report=True)
    assert n == 16 and report[0]["path"] == PATH_PROCESS_VM


def test_vm_io_mapping_names_the_missing_module(handle):
    _, maps = handle.maps()
    vvar = next(m for m in maps if m["path"] == b"[vvar]")
    n, _, report = handle.read(vvar["start"], 8, report=True)
    assert n == -errno.EIO
    ioctl = report[0]["attempts"][-1]
    assert (ioctl["path"], ioctl["skipped"], ioctl["why"]) == (PATH_IOCTL, True, NO_MODULE_WHY)
    assert "load iodbg for the debug ioctl" in report[0]["why"]
