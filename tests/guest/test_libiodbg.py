"""libiodbg and the iodbg command against the reference drivers' objects: each path forced in
turn, the chain's choice per piece, the iodbg objects of a process, transfers by (object,
offset) through a held file or a mapping, and the chain with the modules unloaded."""
import ctypes
import glob
import json
import mmap
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

import iodbg_test_uapi as uapi
from targets import (IODBG, LIBIODBG_O, MAP_FAILED, OUT, PATCHED_KERNEL, GpuTarget, SpuTarget,
                     Target, gpu_pattern, insmod_missing, iodbg, iodbg_unloaded, libc, rmmod,
                     scratch_pattern, spu_pattern)

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PAGE = mmap.PAGESIZE
VRAM, GART, SYSTEM = uapi.IODBG_PLACEMENT_DEVICE, uapi.IODBG_PLACEMENT_GART, \
    uapi.IODBG_PLACEMENT_SYSTEM
PLACEMENT_NAMES = {VRAM: "device", GART: "gart", SYSTEM: "system"}
MIB = 1 << 20
NOBODY = 65534


def read(pid, addr, length, *opts):
    """iodbg read --report --json: (exit status, bytes, report, message)."""
    res = iodbg("read", "--report", "--json", "-o", "-", *opts, pid, hex(addr), length)
    err = res.stderr.decode()
    report_text, _, message = err.partition("]\n")
    return res.returncode, res.stdout, json.loads(report_text + "]"), message


def object_read(pid, obj, offset, length, *opts):
    """iodbg read --object: as read(), with object offsets."""
    return read(pid, offset, length, f"--object={obj}", *opts)


def object_write(pid, obj, offset, data, *opts):
    """iodbg write --object --report --json: (exit status, report, message)."""
    res = iodbg("write", "--report", "--json", f"--object={obj}", *opts, pid, hex(offset),
                data.hex())
    report_text, _, message = res.stderr.decode().partition("]\n")
    return res.returncode, json.loads(report_text + "]"), message


def objects(pid):
    res = iodbg("objects", "--json", pid)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def served_by(report):
    return [(s["len"], s["path"]) for s in report]


# ---- the command on a VRAM object ----

def test_read_vram_object(start):
    t = start(GpuTarget, 1, 8, VRAM)
    bo = t.bos[0]
    res = iodbg("read", "-o", "-", t.pid, hex(bo["addr"] + 100), 3 * PAGE)
    assert res.returncode == 0, res.stderr
    assert res.stdout == gpu_pattern(bo["id"], 100, 3 * PAGE)
    res = iodbg("read", "--path=ioctl", "-o", "-", t.pid, hex(bo["addr"] + 8), 64)
    assert res.returncode == 0, res.stderr
    assert res.stdout == gpu_pattern(bo["id"], 8, 64)
    # The hexdump shows the same bytes, at the object's address.
    res = iodbg("read", "--path=ioctl", t.pid, hex(bo["addr"]), 16)
    assert res.returncode == 0
    assert res.stdout.decode().startswith(f"{bo['addr']:08x}: ")


def test_write_vram_object_through_the_ioctl(start):
    t = start(GpuTarget, 1, 4, VRAM)
    bo = t.bos[0]
    res = iodbg("write", "--path=ioctl", t.pid, hex(bo["addr"] + 3), "c0ffee")
    assert res.returncode == 0, res.stderr
    assert bytes.fromhex(t.command("read 0 3 3")) == b"\xc0\xff\xee"


# ---- each path forced in turn ----

PATH_CASES = {
    # (target, path): served? With the kernel series process_vm reaches ->access, and
    # proc_mem (so also process_vm) RAM pfns without it.
    ("gpu", "process_vm"): PATCHED_KERNEL, ("gpu", "proc_mem"): True, ("gpu", "ioctl"): True,
    ("noaccess", "process_vm"): PATCHED_KERNEL, ("noaccess", "proc_mem"): PATCHED_KERNEL,
    ("noaccess", "ioctl"): True,
}


def make_target(start, kind, placement=VRAM):
    """(pid, address, expected bytes of the first 4 pages, target)."""
    if kind == "gpu":
        t = start(GpuTarget, 1, 4, placement)
        bo = t.bos[0]
        return t.pid, bo["addr"], gpu_pattern(bo["id"], 0, 4 * PAGE), t
    t = start(Target, "scratch_map", "4", "noaccess")
    return t.pid, t.addr, scratch_pattern(0, 4 * PAGE), t


@pytest.mark.parametrize("kind,path,placement", [
    (kind, path, placement) for kind, path in sorted(PATH_CASES)
    for placement in ([VRAM, GART, SYSTEM] if kind == "gpu" else [VRAM])])
def test_each_path_forced(start, kind, path, placement):
    pid, addr, expect, _ = make_target(start, kind, placement)
    status, data, report, message = read(pid, addr + PAGE - 5, 2 * PAGE, f"--path={path}")
    [seg] = report
    [attempt] = seg["attempts"]
    assert attempt["path"] == path
    if PATH_CASES[(kind, path)]:
        assert status == 0, message
        assert data == expect[PAGE - 5:3 * PAGE - 5]
        assert seg["path"] == path and attempt["result"] == "served"
    else:
        assert status == 1 and data == b""
        assert seg["path"] is None
        assert attempt["error"] == {"process_vm": "EFAULT", "proc_mem": "EIO"}[path]
        assert "VM_IO mapping" in seg["why"]


def test_ptrace_path_reads_gpu_objects_not_noaccess(start):
    pid, addr, expect, _ = make_target(start, "gpu")
    status, data, report, _ = read(pid, addr + 3, 64, "--path=ptrace", "--attach")
    assert status == 0 and data == expect[3:67] and report[0]["path"] == "ptrace"
    pid, addr, expect, _ = make_target(start, "noaccess")
    status, data, report, _ = read(pid, addr + 3, 64, "--path=ptrace", "--attach")
    if PATCHED_KERNEL:      # PTRACE_PEEKDATA reads RAM pfns as /proc/PID/mem does
        assert status == 0 and data == expect[3:67] and report[0]["path"] == "ptrace"
        return
    assert status == 1 and report[0]["attempts"][0]["error"] in ("EIO", "EFAULT")


def test_auto_chain_names_the_serving_path(start):
    pid, addr, expect, _ = make_target(start, "gpu")
    status, data, report, _ = read(pid, addr, 2 * PAGE)
    assert status == 0 and data == expect[:2 * PAGE]
    assert [a["result"] for a in report[0]["attempts"]] == ["skipped", "served"]
    assert report[0]["path"] == "proc_mem"
    pid, addr, expect, t = make_target(start, "noaccess")
    status, data, report, _ = read(pid, addr + 8, 2 * PAGE)
    assert status == 0 and data == expect[8:8 + 2 * PAGE]
    if PATCHED_KERNEL:      # /proc/PID/mem reads RAM pfns without ->access
        assert [(a["path"], a["result"]) for a in report[0]["attempts"]] == [
            ("process_vm", "skipped"), ("proc_mem", "served")]
    else:
        assert report[0]["path"] == "ioctl"
        assert [(a["path"], a["result"]) for a in report[0]["attempts"]] == [
            ("process_vm", "skipped"), ("proc_mem", "failed"), ("ptrace", "skipped"),
            ("ioctl", "served")]
    # Writes go the same way.
    res = iodbg("write", t.pid, hex(addr + 16), "6c696269")
    assert res.returncode == 0, res.stderr
    assert t.read_own(16, 4) == b"libi"


def test_generic_fallback_with_consent(start):
    """--allow-mmio passes IODBG_RW_ALLOW_MMIO; for RAM pfns it changes nothing."""
    pid, addr, expect, _ = make_target(start, "noaccess")
    status, data, report, _ = read(pid, addr, 4 * PAGE, "--path=ioctl", "--allow-mmio")
    assert status == 0 and data == expect and report[0]["path"] == "ioctl"


# ---- a range across an ordinary and a device mapping ----



@pytest.fixture
def span():
    """In this process: 2 anonymous pages, then 2 pages of a scratch object (MAP_FIXED right
    after them), each filled with bytes of its own. Yields (address, variant -> setup)."""
    mapped = []

    def setup(variant):
        offset = {"access": uapi.IODBG_SCRATCH_OFF_ACCESS,
                  "noaccess": uapi.IODBG_SCRATCH_OFF_NO_ACCESS}[variant]
        base = libc.mmap(None, 4 * PAGE, mmap.PROT_READ | mmap.PROT_WRITE,
                         mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, -1, 0)
        assert base != MAP_FAILED
        mapped.append(base)
        fd = os.open("/dev/iodbg_test", os.O_RDWR)
        try:
            dev = libc.mmap(base + 2 * PAGE, 2 * PAGE, mmap.PROT_READ | mmap.PROT_WRITE,
                            mmap.MAP_SHARED | 0x10, fd, offset)     # MAP_FIXED
        finally:
            os.close(fd)
        assert dev == base + 2 * PAGE, ctypes.get_errno()
        data = bytes(range(256)) * (2 * PAGE // 256) + bytes(255 - i % 256
                                                              for i in range(2 * PAGE))
        ctypes.memmove(base, data, 4 * PAGE)
        return base, data
    yield setup
    for base in mapped:
        libc.munmap(base, 4 * PAGE)


@pytest.mark.parametrize("variant,device_path", [
    ("access", "proc_mem"), ("noaccess", "proc_mem" if PATCHED_KERNEL else "ioctl")])
def test_range_across_ordinary_and_device_mappings(span, variant, device_path):
    base, data = span(variant)
    status, got, report, message = read(os.getpid(), base + PAGE + 10, 2 * PAGE)
    assert status == 0, message
    assert got == data[PAGE + 10:3 * PAGE + 10]
    assert served_by(report) == [(PAGE - 10, "process_vm"), (PAGE + 10, device_path)]


def test_range_across_mappings_with_one_path_forced(span):
    """process_vm serves the ordinary part and stops at the device mapping, exactly (with the
    kernel series it reads that too)."""
    base, data = span("noaccess")
    status, got, report, _ = read(os.getpid(), base + PAGE, 2 * PAGE, "--path=process_vm")
    if PATCHED_KERNEL:
        assert status == 0 and got == data[PAGE:3 * PAGE]
        assert [s["path"] for s in report] == ["process_vm", "process_vm"]
    else:
        assert status == 3 and got == data[PAGE:2 * PAGE]
        assert [s["path"] for s in report] == ["process_vm", None]
    status, got, report, _ = read(os.getpid(), base + PAGE, 2 * PAGE, "--path=ioctl")
    assert status == 1 and got == b""
    assert report[0]["attempts"][0]["error"] == "EFAULT"


# ---- MMIO needs consent ----

def ivshmem_bar():
    for dev in glob.glob("/sys/bus/pci/devices/*"):
        with open(os.path.join(dev, "vendor")) as v, open(os.path.join(dev, "device")) as d:
            if v.read().strip() == "0x1af4" and d.read().strip() == "0x1110":
                return os.path.join(dev, "resource2")
    return None


def test_mmio_needs_consent():
    """The VRAM BAR mapped through sysfs: VM_IO MMIO that is no iodbg object, so only the
    generic fallback reaches it through the ioctl, and only with consent. gpu_sim is unloaded
    meanwhile: the kernel (CONFIG_IO_STRICT_DEVMEM) refuses to map a BAR a driver holds."""
    bar = ivshmem_bar()
    if not bar:
        pytest.skip("no ivshmem device")
    addr = MAP_FAILED
    try:
        rmmod("gpu_sim")
        fd = os.open(bar, os.O_RDONLY)
        try:
            addr = libc.mmap(None, PAGE, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
        finally:
            os.close(fd)
        assert addr != MAP_FAILED, f"cannot map {bar}: errno {ctypes.get_errno()}"
        expect = ctypes.string_at(addr, 64)
        status, got, report, message = read(os.getpid(), addr, 64, "--path=ioctl")
        assert status == 1 and got == b""
        assert report[0]["attempts"][0]["error"] == "EPERM"
        assert "needs consent" in report[0]["attempts"][0]["why"]
        assert "MMIO needs consent" in report[0]["why"]
        assert "--allow-mmio" in message
        status, got, report, message = read(os.getpid(), addr, 64, "--path=ioctl",
                                            "--allow-mmio")
        assert status == 0, message
        assert got == expect and report[0]["path"] == "ioctl"
    finally:
        if addr != MAP_FAILED:
            libc.munmap(addr, PAGE)
        insmod_missing()


# ---- objects ----

def test_objects_json(start):
    t = start(GpuTarget, 3, 4, VRAM)
    t.move(1, GART)
    t.move(2, SYSTEM)
    res = iodbg("objects", "--json", t.pid)
    assert res.returncode == 0, res.stderr
    listed = json.loads(res.stdout)
    want = sorted(((bo["id"], int(bo["addr"]), bo["size"], PLACEMENT_NAMES[p])
                   for bo, p in zip(t.bos, [VRAM, GART, SYSTEM])), key=lambda e: e[1])
    assert [(o["id"], int(o["start"], 16), o["length"], o["placement"]) for o in listed] == want
    assert all(o["kind"] == "gpu_bo" and o["kind_id"] == uapi.IODBG_KIND_GPU_BO and
               o["size"] == 4 * PAGE and o["offset"] == 0 for o in listed)
    res = iodbg("objects", t.pid)
    assert res.returncode == 0 and res.stdout.decode().startswith("ADDRESS")
    assert len(res.stdout.decode().splitlines()) == 4
    # maps attaches each object to its mapping.
    maps = json.loads(iodbg("maps", "--json", t.pid).stdout)
    by_start = {int(m["start"], 16): m for m in maps}
    for bo, p in zip(t.bos, [VRAM, GART, SYSTEM]):
        obj = by_start[bo["addr"]]["object"]
        assert (obj["id"], obj["placement"]) == (bo["id"], PLACEMENT_NAMES[p])
    assert sum("object" in m for m in maps) == 3


def test_objects_of_a_scratch_mapping(start):
    t = start(Target, "scratch_map", "4", "noaccess")
    [obj] = json.loads(iodbg("objects", "--json", t.pid).stdout)
    assert obj["kind"] == "scratch" and int(obj["start"], 16) == t.addr
    assert obj["flags"] & uapi.IODBG_OBJECT_NO_ACCESS


# ---- by (object, offset) ----

def test_held_objects_that_are_not_mapped(start):
    """Context 0's files stay open but its mappings go: it is listed after the mappings,
    read and written by (object, offset) through its file, and the program sees the write."""
    t = start(SpuTarget, 2)
    ctx0, ctx1 = t.ctxs
    t.ok("unmap 0")
    listed = objects(t.pid)
    assert [(o["id"], o["mapped"]) for o in listed] == sorted(
        [(ctx1["ls_id"], True), (ctx1["regs_id"], True)],
        key=lambda e: {ctx1["ls_id"]: ctx1["ls"], ctx1["regs_id"]: ctx1["regs"]}[e[0]]) + \
        [(ctx0["ls_id"], False), (ctx0["regs_id"], False)]
    held = {o["id"]: o for o in listed if not o["mapped"]}
    assert (held[ctx0["ls_id"]]["kind"], held[ctx0["ls_id"]]["size"]) == ("spu_ls",
                                                                          uapi.SPU_SIM_LS_SIZE)
    assert all((o["start"], o["length"], o["offset"]) == ("0x0", 0, 0) for o in held.values())
    text = iodbg("objects", t.pid).stdout.decode().splitlines()
    assert len(text) == 5 and all(line.startswith("(held, not mapped)") for line in text[3:])

    for offset, length in [(0, 64), (PAGE - 5, 3 * PAGE), (uapi.SPU_SIM_LS_COUNTER - 8, 8)]:
        status, data, report, message = object_read(t.pid, ctx0["ls_id"], offset, length)
        assert status == 0, message
        assert data == spu_pattern(ctx0["ls_id"], offset, length)
        assert served_by(report) == [(length, "object")]
        assert int(report[0]["addr"], 16) == offset
    status, report, message = object_write(t.pid, ctx0["ls_id"], 0x2001, b"held, not mapped")
    assert status == 0, message
    assert served_by(report) == [(16, "object")]
    status, data, _, _ = object_read(t.pid, ctx0["ls_id"], 0x2000, 18, "--path=object")
    assert data == spu_pattern(ctx0["ls_id"], 0x2000, 1) + b"held, not mapped" + \
        spu_pattern(ctx0["ls_id"], 0x2011, 1)
    t.ok("map 0")
    assert bytes.fromhex(t.command("read 0 8193 16")) == b"held, not mapped"


def test_held_objects_of_a_process_named_by_a_thread_id(start):
    """A thread id names its process. Held objects are copied through a pidfd, which before
    Linux 6.9 only a thread-group leader has: the thread's leader's is taken."""
    t = start(SpuTarget, 1)
    ctx = t.ctxs[0]
    tid = int(t.command("thread").split("tid=")[1])
    assert tid != t.pid
    t.ok("unmap 0")
    assert {o["id"]: o["mapped"] for o in objects(tid)} == \
        {ctx["ls_id"]: False, ctx["regs_id"]: False}
    status, data, report, message = object_read(tid, ctx["ls_id"], 8, 64)
    assert status == 0, message
    assert data == spu_pattern(ctx["ls_id"], 8, 64)
    assert served_by(report) == [(64, "object")]


def test_registers_of_a_stopped_context_do_not_wait(start):
    """A stopped context's registers are a saved copy: its register mapping would wait for the
    context to run again, the object path reads them at once."""
    t = start(SpuTarget, 1)
    ctx = t.ctxs[0]
    t.ok("stop 0")
    t.ok("unmap 0")
    [regs] = [o for o in objects(t.pid) if o["id"] == ctx["regs_id"]]
    assert (regs["placement"], regs["mapped"]) == ("saved", False)
    status, data, report, message = object_read(t.pid, ctx["regs_id"], 0, 8)
    assert status == 0, message
    size, status_word = int.from_bytes(data[:4], "little"), int.from_bytes(data[4:], "little")
    assert size == ctypes.sizeof(uapi.spu_sim_regs)
    assert status_word & uapi.SPU_SIM_STATUS_STOPPED
    assert report[0]["path"] == "object"


def test_mapped_only_object_goes_through_its_mapping(start):
    """Context 0's files are closed, its mappings stay: the object path has nothing to use,
    so the mapping serves, and the report says so."""
    t = start(SpuTarget, 1)
    ctx = t.ctxs[0]
    t.ok("close 0")
    assert {(o["id"], o["mapped"]) for o in objects(t.pid)} == {(ctx["ls_id"], True),
                                                                (ctx["regs_id"], True)}
    status, data, report, message = object_read(t.pid, ctx["ls_id"], 0x40, 2 * PAGE)
    assert status == 0, message
    assert data == spu_pattern(ctx["ls_id"], 0x40, 2 * PAGE)
    [seg] = report
    assert int(seg["addr"], 16) == 0x40 and seg["path"] in ("proc_mem", "ioctl")
    assert seg["attempts"][0] == {"path": "object", "result": "skipped", "error": "ENOENT",
                                  "why": f"process {t.pid} holds no file of the object"}
    # A policy that names an address path goes straight to the mapping by that path.
    status, data, report, message = object_read(t.pid, ctx["ls_id"], 8, 16, "--path=ioctl")
    assert status == 0 and data == spu_pattern(ctx["ls_id"], 8, 16), message
    assert [a["path"] for a in report[0]["attempts"]] == ["ioctl"]
    status, _, report, message = object_read(t.pid, ctx["ls_id"], 8, 16, "--path=object")
    assert status == 1 and report[0]["path"] is None
    assert 'holds no file of the object (the path policy is "object")' in message
    status, report, message = object_write(t.pid, ctx["ls_id"], 0x3000, b"by mapping")
    assert status == 0, message
    assert report[0]["path"] in ("proc_mem", "ioctl")
    assert bytes.fromhex(t.command("read 0 12288 10")) == b"by mapping"


def placement(pid, obj):
    return next(o["placement"] for o in objects(pid) if o["id"] == obj)


def test_gpu_object_before_and_after_eviction(start):
    """A VRAM object the program maps and holds: one entry, read by its file wherever it
    lives, before and after newcomers evict it from VRAM; a write lands in the object."""
    first = start(GpuTarget, 1, (16 * MIB) // PAGE, VRAM)
    bo = first.bos[0]
    assert [o["id"] for o in objects(first.pid)] == [bo["id"]]      # mapped and held: once
    offsets = [0, 5 * MIB + 3, 16 * MIB - 64]
    for offset in offsets:
        status, data, report, message = object_read(first.pid, bo["id"], offset, 64)
        assert status == 0 and data == gpu_pattern(bo["id"], offset, 64), message
        assert served_by(report) == [(64, "object")]
    assert placement(first.pid, bo["id"]) == "device"
    start(GpuTarget, 8, (16 * MIB) // PAGE, VRAM)                    # fills all 128 MiB
    assert placement(first.pid, bo["id"]) == "system"
    for offset in offsets:
        status, data, report, message = object_read(first.pid, bo["id"], offset, 64)
        assert status == 0 and data == gpu_pattern(bo["id"], offset, 64), message
        assert served_by(report) == [(64, "object")]
    status, _, message = object_write(first.pid, bo["id"], MIB + 1, b"evicted")
    assert status == 0, message
    first.move(0, GART)
    assert bytes.fromhex(first.command(f"read 0 {MIB + 1} 7")) == b"evicted"


def test_object_errors(start):
    t = start(GpuTarget, 1, 4, VRAM)
    bo = t.bos[0]
    unknown = bo["id"] + 1000
    res = iodbg("read", f"--object={unknown}", t.pid, 0, 16)
    assert res.returncode == 1 and res.stdout == b""
    assert res.stderr.decode() == (f"iodbg: process {t.pid} has no iodbg object {unknown}: it "
                                   "neither maps it nor holds a file of it\n")
    res = iodbg("read", f"--object={bo['id']}", t.pid, hex(4 * PAGE), 1)
    assert res.returncode == 1
    assert f"past its end (it has {4 * PAGE} bytes)" in res.stderr.decode()
    # A range that runs past the end stops there: what comes before is read.
    status, data, report, message = object_read(t.pid, bo["id"], 4 * PAGE - 8, 32)
    assert status == 3 and data == gpu_pattern(bo["id"], 4 * PAGE - 8, 8)
    assert [(s["len"], s["path"], s["error"]) for s in report] == [(8, "object", None),
                                                                   (24, None, "EINVAL")]
    assert "stopped at offset 0x4000 after 8 bytes: the object ends there" in message
    status, _, message = object_write(t.pid, bo["id"], 4 * PAGE - 2, b"abcd")
    assert status == 3 and "the object ends there" in message
    assert bytes.fromhex(t.command(f"read 0 {4 * PAGE - 2} 2")) == b"ab"
    # A process that is gone.
    pid = t.pid
    t.close()
    res = iodbg("read", f"--object={bo['id']}", pid, 0, 16)
    assert res.returncode == 1 and res.stderr.decode() == f"iodbg: no process {pid}\n"


def test_object_without_permission(start):
    """Another user may not take the target's files (pidfd_getfd needs ptrace rights)."""
    t = start(SpuTarget, 1)
    t.ok("unmap 0")
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        exe = shutil.copy(IODBG, tmp)
        res = subprocess.run([exe, "read", f"--object={t.ctxs[0]['ls_id']}", str(t.pid), "0",
                              "16"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             user=NOBODY, group=NOBODY, extra_groups=[], cwd=tmp, timeout=60)
    assert res.returncode == 1 and res.stdout == ""
    assert "no permission to debug it" in res.stderr, res.stderr


# ---- without the modules ----

def vm_io_mapping(pid):
    """An ordinary process's own VM_IO mapping ([vvar] where the kernel has one)."""
    maps = json.loads(iodbg("maps", "--json", pid).stdout)
    return next((m for m in maps if m["kind"] == "io"), None)


def test_without_the_modules(start):
    with iodbg_unloaded():
        assert not os.path.exists("/dev/iodbg")
        t = start(Target, "anon_map", "4")
        expect = b"".join((8 * i).to_bytes(8, "little") for i in range(4 * PAGE // 8))
        status, data, report, message = read(t.pid, t.addr + 5, 3 * PAGE)
        assert status == 0, message
        assert data == expect[5:5 + 3 * PAGE] and report[0]["path"] == "process_vm"
        res = iodbg("objects", t.pid)
        assert res.returncode == 1
        assert res.stderr == b"iodbg: iodbg module not loaded (/dev/iodbg missing)\n"
        io = vm_io_mapping(t.pid)
        if io is None:
            pytest.skip("this kernel gives a process no VM_IO mapping")
        status, data, report, message = read(t.pid, int(io["start"], 16), 8)
        assert status == 1 and data == b""
        seg = report[0]
        assert seg["path"] is None
        assert seg["why"].startswith("VM_IO mapping")
        assert "load iodbg for the debug ioctl" in seg["why"]
        ioctl = seg["attempts"][-1]
        assert ioctl == {"path": "ioctl", "result": "skipped", "error": "ENODEV",
                         "why": "iodbg module not loaded (/dev/iodbg missing)"}
        assert "ioctl skipped: iodbg module not loaded (/dev/iodbg missing)" in message
    assert os.path.exists("/dev/iodbg")


# ---- the process, not its pid ----

def kernel_features():
    info = json.loads(iodbg("info", "--json").stdout)
    return info["kernel"]["abi_version"], set(info["kernel"]["features"])


RECYCLE = """
import os, sys
sys.path[:0] = sys.argv[1:4]
from libiodbg_py import Lib, errname
from targets import Target, scratch_pattern
import ctypes
lib = Lib(os.path.join(sys.argv[4], "lib", "libiodbg.so.0"))
victim = Target("scratch_map", "4", "noaccess")
err, t = lib.open(victim.pid)
assert err == 0, lib.errmsg()
t.set_path("ioctl")
n, data, _ = t.read(victim.addr, 16)
assert (n, data) == (16, scratch_pattern(0, 16)), t.errmsg()
pid = victim.pid
victim.close()
with open("/proc/sys/kernel/ns_last_pid", "w") as f:
    f.write(str(pid - 1))
imposter = Target("scratch_map", "4", "noaccess")
assert imposter.pid == pid, (imposter.pid, pid)
n, data, _ = t.read(imposter.addr, 16)
print("read", errname(n) if n < 0 else n, t.errmsg())
n, _ = t.write(imposter.addr, b"not yours")
print("write", errname(n) if n < 0 else n, t.errmsg())
assert imposter.read_own(0, 9) == scratch_pattern(0, 9)
objs = ctypes.c_void_p()
err = lib.c.iodbg_objects(t.h, ctypes.byref(objs))
print("objects", errname(err) if err < 0 else err, t.errmsg())
"""


def test_recycled_pid_through_the_ioctl(tmp_path):
    """The ioctl path and LIST_OBJECTS name the process by pidfd where the module takes one,
    else by pid with a check after: a process that took the reaped target's pid (given on
    purpose, in a pid namespace of the test's own) is neither read, nor written, nor listed."""
    here = os.path.dirname(os.path.abspath(__file__))
    res = subprocess.run(
        ["unshare", "--pid", "--fork", "--mount-proc", sys.executable, "-c", RECYCLE,
         os.path.join(PROJECT, "tests", "host", "libiodbg"), here,
         os.path.join(OUT, "build", "python"), LIBIODBG_O],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    lines = dict(line.split(" ", 1) for line in res.stdout.splitlines())
    assert sorted(lines) == ["objects", "read", "write"]
    for what, result in lines.items():
        assert result.startswith("ESRCH ") and "is gone" in result, (what, result)


@pytest.fixture
def many_scratch_mappings():
    """COUNT one-page scratch objects mapped in this process, a page apart (so that no two
    merge); yields their addresses."""
    mapped = []

    def setup(count):
        base = libc.mmap(None, 2 * count * PAGE, 0, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS,
                         -1, 0)      # PROT_NONE: only the scratch pages are accessible
        assert base != MAP_FAILED
        mapped.append((base, 2 * count * PAGE))
        fd = os.open("/dev/iodbg_test", os.O_RDWR)
        try:
            for i in range(count):
                addr = libc.mmap(base + 2 * i * PAGE, PAGE, mmap.PROT_READ | mmap.PROT_WRITE,
                                 mmap.MAP_SHARED | 0x10, fd, uapi.IODBG_SCRATCH_OFF_ACCESS)
                assert addr == base + 2 * i * PAGE, ctypes.get_errno()
        finally:
            os.close(fd)
        return [base + 2 * i * PAGE for i in range(count)]
    yield setup
    for base, size in mapped:
        libc.munmap(base, size)


def test_more_iodbg_mappings_than_one_listing_holds(many_scratch_mappings):
    """A module of ABI 1 writes at most 4096 entries: the listing is refused, never handed back
    with entries the module did not fill in. With the cursor, every mapping is listed."""
    count = 4096 + 5
    addrs = many_scratch_mappings(count)
    abi, features = kernel_features()
    res = iodbg("objects", "--json", os.getpid())
    if "list_cursor" in features:
        assert res.returncode == 0, res.stderr
        listed = json.loads(res.stdout)
        assert [int(o["start"], 16) for o in listed if o["kind"] == "scratch"] == addrs
        assert all(o["id"] and o["length"] == PAGE for o in listed if o["kind"] == "scratch")
    else:
        assert res.returncode == 1 and res.stdout == b""
        assert res.stderr.decode() == (
            f"iodbg: the iodbg module (ABI version {abi}) lists only 4096 of the {count} iodbg "
            f"mappings of process {os.getpid()}; one of ABI 2 lists them all\n")
    # Below the cap both list them all.
    libc.munmap(addrs[4096 - 10], 2 * 15 * PAGE)
    res = iodbg("objects", "--json", os.getpid())
    assert res.returncode == 0, res.stderr
    assert [int(o["start"], 16) for o in json.loads(res.stdout)] == addrs[:4086]


SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <linux/iodbg.h>

/* IODBG_IOC_RW_OBJECT that succeeds without moving a byte; every other ioctl as it is. */
int ioctl(int fd, unsigned long request, ...)
{
	static int (*real)(int, unsigned long, ...);
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (request == IODBG_IOC_RW_OBJECT) {
		((struct iodbg_rw *)arg)->done = 0;
		return 0;
	}
	if (!real)
		real = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	return real(fd, request, arg);
}
"""


def test_object_transfer_that_makes_no_progress_ends(start, tmp_path):
    """An RW_OBJECT that succeeds with nothing done (here from a preloaded ioctl) ends the
    object path with a reason instead of asking again forever."""
    (tmp_path / "shim.c").write_text(SHIM)
    subprocess.run(["cc", "-shared", "-fPIC", "-I", os.path.join(PROJECT, "include", "uapi"),
                    "-o", tmp_path / "shim.so", tmp_path / "shim.c"], check=True)
    t = start(SpuTarget, 1)
    ctx = t.ctxs[0]
    t.ok("unmap 0")
    res = subprocess.run([IODBG, "read", f"--object={ctx['ls_id']}", "--path=object", str(t.pid),
                          "0", "16"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=dict(os.environ, LD_PRELOAD=str(tmp_path / "shim.so")), timeout=30)
    assert res.returncode == 1 and res.stdout == b""
    assert "transferred nothing of the read at offset 0x0" in res.stderr.decode(), res.stderr


def test_mmio_width(start):
    """--width goes to the kernel where it takes one (IODBG_FEATURE_WIDTH), else it is refused
    with the reason, before anything is read."""
    pid, addr, expect, _ = make_target(start, "noaccess")
    abi, features = kernel_features()
    res = iodbg("read", "--path=ioctl", "--allow-mmio", "--width=4", "-o", "-", pid, hex(addr),
                64)
    if "width" in features:
        assert res.returncode == 0 and res.stdout == expect[:64], res.stderr
    else:
        assert (res.returncode, res.stdout) == (1, b"")
        assert res.stderr.decode() == (f"iodbg: the loaded iodbg module (ABI version {abi}) "
                                       "cannot choose the MMIO access width (no "
                                       "IODBG_FEATURE_WIDTH)\n")
