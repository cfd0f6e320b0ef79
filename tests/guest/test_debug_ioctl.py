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

import iodbg_test_uapi as uapi
from iodbg_ioctl import list_objects, list_objects_page, list_vmas, list_vmas_page, rw_addr
from targets import (GpuTarget, Target, expect_errno, gpu_pattern, libc, scratch_pattern,
                     smaps)

PAGE = mmap.PAGESIZE
NOBODY = 65534


@pytest.fixture
def target():
    t = Target("scratch_map", "4")
    yield t
    t.close()


@pytest.mark.parametrize("field,value,code", [
    ("size", 4, errno.EINVAL),                  # shorter than the first published size
    ("width", 3, errno.EINVAL),                 # not a power of two
    ("width", 16, errno.EINVAL),                # wider than any access
    ("reserved", 1, errno.EINVAL),
    ("done", 1, errno.EINVAL),
    ("flags", 1 << 7, errno.EINVAL),            # an unknown flag
    ("flags", uapi.IODBG_RW_PIDFD, errno.EBADF),  # a pid where a pidfd belongs
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
    of it reads if present and is ENOENT (not present) if not, and the kernel stays quiet (the
    VM runner fails the run on any WARN)."""
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
            assert e.errno == errno.ENOENT, e
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


def test_list_objects_counts_what_it_wrote_and_pages_on():
    t = Target("gpu_bo", "5", "1", "2")
    try:
        page, flags = list_objects_page(t.pid, room=2)
        assert len(page) == 2 and flags == uapi.IODBG_LIST_MORE
        rest, flags = list_objects_page(t.pid, room=8, start=page[-1].start + page[-1].length)
        assert len(rest) == 3 and flags == 0
        whole = list_objects(t.pid, room=64)
        assert [o.start for o in page + rest] == [o.start for o in whole]
        assert [o.start for o in whole] == sorted({o.start for o in whole})
        for bad in (dict(entry_size=8), dict(pad=1), dict(flags=1 << 5)):
            entries = (uapi.iodbg_object_info * 1)()
            args = uapi.iodbg_list_objects(size=ctypes.sizeof(uapi.iodbg_list_objects),
                                           pid=t.pid, count=1, objects=ctypes.addressof(entries),
                                           entry_size=ctypes.sizeof(uapi.iodbg_object_info))
            for name, value in bad.items():
                setattr(args, name, value)
            fd = os.open("/dev/iodbg", os.O_RDWR)
            try:
                expect_errno(errno.EINVAL, fcntl.ioctl, fd, uapi.IODBG_IOC_LIST_OBJECTS, args)
            finally:
                os.close(fd)
    finally:
        t.close()


def test_list_objects_of_ten_thousand_mappings():
    """A GPU process maps far more objects than one call lists: each of 10,000 mappings (of
    this process) is listed once, in address order, with its own object."""
    gpu = os.open("/dev/gpu_sim", os.O_RDWR)
    mapped = {}
    try:
        for _ in range(10000):
            create = uapi.gpu_sim_create(size=ctypes.sizeof(uapi.gpu_sim_create),
                                         placement=uapi.IODBG_PLACEMENT_SYSTEM, bo_size=PAGE)
            fcntl.ioctl(gpu, uapi.GPU_SIM_IOC_CREATE, create)
            addr = libc.mmap(None, PAGE, mmap.PROT_READ, mmap.MAP_SHARED, create.fd, 0)
            os.close(create.fd)
            assert addr not in (None, 2**64 - 1), ctypes.get_errno()
            mapped[addr] = create.id
        objects = list_objects(os.getpid(), room=uapi.IODBG_LIST_MAX_COUNT)
        assert [o.start for o in objects] == sorted(mapped)
        assert all(o.id == mapped[o.start] and o.length == PAGE for o in objects)
    finally:
        for addr in mapped:
            libc.munmap(addr, PAGE)
        os.close(gpu)


VMFLAG_WORDS = {"io": uapi.IODBG_VMA_IO, "pf": uapi.IODBG_VMA_PFNMAP,
                "mm": uapi.IODBG_VMA_MIXEDMAP, "dd": uapi.IODBG_VMA_DONTDUMP}


def flags_of_words(words):
    return sum(bit for word, bit in VMFLAG_WORDS.items() if word in words)


def test_list_vmas_says_what_smaps_says():
    """Each mapping whose VmFlags has io, pf, mm or dd is listed once, in address order, with
    those flags and the iodbg object it maps; no other mapping is. The kernel's own special
    mappings ([vvar]) count, and so does ordinary memory under MADV_DONTDUMP."""
    t = GpuTarget(3, 1, uapi.IODBG_PLACEMENT_GART)
    buf = mmap.mmap(-1, 4 * PAGE)
    try:
        buf.madvise(mmap.MADV_DONTDUMP, PAGE, PAGE)
        for pid, objects in ((t.pid, {bo["addr"]: bo["id"] for bo in t.bos}), (os.getpid(), {})):
            listed = [(v.start, v.end, v.flags, v.object) for v in list_vmas(pid, room=2)]
            want = [(start, end, flags_of_words(words), objects.get(start, 0))
                    for start, end, words in smaps(pid) if flags_of_words(words)]
            assert listed == want
            assert any(flags == uapi.IODBG_VMA_DONTDUMP for _, _, flags, _ in listed) == \
                (pid == os.getpid())
        assert [v.start for v in list_vmas(t.pid, match=uapi.IODBG_VMA_IO)] == \
            [start for start, _, words in smaps(t.pid) if "io" in words]
    finally:
        buf.close()
        t.close()


def test_list_vmas_pages_on_and_rejects_bad_arguments():
    t = GpuTarget(5, 1, uapi.IODBG_PLACEMENT_GART)
    try:
        whole = list_vmas(t.pid, room=64)
        page, flags = list_vmas_page(t.pid, room=2)
        assert [v.start for v in page] == [v.start for v in whole[:2]]
        assert flags == uapi.IODBG_LIST_MORE
        _, flags = list_vmas_page(t.pid, room=64, start=whole[-1].end)
        assert flags == 0
        assert [v.start for v in list_vmas(t.pid, room=1)] == [v.start for v in whole]
        for bad in (dict(match=0), dict(match=uapi.IODBG_VMA_FLAGS + 1), dict(flags=1 << 5),
                    dict(entry_size=8), dict(start=1 << 63), dict(size=8)):
            expect_errno(errno.EINVAL, list_vmas_page, t.pid, **bad)
        expect_errno(errno.EBADF, list_vmas_page, t.pid, flags=uapi.IODBG_LIST_PIDFD)
        expect_errno(errno.EFAULT, list_vmas_page, t.pid, vmas=8)
        expect_errno(errno.ESRCH, list_vmas_page, 0x3fffffff)
    finally:
        t.close()


@pytest.mark.parametrize("page, whole", [(list_objects_page, list_objects),
                                         (list_vmas_page, list_vmas)])
def test_listings_stop_at_end(page, whole):
    """@end bounds a listing by where mappings start; a caller of the first size, which has
    no @end, still gets all of them."""
    t = GpuTarget(5, 1, uapi.IODBG_PLACEMENT_GART)
    try:
        starts = [e.start for e in whole(t.pid)]
        assert len(starts) >= 5  # the objects, and for LIST_VMAS [vvar] too
        listed, flags = page(t.pid, room=64, end=starts[2])
        assert [e.start for e in listed] == starts[:2] and flags == 0
        listed, flags = page(t.pid, room=1, start=starts[1], end=starts[2] + 1)
        assert [e.start for e in listed] == starts[1:2] and flags == uapi.IODBG_LIST_MORE
        listed, _ = page(t.pid, room=64, end=starts[2], size=uapi.IODBG_LIST_SIZE_V1)
        assert [e.start for e in listed] == starts
        for bad in (dict(start=starts[2], end=starts[2]), dict(start=starts[2], end=starts[1]),
                    dict(end=1 << 63)):
            expect_errno(errno.EINVAL, page, t.pid, **bad)
    finally:
        t.close()


def test_pidfd_names_the_process_and_survives_pid_reuse(target):
    """With IODBG_RW_PIDFD the target is the process the pidfd refers to: once it is gone the
    pidfd never reaches another process, although a pid would (pids are recycled)."""
    pidfd = os.pidfd_open(target.pid)
    try:
        data, _ = rw_addr(pidfd, target.addr, 64, uapi.IODBG_RW_PIDFD)
        assert data == scratch_pattern(0, 64)
        page, _ = list_objects_page(pidfd, flags=uapi.IODBG_LIST_PIDFD)
        assert [o.start for o in page] == [target.addr]
        target.close()
        expect_errno(errno.ESRCH, rw_addr, pidfd, target.addr, 64, uapi.IODBG_RW_PIDFD)
        expect_errno(errno.ESRCH, list_objects_page, pidfd, flags=uapi.IODBG_LIST_PIDFD)
    finally:
        os.close(pidfd)
    with open("/dev/null") as f:      # not a pidfd
        expect_errno(errno.EBADF, rw_addr, f.fileno(), target.addr, 8, uapi.IODBG_RW_PIDFD)


PROC_LESS = r"""
import os, sys
sys.path[:0] = sys.argv[3].split(":")
from iodbg_ioctl import rw_addr
assert not os.path.exists("/proc/self")
print(rw_addr(int(sys.argv[1]), int(sys.argv[2]), 8)[0].hex())
"""


def test_permission_check_needs_no_proc_of_the_callers(start):
    """The permission check opens the target's mem file on iodbg's own procfs: it works for a
    caller without procfs on /proc, where it used to fail with ENOENT."""
    t = start(GpuTarget, 1, 1, uapi.IODBG_PLACEMENT_DEVICE)
    bo = t.bos[0]
    res = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                          'mount -t tmpfs none /proc && exec "$0" "$@"', sys.executable, "-c",
                          PROC_LESS, str(t.pid), str(bo["addr"]), ":".join(sys.path)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert res.returncode == 0, res.stderr
    assert bytes.fromhex(res.stdout.strip()) == gpu_pattern(bo["id"], 0, 8)


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
