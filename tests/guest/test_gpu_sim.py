"""gpu_sim buffer objects: real device memory (an ivshmem BAR) that migrates, read and written
by debuggers wherever it lives now."""
import ctypes
import errno
import fcntl
import mmap
import os
import subprocess

import pytest

import iodbg_test_uapi as uapi
from iodbg_ioctl import list_objects, object_info, pidfd_getfd, rw_addr, rw_addr_at, rw_object
from targets import (PATCHED_KERNEL, GpuTarget, Target, gpu_pattern, libc, proc_mem_read,
                     proc_mem_write, scratch_pattern)

PAGE = mmap.PAGESIZE
VRAM, GART, SYSTEM = uapi.IODBG_PLACEMENT_DEVICE, uapi.IODBG_PLACEMENT_GART, \
    uapi.IODBG_PLACEMENT_SYSTEM
MIB = 1 << 20


def placement_of(target, index):
    bo = target.bos[index]
    return {o.id: o.placement for o in list_objects(target.pid)}[bo["id"]]


def test_vram_object_lives_in_the_pci_bar(start):
    t = start(GpuTarget, 1, 16, VRAM)
    bo = t.bos[0]
    assert placement_of(t, 0) == VRAM
    # The host file behind the ivshmem BAR holds the object's bytes.
    with open(os.path.join(os.environ["IODBG_RUN"], "vram"), "rb") as f:
        assert gpu_pattern(bo["id"], 0, 4096) in f.read()


def test_list_objects_describes_each_mapping(start):
    t = start(GpuTarget, 3, 4, GART)
    listed = list_objects(t.pid)
    # In address order, as /proc/PID/maps.
    assert [(o.id, o.start, o.length, o.kind, o.placement) for o in listed] == sorted(
        ((bo["id"], bo["addr"], bo["size"], uapi.IODBG_KIND_GPU_BO, GART) for bo in t.bos),
        key=lambda entry: entry[1])


@pytest.mark.parametrize("placement", [VRAM, GART, SYSTEM])
def test_proc_mem_reads_each_placement(start, placement):
    t = start(GpuTarget, 1, 8, placement)
    bo = t.bos[0]
    assert proc_mem_read(t.pid, bo["addr"] + 100, 3 * PAGE) == gpu_pattern(bo["id"], 100, 3 * PAGE)


def test_eviction_never_shows_the_newcomers_data(start):
    """The seed's bug: after an object leaves VRAM and another takes its place, a debugger
    reading the first object's mapping must see the first object, never the newcomer."""
    first = start(GpuTarget, 1, (16 * MIB) // PAGE, VRAM)
    bo = first.bos[0]
    assert first.read_bo(0, 0, 16) == gpu_pattern(bo["id"], 0, 16)      # PTEs are in place
    newcomers = start(GpuTarget, 8, (16 * MIB) // PAGE, VRAM)                  # fills all 128 MiB
    assert placement_of(first, 0) == SYSTEM
    assert all(placement_of(newcomers, i) == VRAM for i in range(8))
    for offset in (0, 5 * MIB + 3, 16 * MIB - PAGE):
        assert proc_mem_read(first.pid, bo["addr"] + offset, PAGE) == \
            gpu_pattern(bo["id"], offset, PAGE)
        assert rw_addr(first.pid, bo["addr"] + offset, 64)[0] == gpu_pattern(bo["id"], offset, 64)
    assert first.read_bo(0, 5 * MIB, 16) == gpu_pattern(bo["id"], 5 * MIB, 16)


def test_debugger_writes_persist_across_moves(start):
    t = start(GpuTarget, 1, 8, VRAM)
    bo = t.bos[0]
    assert proc_mem_write(t.pid, bo["addr"] + PAGE - 5, b"by /proc/PID/mem") == 16
    assert rw_addr(t.pid, bo["addr"] + 3 * PAGE, b"by the ioctl") == 12
    for _ in range(3):
        for placement in (GART, SYSTEM, VRAM):
            t.move(0, placement)
            assert placement_of(t, 0) == placement
            assert proc_mem_read(t.pid, bo["addr"] + PAGE - 5, 16) == b"by /proc/PID/mem"
            assert t.read_bo(0, 3 * PAGE, 12) == b"by the ioctl"
    assert t.read_bo(0, PAGE + 11, 8) == gpu_pattern(bo["id"], PAGE + 11, 8)


def test_no_debugger_write_through_a_read_only_mapping(start):
    """As for any shared mapping, a read-only mapping of an object refuses writes, forced or
    not: /proc/PID/mem (EIO) and the ioctl, by the object or the fallback (EROFS)."""
    t = start(GpuTarget, 1, 1, VRAM)
    bo = t.bos[0]
    assert t.command("protect 0") == "ok"
    with pytest.raises(OSError) as err:
        proc_mem_write(t.pid, bo["addr"], b"WRITTEN!")
    assert err.value.errno == errno.EIO
    for flags in (0, uapi.IODBG_RW_GENERIC | uapi.IODBG_RW_ALLOW_MMIO):
        with pytest.raises(OSError) as err:
            rw_addr(t.pid, bo["addr"], b"BYIOCTL!", flags)
        assert err.value.errno == errno.EROFS
    assert t.read_bo(0, 0, 8) == gpu_pattern(bo["id"], 0, 8)
    assert proc_mem_read(t.pid, bo["addr"], 8) == gpu_pattern(bo["id"], 0, 8)


def test_object_files_are_named_in_proc(start):
    """/proc/PID/fd and /proc/PID/maps name an object file iodbg:[NAME], which no path of a
    mounted filesystem looks like: debuggers pick object files out by the link alone."""
    t = start(GpuTarget, 1, 2, GART)
    bo = t.bos[0]
    name = f"{uapi.IODBG_FD_LINK_PREFIX}gpu_bo:{bo['id']}]"
    assert os.readlink(f"/proc/{t.pid}/fd/{bo['fd']}") == name
    with open(f"/proc/{t.pid}/maps") as f:
        line = next(line for line in f if line.startswith(f"{bo['addr']:x}-"))
    assert line.split()[-1] == name


def test_object_file_from_pidfd_getfd(start):
    """The debug ioctl on the target's own object file, for objects read by (object, offset)."""
    t = start(GpuTarget, 1, 4, VRAM)
    bo = t.bos[0]
    fd = pidfd_getfd(t.pid, bo["fd"])
    try:
        info = object_info(fd)
        assert (info.id, info.size, info.kind, info.placement) == \
            (bo["id"], bo["size"], uapi.IODBG_KIND_GPU_BO, VRAM)
        assert rw_object(fd, 4 * PAGE - 32, 32)[0] == gpu_pattern(bo["id"], 4 * PAGE - 32, 32)
        assert rw_object(fd, 7, b"object write") == 12
        assert t.read_bo(0, 7, 12) == b"object write"
        with pytest.raises(OSError) as err:
            rw_object(fd, 4 * PAGE - 8, 16)     # runs past the object
        assert err.value.errno == errno.EINVAL
    finally:
        os.close(fd)


def test_generic_fallback_needs_the_mmio_flag_for_vram(start):
    t = start(GpuTarget, 1, 4, VRAM)
    bo = t.bos[0]
    t.move(0, SYSTEM)
    t.move(0, VRAM)             # PTEs zapped: not present until the process touches them
    with pytest.raises(OSError) as err:
        rw_addr(t.pid, bo["addr"], 64, uapi.IODBG_RW_GENERIC | uapi.IODBG_RW_ALLOW_MMIO)
    assert err.value.errno == errno.ENOENT
    for page in range(4):
        t.read_bo(0, page * PAGE, 8)
    with pytest.raises(OSError) as err:
        rw_addr(t.pid, bo["addr"], 64, uapi.IODBG_RW_GENERIC)
    assert err.value.errno == errno.EPERM
    data, done = rw_addr(t.pid, bo["addr"] + 2 * PAGE - 6, 20,
                         uapi.IODBG_RW_GENERIC | uapi.IODBG_RW_ALLOW_MMIO)
    assert data == gpu_pattern(bo["id"], 2 * PAGE - 6, 20)


@pytest.mark.parametrize("flags", [0, uapi.IODBG_RW_GENERIC | uapi.IODBG_RW_ALLOW_MMIO],
                         ids=["object", "generic"])
def test_ioctl_transfers_span_chunks_at_odd_offsets(start, flags):
    """More than one 64 KiB chunk, at odd offsets of both the object and the caller's buffer:
    the ioctl copies between VRAM and the caller's pinned pages directly, in whole words
    inside and byte-exact at the edges, and leaves the neighbouring bytes alone."""
    t = start(GpuTarget, 1, 24, VRAM)
    bo = t.bos[0]
    length = 20 * PAGE - 13
    buf = ctypes.create_string_buffer(length + 16)
    assert rw_addr_at(t.pid, bo["addr"] + 3, ctypes.addressof(buf) + 5, length, flags) == length
    assert buf.raw[:5] == bytes(5) and buf.raw[5 + length:] == bytes(11)
    assert buf.raw[5:5 + length] == gpu_pattern(bo["id"], 3, length)

    data = os.urandom(length)
    ctypes.memmove(ctypes.addressof(buf) + 7, data, length)
    assert rw_addr_at(t.pid, bo["addr"] + 11, ctypes.addressof(buf) + 7, length,
                      flags | uapi.IODBG_RW_WRITE) == length
    t.move(0, SYSTEM)
    assert proc_mem_read(t.pid, bo["addr"], 11) == gpu_pattern(bo["id"], 0, 11)
    assert proc_mem_read(t.pid, bo["addr"] + 11, length) == data
    assert proc_mem_read(t.pid, bo["addr"] + 11 + length, 16) == \
        gpu_pattern(bo["id"], 11 + length, 16)


@pytest.mark.parametrize("flags", [0, uapi.IODBG_RW_GENERIC | uapi.IODBG_RW_ALLOW_MMIO],
                         ids=["object", "generic"])
def test_short_writes_to_vram_change_exactly_their_bytes(start, flags):
    """Writes of every length up to two words at every alignment of a word: device memory is
    written in aligned words and, at the edges, in narrower aligned stores of exactly the
    bytes asked for."""
    t = start(GpuTarget, 1, 1, VRAM)
    bo = t.bos[0]
    expected = bytearray(gpu_pattern(bo["id"], 0, 64))
    for start_at in range(8, 16):
        for length in range(1, 17):
            data = os.urandom(length)
            assert rw_addr(t.pid, bo["addr"] + start_at, data, flags) == length
            expected[start_at:start_at + length] = data
            assert proc_mem_read(t.pid, bo["addr"], 64) == expected, (start_at, length)


def test_ioctl_buffer_that_cannot_be_pinned(start):
    """The caller's buffer in an IO mapping of its own (here of a scratch object,
    VM_IO | VM_PFNMAP, which cannot be pinned) is served through a bounce buffer, both ways."""
    t = start(GpuTarget, 1, 4, VRAM)
    bo = t.bos[0]
    length = 3 * PAGE + 100
    fd = os.open("/dev/iodbg_test", os.O_RDWR)
    scratch = mmap.mmap(fd, 4 * PAGE)
    try:
        window = (ctypes.c_char * (4 * PAGE)).from_buffer(scratch)
        base = ctypes.addressof(window)
        assert rw_addr_at(t.pid, bo["addr"] + 2, base + 1, length) == length
        assert scratch[1:1 + length] == gpu_pattern(bo["id"], 2, length)
        data = os.urandom(length)
        scratch[9:9 + length] = data
        assert rw_addr_at(t.pid, bo["addr"] + 5, base + 9, length, uapi.IODBG_RW_WRITE) == length
        assert proc_mem_read(t.pid, bo["addr"] + 5, length) == data
        del window
    finally:
        scratch.close()
        os.close(fd)


@pytest.mark.parametrize("variant,flag", [("noaccess", uapi.IODBG_OBJECT_NO_ACCESS),
                                          ("refuse", uapi.IODBG_OBJECT_ACCESS_REFUSES)])
def test_generic_fallback_reads_ram_pfns_where_access_fails(variant, flag):
    """A mapping with no ->access, or one whose ->access refuses: ptrace and /proc/PID/mem
    fail (with the kernel series they read RAM pfns when there is no ->access), the generic
    page-table fallback reads and writes it."""
    t = Target("scratch_map", "4", variant)
    try:
        if PATCHED_KERNEL and variant == "noaccess":
            assert proc_mem_read(t.pid, t.addr, 64) == scratch_pattern(0, 64)
        else:
            with pytest.raises(OSError) as err:
                proc_mem_read(t.pid, t.addr, 64)
            assert err.value.errno == errno.EIO
        [info] = list_objects(t.pid)
        assert info.flags & flag
        generic = uapi.IODBG_RW_GENERIC
        assert rw_addr(t.pid, t.addr + PAGE - 8, 2 * PAGE, generic)[0] == \
            scratch_pattern(PAGE - 8, 2 * PAGE)
        assert rw_addr(t.pid, t.addr + 8, b"fallback", generic) == 8
        assert t.read_own(8, 8) == b"fallback"
    finally:
        t.close()


def test_access_phys_object_stays_in_vram(start):
    """The comparison mode with the kernel's generic_access_phys() as ->access: it reads VRAM,
    and the object never leaves VRAM, where generic_access_phys() would ioremap RAM."""
    t = start(GpuTarget, 1, 4, VRAM, uapi.GPU_SIM_CREATE_ACCESS_PHYS)
    bo = t.bos[0]
    assert proc_mem_read(t.pid, bo["addr"] + 8, 64) == gpu_pattern(bo["id"], 8, 64)
    assert t.command(f"move 0 {SYSTEM}") == f"error {errno.EINVAL}"
    [info] = list_objects(t.pid)
    assert info.placement == VRAM and info.flags & uapi.IODBG_OBJECT_ACCESS_PHYS


def test_unloading_gpu_sim_is_refused_while_objects_exist(start):
    t = start(GpuTarget, 1, 4, VRAM)
    res = subprocess.run(["rmmod", "gpu_sim"], stderr=subprocess.PIPE, text=True)
    assert res.returncode != 0 and "in use" in res.stderr
    assert proc_mem_read(t.pid, t.bos[0]["addr"], 8) == gpu_pattern(t.bos[0]["id"], 0, 8)


@pytest.mark.parametrize("bad", [
    dict(bo_size=0), dict(bo_size=PAGE + 1), dict(bo_size=uapi.GPU_SIM_MAX_BO_SIZE + PAGE),
    dict(placement=0), dict(placement=uapi.IODBG_PLACEMENT_SAVED), dict(flags=1 << 7),
    dict(flags=uapi.GPU_SIM_CREATE_ACCESS_PHYS, placement=GART),
    dict(reserved=(1, 0)), dict(size=8)])
def test_create_rejects_bad_arguments(bad):
    args = uapi.gpu_sim_create(size=ctypes.sizeof(uapi.gpu_sim_create), placement=VRAM,
                               bo_size=PAGE)
    for name, value in bad.items():
        if name == "reserved":
            args.reserved[0] = value[0]
        else:
            setattr(args, name, value)
    fd = os.open("/dev/gpu_sim", os.O_RDWR)
    try:
        with pytest.raises(OSError) as err:
            fcntl.ioctl(fd, uapi.GPU_SIM_IOC_CREATE, args)
        assert err.value.errno == errno.EINVAL
        assert args.fd == 0
    finally:
        os.close(fd)


def test_create_that_cannot_answer_leaves_no_descriptor():
    """GPU_SIM_IOC_CREATE whose answer cannot be written back (the structure in a read-only
    page) fails with EFAULT and leaves the caller no descriptor: it is installed only once
    the caller has learnt its number."""
    page = libc.mmap(None, PAGE, mmap.PROT_READ | mmap.PROT_WRITE,
                     mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, -1, 0)
    create = uapi.gpu_sim_create.from_address(page)
    create.size = ctypes.sizeof(create)
    create.placement = SYSTEM
    create.bo_size = PAGE
    assert libc.mprotect(page, PAGE, mmap.PROT_READ) == 0
    fd = os.open("/dev/gpu_sim", os.O_RDWR)
    try:
        before = set(os.listdir("/proc/self/fd"))
        ret = libc.ioctl(fd, ctypes.c_ulong(uapi.GPU_SIM_IOC_CREATE), ctypes.c_void_p(page))
        assert (ret, ctypes.get_errno()) == (-1, errno.EFAULT)
        assert set(os.listdir("/proc/self/fd")) == before
    finally:
        os.close(fd)
        libc.munmap(page, PAGE)


def test_gpu_sim_cannot_be_unbound_under_its_objects():
    """VRAM must outlive every object: sysfs offers no unbind of the driver (it used to, and
    unbinding unmapped VRAM under live mappings)."""
    driver = "/sys/bus/pci/drivers/gpu_sim"
    assert os.path.isdir(driver)
    assert not os.path.exists(f"{driver}/unbind") and not os.path.exists(f"{driver}/bind")
