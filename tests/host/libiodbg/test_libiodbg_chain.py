"""The chain against a real child process's ordinary memory: every path forced in turn,
unaligned heads and tails, ranges across mappings, a PROT_NONE page, a hole, writes read back
by the target itself, and the report of which path served each range."""
import ctypes
import errno
import os
import subprocess

import pytest

from libiodbg_py import (PATH_IOCTL, PATH_NONE, PATH_PROC_MEM, PATH_PROCESS_VM, PATH_PTRACE, PATHS, REGIONS,
                         Tracee, errname, pattern)

PAGE = 4096
# The host never loads modules, but a machine with iodbg loaded can run these tests too.
NO_MODULE = not os.path.exists("/dev/iodbg")
FORCED = ["process_vm", "proc_mem", "ptrace"]


@pytest.fixture(params=["auto"] + FORCED)
def path(request):
    """Each policy; for ptrace this test process stops the target under its ptrace first."""
    if request.param == "ptrace":
        request.getfixturevalue("tracee")
    return request.param


def served_by(report):
    return [(s["addr"], s["len"], s["path"]) for s in report]


def test_whole_regions(handle, target, path):
    assert handle.set_path(path) == 0
    for name in ["two", "file"]:
        addr, size = target.regions[name]
        n, data, _ = handle.read(addr, size)
        assert n == size, handle.errmsg()
        assert data == target.expect(name, 0, size)


def test_unaligned_heads_and_tails(handle, target, path):
    """Every start and end position within a word, and across the page boundary."""
    assert handle.set_path(path) == 0
    for offset in list(range(0, 17)) + [PAGE - 9, PAGE - 1]:
        for length in [1, 2, 3, 7, 8, 9, 15, 16, 17, 33]:
            n, data, report = handle.read(target.addr("big", offset), length, report=True)
            assert n == length, handle.errmsg()
            assert data == target.expect("big", offset, length), (offset, length)
            expected_path = PATH_PROCESS_VM if path == "auto" else PATHS[path]
            assert [s["path"] for s in report] == [expected_path]


def test_span_two_mappings(handle, target, path):
    """rw- then r--: one segment per mapping, each by the first path that works."""
    assert handle.set_path(path) == 0
    start = target.addr("two", PAGE - 100)
    n, data, report = handle.read(start, 300, report=True)
    assert n == 300, handle.errmsg()
    assert data == target.expect("two", PAGE - 100, 300)
    p = PATH_PROCESS_VM if path == "auto" else PATHS[path]
    assert served_by(report) == [(start, 100, p), (start + 100, 200, p)]


def test_prot_none_page(handle, target):
    """process_vm_readv honours PROT_NONE; /proc/PID/mem (FOLL_FORCE) reads it, as gdb does."""
    start = target.addr("guard", PAGE - 8)
    n, data, report = handle.read(start, PAGE + 16, report=True)
    assert n == PAGE + 16, handle.errmsg()
    assert data == target.expect("guard", PAGE - 8, PAGE + 16)
    assert served_by(report) == [(start, 8, PATH_PROCESS_VM),
                                 (start + 8, PAGE, PATH_PROC_MEM),
                                 (start + 8 + PAGE, 8, PATH_PROCESS_VM)]
    middle = report[1]["attempts"]
    assert [(a["path"], a["error"], a["skipped"]) for a in middle] == [
        (PATH_PROCESS_VM, -errno.EFAULT, False), (PATH_PROC_MEM, 0, False)]
    assert "no page it can read" in middle[0]["why"]


def test_prot_none_forced_process_vm_stops_exactly(handle, target):
    handle.set_path("process_vm")
    start = target.addr("guard", PAGE - 8)
    n, data, _ = handle.read(start, 32)
    assert n == 8
    assert data == target.expect("guard", PAGE - 8, 8) + b"\xaa" * 24
    assert f"stopped at 0x{start + 8:x} after 8 bytes" in handle.errmsg()


def test_hole_stops_the_read_exactly(handle, target, path):
    """Bytes past the first unreachable one are neither returned nor touched: no zero-fill."""
    handle.set_path(path)
    start = target.addr("hole", PAGE - 5)
    n, data, report = handle.read(start, 64, report=True)
    assert n == 5, handle.errmsg()
    assert data == target.expect("hole", PAGE - 5, 5) + b"\xaa" * 59
    assert report[-1]["path"] == PATH_NONE
    assert (report[-1]["addr"], report[-1]["len"]) == (start + 5, 59)
    assert report[-1]["why"] == "nothing is mapped there"
    assert "nothing is mapped there" in handle.errmsg()


def test_read_in_a_hole(handle, target):
    n, data, report = handle.read(target.addr("hole", PAGE + 10), 16, report=True)
    assert n == -errno.EFAULT, errname(n)
    assert data == b"\xaa" * 16
    attempts = report[0]["attempts"]
    assert [(a["path"], errname(a["error"]), a["skipped"]) for a in attempts[:3]] == [
        (PATH_PROCESS_VM, "EFAULT", False), (PATH_PROC_MEM, "EIO", False),
        (PATH_PTRACE, "EPERM", True)]
    assert "not our tracee" in attempts[2]["why"]
    assert (attempts[3]["path"], errname(attempts[3]["error"]), attempts[3]["skipped"]) in [
        (PATH_IOCTL, "ENODEV", True), (PATH_IOCTL, "EFAULT", False)]
    if NO_MODULE:
        assert attempts[3]["why"] == "iodbg module not loaded (/dev/iodbg missing)"
    msg = handle.errmsg()
    assert msg.startswith(f"cannot read 16 bytes at 0x{target.addr('hole', PAGE + 10):x}: ")
    assert "process_vm EFAULT" in msg and "proc_mem EIO" in msg and "ptrace skipped" in msg


def test_vm_io_mapping_is_unreadable_with_the_reason(handle):
    """[vvar] is VM_IO | VM_PFNMAP and has no ->access: what a device mapping is without iodbg."""
    _, maps = handle.maps()
    vvar = next(m for m in maps if m["path"] == b"[vvar]")
    n, _, report = handle.read(vvar["start"] + 3, 8, report=True)
    assert n == -errno.EIO
    seg = report[0]
    assert seg["path"] == PATH_NONE and seg["error"] == -errno.EIO
    assert seg["why"].startswith("VM_IO mapping [vvar]: the kernel's ordinary paths cannot "
                                 "read it without a driver ->access; load iodbg")
    pvm = seg["attempts"][0]
    assert pvm["path"] == PATH_PROCESS_VM and pvm["skipped"]
    assert "load iodbg for the debug ioctl" in handle.errmsg()


def test_big_read_is_one_segment(handle, target):
    """8 MiB: more than one batch of 1024 page iovecs, still one exact read."""
    addr, size = target.regions["big"]
    n, data, report = handle.read(addr + 3, size - 3, report=True)
    assert n == size - 3
    assert data == target.expect("big", 3, size - 3)
    assert served_by(report) == [(addr + 3, size - 3, PATH_PROCESS_VM)]


def test_write_then_read_back(handle, target, path):
    """Unaligned writes leave the bytes around them as they were (ptrace's partial words)."""
    handle.set_path(path)
    for i, (offset, length) in enumerate([(101, 1), (200, 8), (301, 22), (PAGE - 3, 6)]):
        data = bytes((0x40 + i * 16 + j) & 0xFF for j in range(length))
        n, report = handle.write(target.addr("big", offset), data, report=True)
        assert n == length, handle.errmsg()
        assert len(report) == 1 and report[0]["path"] != PATH_NONE
        around = target.peek(target.addr("big", offset - 8), length + 16)
        assert around == (target.expect("big", offset - 8, 8) + data +
                          target.expect("big", offset + length, 8))
        n, back, _ = handle.read(target.addr("big", offset), length)
        assert (n, back) == (length, data)


def test_write_into_a_read_only_mapping(handle, target):
    """process_vm_writev respects r--; /proc/PID/mem writes with FOLL_FORCE, as a debugger
    setting a breakpoint in text does."""
    start = target.addr("two", PAGE - 4)
    n, report = handle.write(start, b"\x11" * 8, report=True)
    assert n == 8, handle.errmsg()
    assert served_by(report) == [(start, 4, PATH_PROCESS_VM), (start + 4, 4, PATH_PROC_MEM)]
    assert errname(report[1]["attempts"][0]["error"]) == "EFAULT"
    assert target.peek(start, 8) == b"\x11" * 8


def test_write_shared_file_mapping(handle, target):
    n, _ = handle.write(target.addr("file", 100), b"iodbg was here")
    assert n == 14
    assert target.peek(target.addr("file", 100), 14) == b"iodbg was here"


def test_write_stops_at_a_hole(handle, target):
    start = target.addr("hole", PAGE - 2)
    n, _ = handle.write(start, b"\x22" * 10)
    assert n == 2
    before = target.expect("hole", PAGE - 4, 2)
    assert target.peek(target.addr("hole", PAGE - 4), 4) == before + b"\x22\x22"


def test_ptrace_needs_our_tracee(handle, target):
    handle.set_path("ptrace")
    n, _, report = handle.read(target.addr("big"), 8, report=True)
    assert n == -errno.EPERM
    assert report[0]["attempts"][0]["skipped"]
    assert f"process {target.pid} is not our tracee" in handle.errmsg()


def test_ptrace_needs_a_stopped_tracee(lib, target):
    t = Tracee(target.pid)  # seized, still running
    try:
        err, h = lib.open(target.pid)
        h.set_path("ptrace")
        n, _, _ = h.read(target.addr("big"), 8)
        assert n == -errno.ESRCH
        assert "is not in a ptrace-stop" in h.errmsg()
        h.close()
    finally:
        t.detach()


def test_auto_falls_back_to_ptrace(handle, target, tracee):
    """Nothing else reads the hole either, but ptrace is tried on our tracee, and says so."""
    n, _, report = handle.read(target.addr("hole", PAGE), 8, report=True)
    assert n == -errno.EFAULT
    assert [(a["path"], a["skipped"]) for a in report[0]["attempts"]] == [
        (PATH_PROCESS_VM, False), (PATH_PROC_MEM, False), (PATH_PTRACE, False),
        (PATH_IOCTL, NO_MODULE)]
    assert errname(report[0]["attempts"][2]["error"]) in ("EIO", "EFAULT")


def test_report_is_cleared_by_each_transfer(lib, handle, target):
    rep = lib.c.iodbg_report_new()
    try:
        buf = bytearray(8)
        cbuf = (ctypes.c_char * 8).from_buffer(buf)
        assert lib.c.iodbg_read(handle.h, target.addr("two", PAGE - 4), cbuf, 8, rep) == 8
        assert lib.c.iodbg_report_count(rep) == 2
        assert lib.c.iodbg_read(handle.h, target.addr("big"), cbuf, 8, rep) == 8
        assert lib.c.iodbg_report_count(rep) == 1
        assert not lib.c.iodbg_report_get(rep, 1)
    finally:
        lib.c.iodbg_report_free(rep)


def test_path_names(lib):
    names = {p: lib.c.iodbg_path_name(p) for p in range(-1, 7)}
    assert names == {-1: None, 0: b"auto", 1: b"process_vm", 2: b"proc_mem", 3: b"ptrace",
                     4: b"ioctl", 5: b"object", 6: None}
    for name, number in PATHS.items():
        assert lib.c.iodbg_path_from_name(name.encode()) == number
    assert lib.c.iodbg_path_from_name(b"generic") == -errno.EINVAL
    assert lib.errmsg() == 'no path named "generic"'


def test_bad_policy(handle):
    assert handle.set_path(6) == -errno.EINVAL
    assert handle.set_path(-1) == -errno.EINVAL
    assert handle.errmsg() == "no path number -1"


def test_proc_mem_follows_an_execve(lib, build, tmp_path):
    """An open /proc/PID/mem stays with the old address space; after an execve the library
    opens it again instead of calling the process gone."""
    exe = build / "tests" / "target"
    sh = subprocess.Popen(["/bin/sh", "-c", f'read go; exec "{exe}" "{tmp_path}"'],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        _, h = lib.open(sh.pid)
        h.set_path("proc_mem")
        _, maps = h.maps()
        stack = next(m for m in maps if m["path"] == b"[stack]")
        assert h.read(stack["end"] - 8, 8)[0] == 8, h.errmsg()
        sh.stdin.write("go\n")
        sh.stdin.flush()
        assert sh.stdout.readline() == f"ready pid={sh.pid}\n"
        regions = {line.split()[1]: int(line.split()[2], 16)
                   for line in iter(sh.stdout.readline, "end\n")}
        n, data, _ = h.read(regions["big"] + 1, 100)
        assert n == 100, h.errmsg()
        assert data == pattern(REGIONS.index("big"), 1, 100)
        h.close()
    finally:
        sh.kill()
        sh.wait()


def test_mappings_read_again_after_a_miss(handle, target):
    """Reports follow a snapshot of the mappings; a piece that no path serves makes the chain
    read them again, so what changed since is described as it is now."""
    big = target.addr("big")
    n, _, report = handle.read(big, 8 * PAGE, report=True)
    assert n == 8 * PAGE and served_by(report) == [(big, 8 * PAGE, PATH_PROCESS_VM)]
    assert target.command(f"unmap {big + 3 * PAGE:x} {PAGE}") == "ok"
    n, data, report = handle.read(big, 8 * PAGE, report=True)
    assert n == 3 * PAGE, handle.errmsg()
    assert data[:n] == target.expect("big", 0, n)
    assert [(s["addr"], s["len"], s["path"]) for s in report[:2]] == [
        (big, 3 * PAGE, PATH_PROCESS_VM), (big + 3 * PAGE, PAGE, PATH_NONE)]
    assert report[1]["why"] == "nothing is mapped there"
    assert handle.errmsg().endswith(f"stopped at 0x{big + 3 * PAGE:x} after {3 * PAGE} bytes: "
                                    "nothing is mapped there" + handle.errmsg().split(
                                        "nothing is mapped there", 1)[1])


def probe_by_reading(handle, addr):
    """What iodbg_probe() must say of @addr: the path a one-byte read's report names."""
    n, _, report = handle.read(addr, 1, report=True)
    return (report[0]["path"], 0) if n == 1 else (PATH_NONE, n)


@pytest.mark.parametrize("path", ["auto", "process_vm", "proc_mem"])
def test_probe_agrees_with_a_read_of_each_address(handle, target, path):
    """Readable, PROT_NONE (process_vm refuses it, proc_mem reads it), unmapped, [vvar]
    (VM_IO without ->access): in one call, more addresses than one process_vm_readv batch
    takes, each answered as a one-byte iodbg_read() answers."""
    handle.set_path(path)
    _, maps = handle.maps()
    vvar = next(m for m in maps if m["path"] == b"[vvar]")["start"]
    special = [target.addr("guard", PAGE), target.addr("hole", PAGE + 10), vvar]
    big = [target.addr("big", i * PAGE) for i in range(2000)]
    addrs = big[:700] + special + big[700:] + special
    err, got = handle.probe(addrs)
    assert err == 0, handle.errmsg()
    expected = {a: probe_by_reading(handle, a) for a in set(addrs)}
    assert got == [expected[a] for a in addrs]
    assert expected[big[0]][0] == PATHS[path] if path != "auto" else PATH_PROCESS_VM
    assert expected[target.addr("hole", PAGE + 10)][0] == PATH_NONE


def test_probe_bad_arguments(lib, handle, target):
    assert handle.probe([])[0] == 0
    assert lib.c.iodbg_probe(handle.h, None, 1, None, None) == -errno.EINVAL
    assert lib.c.iodbg_probe(None, None, 0, None, None) == -errno.EINVAL
    handle.set_path("object")
    assert handle.probe([target.addr("two")])[0] == -errno.EINVAL
    assert "object" in handle.errmsg()


def test_probe_of_a_process_gone(handle, target):
    target.die(reap=True)
    err, _ = handle.probe([target.addr("two")])
    assert err == -errno.ESRCH, errname(err)
