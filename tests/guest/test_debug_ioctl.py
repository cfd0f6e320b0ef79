"""The debug ioctls of /dev/iodbg: bad input gets a clear errno and no partial garbage, and
permission is exactly the right to open the target's /proc/PID/mem (ptrace's check)."""
import ctypes
import errno
import fcntl
import mmap
import os
import subprocess
import sys

import pytest

import iodbg_uapi as uapi
from iodbg_ioctl import list_objects, rw_addr
from targets import Target, scratch_pattern

PAGE = mmap.PAGESIZE
NOBODY = 65534


def expect_errno(code, fn, *args, **kw):
    with pytest.raises(OSError) as err:
        fn(*args, **kw)
    assert err.value.errno == code, err.value


@pytest.fixture
def target():
    t = Target("scratch_map", "4")
    yield t
    t.close()


@pytest.mark.parametrize("field,value,code", [
    ("size", 4, errno.EINVAL),                  # shorter than the first published size
    ("pad", 1, errno.EINVAL),
    ("reserved", 1, errno.EINVAL),
    ("done", 1, errno.EINVAL),
    ("flags", 1 << 7, errno.EINVAL),            # an unknown flag
    ("len", 0, errno.EINVAL),
    ("len", uapi.IODBG_RW_MAX_LEN + 1, errno.EINVAL),
    ("addr", (1 << 64) - 8, errno.EINVAL),      # addr + len overflows
    ("buf", 8, errno.EFAULT),                   # the caller's own buffer is bad
])
def test_rw_addr_rejects_bad_arguments(target, field, value, code):
    overrides = {field: value}
    if field == "reserved":
        overrides = {"reserved": (ctypes.c_uint64 * 2)(0, value)}
    addr = overrides.pop("addr", target.addr)
    expect_errno(code, rw_addr, target.pid, addr, 16, **overrides)


def test_rw_addr_unmapped_and_ordinary_memory_are_efault(target):
    expect_errno(errno.EFAULT, rw_addr, target.pid, target.addr + target.size, 16)  # the hole
    with open(f"/proc/{target.pid}/maps") as f:
        heap = next(line for line in f if "[heap]" in line or "[stack]" in line)
    expect_errno(errno.EFAULT, rw_addr, target.pid, int(heap.split("-")[0], 16), 16)


def test_rw_addr_never_faults_the_kernels_special_mappings(target):
    """[vvar]'s fault handler assumes it runs in the mapping's own mm (vvar_fault() WARNs on
    a remote fault of the time-namespace page, which ended a whole test run once): each page
    of it reads if present and is EFAULT if not, and the kernel stays quiet (the VM runner
    fails the run on any WARN)."""
    with open(f"/proc/{target.pid}/maps") as f:
        vvar = next((line for line in f if line.rstrip().endswith("[vvar]")), None)
    if vvar is None:
        pytest.skip("no [vvar] on this kernel")
    start, end = (int(x, 16) for x in vvar.split()[0].split("-"))
    outcomes = set()
    for addr in range(start, end, PAGE):
        try:
            rw_addr(target.pid, addr, 8)
            outcomes.add("read")
        except OSError as e:
            assert e.errno == errno.EFAULT, e
            outcomes.add("absent")
    assert "absent" in outcomes, "a fresh process has [vvar] pages it never touched"


def test_rw_addr_read_stops_at_the_hole_and_says_how_far(target):
    """A read running past the mapping fails with EFAULT, after the kernel wrote back how much
    it did transfer (checked with a raw ioctl, since the helper raises)."""
    buf = ctypes.create_string_buffer(PAGE + 64)
    args = uapi.iodbg_rw(size=ctypes.sizeof(uapi.iodbg_rw), pid=target.pid,
                         addr=target.addr + target.size - PAGE, buf=ctypes.addressof(buf),
                         len=PAGE + 64)
    fd = os.open("/dev/iodbg", os.O_RDWR)
    try:
        expect_errno(errno.EFAULT, fcntl.ioctl, fd, uapi.IODBG_IOC_RW_ADDR, args)
    finally:
        os.close(fd)
    assert args.done == PAGE
    assert buf.raw[:PAGE] == scratch_pattern(target.size - PAGE, PAGE)


@pytest.mark.parametrize("pid", [0, -1, 999999])
def test_bogus_pids_are_esrch(pid):
    expect_errno(errno.ESRCH, rw_addr, pid, 0x10000, 8)
    expect_errno(errno.ESRCH, list_objects, pid)


def test_dead_target_is_esrch(target):
    pid, addr = target.pid, target.addr
    target.close()
    expect_errno(errno.ESRCH, rw_addr, pid, addr, 8)


def test_unknown_ioctl_is_enotty():
    fd = os.open("/dev/iodbg", os.O_RDWR)
    try:
        expect_errno(errno.ENOTTY, fcntl.ioctl, fd, uapi.IODBG_IOC_RW_OBJECT, b"\0" * 64)
    finally:
        os.close(fd)


def test_list_objects_reports_the_count_beyond_the_room_given():
    t = Target("gpu_bo", "5", "1", "2")
    try:
        assert len(list_objects(t.pid, room=2)) == 2
        entries = (uapi.iodbg_object_info * 1)()
        args = uapi.iodbg_list_objects(size=ctypes.sizeof(uapi.iodbg_list_objects), pid=t.pid,
                                       count=1, entry_size=ctypes.sizeof(uapi.iodbg_object_info),
                                       objects=ctypes.addressof(entries))
        fd = os.open("/dev/iodbg", os.O_RDWR)
        try:
            fcntl.ioctl(fd, uapi.IODBG_IOC_LIST_OBJECTS, args)
            assert args.count == 5
            args.entry_size = 8
            expect_errno(errno.EINVAL, fcntl.ioctl, fd, uapi.IODBG_IOC_LIST_OBJECTS, args)
        finally:
            os.close(fd)
    finally:
        t.close()


# Permission: run the ioctl from a child process with other credentials.
CHILD = r"""
import os, sys
sys.path[:0] = sys.argv[4].split(":")
os.setgroups([]); os.setgid(int(sys.argv[1])); os.setuid(int(sys.argv[1]))
from iodbg_ioctl import rw_addr
try:
    rw_addr(int(sys.argv[2]), int(sys.argv[3]), 8)
    print("allowed")
except OSError as e:
    print("errno", e.errno)
"""


def ioctl_as(uid, pid, addr):
    path = ":".join([os.path.dirname(__file__), os.path.join(os.environ["IODBG_OUT"], "build",
                                                             "python")])
    out = subprocess.run([sys.executable, "-c", CHILD, str(uid), str(pid), str(addr), path],
                         stdout=subprocess.PIPE, text=True, check=True).stdout.strip()
    return out


def test_other_uid_without_ptrace_rights_is_refused(target):
    assert ioctl_as(NOBODY, target.pid, target.addr) == f"errno {errno.EPERM}"


def test_same_uid_is_allowed_and_non_dumpable_is_refused():
    t = Target("scratch_map", "1", user=NOBODY)
    try:
        assert ioctl_as(NOBODY, t.pid, t.addr) == "allowed"
    finally:
        t.close()
    t = Target("scratch_map", "1", "access", "nodump", user=NOBODY)
    try:
        assert ioctl_as(NOBODY, t.pid, t.addr) == f"errno {errno.EPERM}"
    finally:
        t.close()


def test_yama_scope_is_honoured():
    scope_file = "/proc/sys/kernel/yama/ptrace_scope"
    if not os.path.exists(scope_file):
        pytest.skip("this kernel has no Yama")
    with open(scope_file) as f:
        old = f.read().strip()
    t = Target("scratch_map", "1", user=NOBODY)
    try:
        with open(scope_file, "w") as f:
            f.write("2")        # only CAP_SYS_PTRACE may attach
        assert ioctl_as(NOBODY, t.pid, t.addr) == f"errno {errno.EPERM}"
        assert rw_addr(t.pid, t.addr, 8)[0] == scratch_pattern(0, 8)   # root still may
    finally:
        with open(scope_file, "w") as f:
            f.write(old)
        t.close()


def test_something_mounted_over_proc_pid_mem_grants_nothing():
    """The permission check opens /proc/PID/mem in the caller's mount namespace. A caller who
    mounts /proc/PID/environ there (the same mm, but only a PTRACE_MODE_READ check, which Yama
    does not restrict) must still be refused: Yama scope 1, a victim that is not the caller's
    descendant, same uid."""
    scope_file = "/proc/sys/kernel/yama/ptrace_scope"
    if not os.path.exists(scope_file):
        pytest.skip("this kernel has no Yama")
    libc = ctypes.CDLL(None, use_errno=True)
    CLONE_NEWNS, MS_BIND, MS_REC, MS_PRIVATE = 0x00020000, 4096, 16384, 1 << 18
    with open(scope_file) as f:
        old = f.read().strip()
    victim = Target("scratch_map", "1", user=NOBODY)
    try:
        with open(scope_file, "w") as f:
            f.write("1")
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:            # the caller: root makes the namespace, then becomes nobody
            try:
                assert libc.unshare(CLONE_NEWNS) == 0
                assert libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None) == 0
                assert libc.mount(f"/proc/{victim.pid}/environ".encode(),
                                  f"/proc/{victim.pid}/mem".encode(), None, MS_BIND, None) == 0
                os.setgroups([])
                os.setgid(NOBODY)
                os.setuid(NOBODY)
                try:
                    rw_addr(victim.pid, victim.addr, 8)
                    result = "allowed"
                except OSError as e:
                    result = f"errno {e.errno}"
            except BaseException as e:     # noqa: B902 - report anything to the parent
                result = f"setup failed: {e!r}"
            os.write(w, result.encode())
            os._exit(0)
        os.close(w)
        os.waitpid(pid, 0)
        with os.fdopen(r) as f:
            assert f.read() == f"errno {errno.EPERM}"
    finally:
        with open(scope_file, "w") as f:
            f.write(old)
        victim.close()
