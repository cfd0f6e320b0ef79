"""iodbg-coredump as the kernel's core_pattern handler: a process with GPU objects in each
placement, and one with SPU contexts, killed by a signal; the saved core has the device memory
the kernel leaves out (stock gdb reads it, eu-readelf -n lists iodbg's and Cell's notes, iodbg
objects --core matches the live listing), the report has the signal, each thread's stack and
the objects; the previous handler chained gets the kernel's core as it came; a wrong pid, a
zero or small RLIMIT_CORE still save the kernel's core (or say why not). iodbg stacks marks
a live thread blocked on device memory, and the report marks one that was when the process
died."""
import ctypes
import os
import pathlib
import re
import resource
import signal
import struct
import shutil
import subprocess
import tempfile
import time

import pytest

import iodbg_test_uapi as uapi
from targets import (IODBG, LIBIODBG_O, PROGS, GpuTarget, SpuTarget, gdb_words, gpu_pattern, iodbg,
                     spu_pattern)
from test_core import PT_LOAD, gdb_core, listed, notes

HANDLER = os.path.join(LIBIODBG_O, "bin", "iodbg-coredump")
PAGE = os.sysconf("SC_PAGE_SIZE")
NOBODY = 65534
SYS_TGKILL = 234         # x86-64
NEWROOT = "/newroot"     # where guest-init mounts the root the tests run in
VRAM, GART, SYSTEM = uapi.IODBG_PLACEMENT_DEVICE, uapi.IODBG_PLACEMENT_GART, \
    uapi.IODBG_PLACEMENT_SYSTEM


def sysctl(name, value=None):
    path = "/proc/sys/kernel/" + name
    old = open(path).read().rstrip("\n")
    if value is not None:
        with open(path, "w") as f:
            f.write(value)
    return old


@pytest.fixture
def handler():
    """handler(args=..., pipe_limit=1, core_limit=...): install iodbg-coredump in
    core_pattern, saving into a new folder (returned); the targets started afterwards get
    @core_limit as RLIMIT_CORE. Restored after the test.

    The kernel runs the handler in its own root, which in the test VM is the initramfs, not
    the chroot the tests run in: a wrapper there chroots into ours first (/proc/1/root is the
    initramfs, and guest-init mounts our root at /newroot in it)."""
    pattern, pipe_limit = sysctl("core_pattern"), sysctl("core_pipe_limit")
    rlimit = resource.getrlimit(resource.RLIMIT_CORE)
    outside = "/proc/1/root"
    assert os.path.samestat(os.stat(outside + NEWROOT), os.stat("/")), "not in the test VM"
    # core_pattern holds 127 bytes: short names.
    dumps = pathlib.Path(tempfile.mkdtemp(prefix="cd", dir="/tmp"))
    wrapper = f"/bin/{dumps.name}"
    with open(outside + wrapper, "w") as f:
        f.write(f"#!/bin/sh\nexec /bin/chroot {NEWROOT} {HANDLER} -d {dumps}/dumps \"$@\"\n")
    os.chmod(outside + wrapper, 0o755)

    def install(args="%P %i %s %c", pipe_limit=1, core_limit=resource.RLIM_INFINITY):
        sysctl("core_pattern", f"|{wrapper} {args}")
        assert sysctl("core_pattern") == f"|{wrapper} {args}"
        sysctl("core_pipe_limit", str(pipe_limit))
        resource.setrlimit(resource.RLIMIT_CORE, (core_limit, resource.RLIM_INFINITY))
        return dumps / "dumps"
    yield install
    sysctl("core_pattern", pattern)
    sysctl("core_pipe_limit", pipe_limit)
    resource.setrlimit(resource.RLIMIT_CORE, rlimit)
    os.unlink(outside + wrapper)
    shutil.rmtree(dumps)


def tgkill(pid, tid, sig):
    assert ctypes.CDLL(None, use_errno=True).syscall(SYS_TGKILL, pid, tid, sig) == 0


def crash(t, dumps, sig=signal.SIGSEGV, tid=None):
    """Kill target @t with @sig (sent to its thread @tid if given); (core path or None, report
    text) once the report is there."""
    if tid is None:
        os.kill(t.pid, sig)
    else:
        tgkill(t.pid, tid, sig)
    status = t.proc.wait(timeout=300)
    assert status == -sig
    deadline = time.monotonic() + 60
    while True:
        reports = [p for p in dumps.glob("*.txt")] if dumps.exists() else []
        if reports or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert len(reports) == 1, list(dumps.iterdir()) if dumps.exists() else "no directory"
    core = reports[0].with_suffix("")
    return (core if core.exists() else None), reports[0].read_text()


def report_objects(report):
    """{id: placement} of the report's object table."""
    table = report.split("\niodbg objects:\n", 1)[1]
    return {int(m[1]): m[2] for m in re.finditer(
        r"^(?:[0-9a-f]{12}-[0-9a-f]{12}|\(held, not mapped\))\s+(\d+)\s+\S+\s+(\S+)", table, re.M)}


def test_crash_keeps_gpu_objects(start, handler):
    dumps = handler()
    t = start(GpuTarget, 3, 4, VRAM)
    t.move(1, GART)
    t.move(2, SYSTEM)
    live = listed(t.pid)
    core, report = crash(t, dumps)
    assert core is not None, report
    assert f"Process {t.pid} (gpu_bo) of uid 0 dumped core on signal 11 (SIGSEGV)" in report
    assert "with 3 device mappings" in report and "3 iodbg objects added" in report, report
    # Every thread's stack, the crashed one marked, down to main.
    assert f"Thread {t.pid}, crashed:\n" in report, report
    assert re.search(r"^  #\d+\s+0x[0-9a-f]{16} main\+0x[0-9a-f]+ \(gpu_bo\)$", report, re.M), \
        report
    assert report_objects(report) == {bo["id"]: p for bo, p in
                                      zip(t.bos, ["device", "gart", "system"])}, report
    assert "Problems:" not in report, report
    # The objects as they were when the process died.
    assert listed("--core", core) == live
    # Stock gdb reads each object's bytes at its address, and unwinds.
    out = gdb_core(os.path.join(PROGS, "gpu_bo"), core, "bt",
                   *[f"x/4gx {bo['addr'] + PAGE:#x}" for bo in t.bos])
    words = gdb_words(out)
    for i, bo in enumerate(t.bos):
        want = gpu_pattern(bo["id"], PAGE, 32)
        assert words[4 * i:4 * i + 4] == [int.from_bytes(want[j:j + 8], "little")
                                          for j in range(0, 32, 8)], out
    assert re.search(r"^#\d+ .*\bmain \(", out, re.M), out
    assert "Cannot access memory" not in out, out
    # The kernel's notes and iodbg's, as eu-readelf lists them.
    out = subprocess.run(["eu-readelf", "-n", str(core)], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True).stdout
    for note in ["PRSTATUS", "PRPSINFO", "SIGINFO", "AUXV", "FILE"]:
        assert re.search(rf"^\s+CORE\s+\d+\s+{note}$", out, re.M), (note, out)
    assert len(re.findall(r"^\s+IODBG\s+", out, re.M)) == 4, out     # CORE, three objects
    # Each device mapping's segment: the kernel's program header, now with the bytes.
    loads = {vaddr: (filesz, memsz) for ty, _, vaddr, filesz, memsz in phdrs_of(core)
             if ty == PT_LOAD}
    for bo in t.bos:
        assert loads[bo["addr"]] == (bo["size"], bo["size"])


def phdrs_of(path):
    """[(type, offset, vaddr, filesz, memsz)] of the program headers of the core at @path."""
    data = open(path, "rb").read()
    phoff, = struct.unpack_from("<Q", data, 32)
    phnum, = struct.unpack_from("<H", data, 56)
    return [tuple(struct.unpack_from("<IIQQQQQQ", data, phoff + 56 * i)[k] for k in (0, 2, 3, 5, 6))
            for i in range(phnum)]


def test_crash_keeps_spu_contexts(start, handler):
    """Context 0 runs, 1 is stopped (its saved copy is dumped), 2 is held but unmapped (in
    data notes); each in Cell's SPU/ notes. A second thread: the report has both stacks."""
    dumps = handler()
    t = start(SpuTarget, 3)
    t.ok("stop 1")
    t.ok("unmap 2")
    tid = int(t.command("thread").split("=")[1])
    core, report = crash(t, dumps, signal.SIGABRT)
    assert core is not None, report
    assert "signal 6 (SIGABRT)" in report
    assert f"Thread {t.pid}, crashed:\n" in report and f"Thread {tid}:\n" in report, report
    assert set(report_objects(report)) == {c[k] for c in t.ctxs for k in ("ls_id", "regs_id")}
    found = notes(core)
    spu = {n: d for n, ty, d in found if n.startswith("SPU/")}
    for c in t.ctxs:
        assert spu[f"SPU/{c['ls_fd']}/mem"][:4096] == spu_pattern(c["ls_id"], 0, 4096)
    out = gdb_core(os.path.join(PROGS, "spu_ctx"), core,
                   *[f"x/2gx {t.ctxs[i]['ls'] + 64:#x}" for i in (0, 1)])
    words = gdb_words(out)
    for k, i in enumerate((0, 1)):
        want = spu_pattern(t.ctxs[i]["ls_id"], 64, 16)
        assert words[2 * k:2 * k + 2] == [int.from_bytes(want[:8], "little"),
                                          int.from_bytes(want[8:], "little")], out
    out = subprocess.run(["eu-readelf", "-n", str(core)], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True).stdout
    assert re.search(rf"^\s+SPU/{t.ctxs[0]['ls_fd']}/mem\s+", out, re.M), out


def test_chained_handler_gets_the_kernels_core(start, handler):
    """--chain: the next handler (here tee) gets the kernel's core as it came, which is the
    start of the saved one; with core_pipe_limit 0 the kernel does not wait for the handlers,
    and the device memory is still there (it is read before the core is)."""
    dumps = handler(pipe_limit=0)
    chained = dumps.parent / "chained"
    handler(f"%P %i %s %c --chain /usr/bin/tee {chained}", pipe_limit=0)
    t = start(GpuTarget, 1, 4, VRAM)
    core, report = crash(t, dumps)
    assert "with 1 device mappings" in report, report
    size = int(re.search(r"the kernel's, (\d+) bytes", report)[1])
    kernel = chained.read_bytes()
    assert len(kernel) == size and open(core, "rb").read(size)[64:] == kernel[64:]
    res = iodbg("read", "--core", core, "-o", "-", hex(t.bos[0]["addr"]), t.bos[0]["size"])
    assert res.returncode == 0 and res.stdout == gpu_pattern(t.bos[0]["id"], 0, t.bos[0]["size"])


def test_wrong_pid_keeps_the_kernels_core(start, handler):
    """A pattern that gives another process's pid (1, not dumping core) must not put that
    process's memory in the core: the kernel's core is saved as it came, with the reason."""
    dumps = handler("1 %i %s %c")
    t = start(GpuTarget, 1, 4, VRAM)
    core, report = crash(t, dumps)
    assert core is not None, report
    assert ("process 1 is not dumping a core (CoreDumping: 0 in /proc/1/status)" in report)
    assert "without device memory" in report
    assert not [n for n, _, _ in notes(core) if n == "IODBG"]
    out = gdb_core(os.path.join(PROGS, "gpu_bo"), core, "bt", f"x/2gx {t.bos[0]['addr']:#x}")
    assert re.search(r"^#\d+ .*\bmain \(", out, re.M), out
    # What the kernel's core alone gives: zeros where the object's bytes were.
    assert gdb_words(out) == [0, 0], out


def test_rlimit_core(start, handler):
    """RLIMIT_CORE (%c), which the kernel leaves to a pipe's handler: 0 saves no core, only
    the report; a small one cuts the core there, as the kernel cuts a core file."""
    dumps = handler(core_limit=0)
    t = start(GpuTarget, 1, 4, VRAM)
    core, report = crash(t, dumps)
    assert core is None and "RLIMIT_CORE is 0: no core saved" in report, report
    for p in dumps.iterdir():
        p.unlink()
    handler(core_limit=64 << 10)
    t = start(GpuTarget, 1, 4, VRAM)
    core, report = crash(t, dumps)
    assert os.path.getsize(core) == 64 << 10
    assert "the core was cut at RLIMIT_CORE (65536 bytes)" in report, report


def wait_for_wchan(pid, name, timeout=60):
    deadline = time.monotonic() + timeout
    while open(f"/proc/{pid}/wchan").read() != name:
        assert time.monotonic() < deadline, open(f"/proc/{pid}/wchan").read()
        time.sleep(0.05)


def start_blocked_on_registers(start, user=None):
    """An SPU program whose main thread reads bytes 8-15 of its stopped context's registers,
    and so waits in the fault, beside an idle thread: (target, the idle thread's tid, the
    context)."""
    t = start(SpuTarget, 1, user=user)
    tid = int(t.command("thread").split("=")[1])
    t.ok("stop 0")
    t.proc.stdin.write("regs 0 8 8\n")
    t.proc.stdin.flush()
    wait_for_wchan(t.pid, "iodbg_vm_fault")
    return t, tid, t.ctxs[0]


@pytest.mark.parametrize("user", [None, NOBODY], ids=["root", "nobody"])
def test_stacks_marks_thread_blocked_on_device_memory(start, user):
    """iodbg stacks: the main thread reads the registers of a stopped SPU context and waits
    in the fault; it is marked with the address and the object, the idle thread is not; both
    stacks unwind. A plain user does it to their own process."""
    t, tid, c = start_blocked_on_registers(start, user)
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        exe = shutil.copy(IODBG, tmp)     # the build may be where nobody cannot reach
        res = subprocess.run([exe, "stacks", str(t.pid)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, timeout=120, user=user,
                             group=user, extra_groups=[] if user is not None else None)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    main, idle = out.split("\n\n")
    assert main.startswith(f"Thread {t.pid} (spu_ctx), blocked:\n"), out
    assert (f"    blocked on device memory at {c['regs'] + 8:#x}: iodbg object {c['regs_id']} "
            f"(spu_regs, saved, offset 0x8) in iodbg:[spu_regs:") in main, out
    assert re.search(r"^  #0\s+0x[0-9a-f]{16} print_bytes\+", main, re.M), out
    assert re.search(r"^  #\d+\s+0x[0-9a-f]{16} main\+0x[0-9a-f]+ \(spu_ctx\)$", main, re.M), out
    assert idle.startswith(f"Thread {tid} (spu_ctx):\n"), out
    assert re.search(r"^  #\d+\s+0x[0-9a-f]{16} idle_thread\+0x[0-9a-f]+ \(spu_ctx\)$", idle,
                     re.M), out
    # The thread goes on waiting, and reads the registers once the context runs again.
    assert open(f"/proc/{t.pid}/wchan").read() == "iodbg_vm_fault"


def test_crash_marks_thread_blocked_on_device_memory(start, handler):
    """The main thread waits in the fault on the registers of a stopped SPU context when the
    other thread takes SIGSEGV: the report marks the crashed thread as crashed, and the main
    thread with the address its instruction accesses and the object."""
    dumps = handler()
    t, tid, c = start_blocked_on_registers(start)
    core, report = crash(t, dumps, tid=tid)
    assert core is not None, report
    stacks = report.split("\nStacks:\n", 1)[1].split("\niodbg objects:\n", 1)[0]
    assert f"Thread {tid}, crashed:\n  #" in stacks, report
    assert (f"Thread {t.pid}:\n    at an access to device memory at {c['regs'] + 8:#x}: "
            f"iodbg object {c['regs_id']} (spu_regs, saved, offset 0x8)\n  #0 ") in stacks, report
    assert re.search(r"^  #0\s+0x[0-9a-f]{16} print_bytes\+", stacks, re.M), report


def test_crash_on_device_memory_is_marked(start, handler):
    """A thread that faults on device memory (a write to a read-only mapping of a buffer
    object): the report marks the crashed thread with the address and the object."""
    dumps = handler()
    t = start(GpuTarget, 2, 4, VRAM)
    t.move(1, GART)
    bo = t.bos[1]
    t.command("protect 1")
    t.proc.stdin.write(f"poke 1 {PAGE + 8}\n")
    t.proc.stdin.flush()
    assert t.proc.wait(timeout=300) == -signal.SIGSEGV
    deadline = time.monotonic() + 60
    while not list(dumps.glob("*.txt")):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    report = next(dumps.glob("*.txt")).read_text()
    assert (f"Thread {t.pid}, crashed:\n    faulted on device memory at "
            f"{bo['addr'] + PAGE + 8:#x}: iodbg object {bo['id']} (gpu_bo, gart, offset "
            f"{PAGE + 8:#x})") in report, report
