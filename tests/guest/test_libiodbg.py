"""libiodbg and the iodbg command against the reference drivers' objects: each path forced in
turn, the chain's choice per piece, the iodbg objects of a process, and the chain with the
modules unloaded."""
import ctypes
import glob
import json
import mmap
import os
import re
import subprocess
import time

import pytest

import iodbg_uapi as uapi
from targets import Target, scratch_pattern

OUT = os.environ.get("IODBG_OUT", "")
IODBG = os.path.join(OUT, "build", "libiodbg", "bin", "iodbg")
PAGE = mmap.PAGESIZE
VRAM, GART, SYSTEM = uapi.IODBG_PLACEMENT_DEVICE, uapi.IODBG_PLACEMENT_GART, \
    uapi.IODBG_PLACEMENT_SYSTEM
PLACEMENT_NAMES = {VRAM: "device", GART: "gart", SYSTEM: "system"}
GPU_PATTERN = 0xB000000000000000


def gpu_pattern(bo_id, offset, length):
    first, last = offset // 8, (offset + length + 7) // 8
    words = b"".join((GPU_PATTERN | bo_id << 32 | 8 * i).to_bytes(8, "little")
                     for i in range(first, last))
    return words[offset - 8 * first:][:length]


class GpuTarget(Target):
    def __init__(self, count, pages, placement):
        super().__init__("gpu_bo", str(count), str(pages), str(placement))
        self.bos = [dict((k, int(v, 0)) for k, v in re.findall(r"(\w+)=(\S+)", line))
                    for line in self.lines if line.startswith("bo ")]

    def move(self, index, placement):
        assert self.command(f"move {index} {placement}") == "ok"


@pytest.fixture
def start():
    started = []

    def start_target(cls, *args):
        started.append(cls(*args))
        return started[-1]
    yield start_target
    for t in started:
        t.close()


def iodbg(*args):
    return subprocess.run([IODBG, *map(str, args)], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=120)


def read(pid, addr, length, *opts):
    """iodbg read --report --json: (exit status, bytes, report, message)."""
    res = iodbg("read", "--report", "--json", "-o", "-", *opts, pid, hex(addr), length)
    err = res.stderr.decode()
    report_text, _, message = err.partition("]\n")
    return res.returncode, res.stdout, json.loads(report_text + "]"), message


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
    # (target, path): served?
    ("gpu", "process_vm"): False, ("gpu", "proc_mem"): True, ("gpu", "ioctl"): True,
    ("noaccess", "process_vm"): False, ("noaccess", "proc_mem"): False,
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

libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                      ctypes.c_long]
libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
MAP_FAILED = ctypes.c_void_p(-1).value


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
        fd = os.open("/dev/iodbg", os.O_RDWR)
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


@pytest.mark.parametrize("variant,device_path", [("access", "proc_mem"),
                                                 ("noaccess", "ioctl")])
def test_range_across_ordinary_and_device_mappings(span, variant, device_path):
    base, data = span(variant)
    status, got, report, message = read(os.getpid(), base + PAGE + 10, 2 * PAGE)
    assert status == 0, message
    assert got == data[PAGE + 10:3 * PAGE + 10]
    assert served_by(report) == [(PAGE - 10, "process_vm"), (PAGE + 10, device_path)]


def test_range_across_mappings_with_one_path_forced(span):
    """process_vm serves the ordinary part and stops at the device mapping, exactly."""
    base, data = span("noaccess")
    status, got, report, _ = read(os.getpid(), base + PAGE, 2 * PAGE, "--path=process_vm")
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


# ---- without the modules ----

def loaded(name):
    return os.path.exists(f"/sys/module/{name}")


def vm_io_mapping(pid):
    """An ordinary process's own VM_IO mapping ([vvar] where the kernel has one)."""
    maps = json.loads(iodbg("maps", "--json", pid).stdout)
    return next((m for m in maps if m["kind"] == "io"), None)


def insmod_missing():
    """Load again, in the runner's order and with its parameters, what a test unloaded."""
    with open(os.path.join(os.environ["IODBG_RUN"], "modules")) as f:
        for line in f:
            path, *params = line.split()
            if not loaded(os.path.basename(path)[:-len(".ko")]):
                subprocess.run(["insmod", path, *params], check=True)


def rmmod(name):
    """Objects of targets that just exited may still be on their way out: try for a while."""
    for _ in range(50):
        if subprocess.run(["rmmod", name], stderr=subprocess.DEVNULL).returncode == 0:
            return
        time.sleep(0.1)
    subprocess.run(["rmmod", name], check=True)


def test_without_the_modules(start):
    try:
        for holder in os.listdir("/sys/module/iodbg/holders"):   # the drivers on iodbg
            rmmod(holder)
        rmmod("iodbg")
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
    finally:
        insmod_missing()
    assert os.path.exists("/dev/iodbg")
