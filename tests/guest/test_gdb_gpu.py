"""The GDB package's GPU object and mapping commands, in the real gdb attached to a program
with real gpu_sim buffer objects: placements before and after eviction, dumps checked
against the program's pattern, and which path served the bytes; and a PCI BAR mapping that
'info iodbg-maps' must not read."""
import contextlib
import glob
import os
import re
import subprocess
import sys

import pytest

import iodbg_test_uapi as uapi
from targets import (PATCHED_KERNEL, GpuTarget, Target, gdb_mi, gdb_table, gdb_words,
                     gpu_pattern, iodbg_gdb)

VRAM, GART, SYSTEM = uapi.IODBG_PLACEMENT_DEVICE, uapi.IODBG_PLACEMENT_GART, \
    uapi.IODBG_PLACEMENT_SYSTEM
PAGE = 4096


def gpu_rows(out):
    return {int(row[0]): row for row in gdb_table(out, "Handle")}


def test_info_gpu_objects_before_and_after_eviction(start):
    t = start(GpuTarget, 3, 4, VRAM)
    t.move(1, GART)
    rows = gpu_rows(iodbg_gdb(t.pid, "info gpu-objects"))
    assert sorted(rows) == sorted(bo["id"] for bo in t.bos)
    for i, bo in enumerate(t.bos):
        handle, size, placement, mapping, offset, flags = rows[bo["id"]]
        assert int(size) == bo["size"] == 4 * PAGE
        assert placement == ("GART" if i == 1 else "VRAM")
        assert mapping == f"{bo['addr']:#x}-{bo['addr'] + bo['size']:#x}"
        assert offset == "0x0" and flags == "-"
    t.move(0, SYSTEM)
    rows = gpu_rows(iodbg_gdb(t.pid, "info gpu-objects"))
    assert rows[t.bos[0]["id"]][2] == "system"


def test_x_on_a_gpu_object_before_and_after_eviction(start):
    t = start(GpuTarget, 1, 2, VRAM)
    bo = t.bos[0]
    expect = [int.from_bytes(gpu_pattern(bo["id"], 0x1000 + 8 * i, 8), "little")
              for i in range(4)]
    before = iodbg_gdb(t.pid, f"x/4gx $gpu_bo({bo['id']}) + 0x1000")
    t.move(0, SYSTEM)
    after = iodbg_gdb(t.pid, f"x/4gx $gpu_bo({bo['id']}) + 0x1000")
    assert gdb_words(before) == expect and gdb_words(after) == expect


def test_iodbg_dump_of_a_gpu_object_by_handle(start, tmp_path):
    t = start(GpuTarget, 2, 8, VRAM)
    bo = t.bos[1]
    t.move(1, GART)
    path = tmp_path / "bo.bin"
    out = iodbg_gdb(t.pid, f"iodbg dump {path} {bo['id']}")
    assert f"Wrote {bo['size']} bytes to {path} (read by: object)." in out
    assert path.read_bytes() == gpu_pattern(bo["id"], 0, bo["size"])


PEAK_RSS = ("python import resource; "
            "print('peak', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")


def test_iodbg_dump_of_a_large_object_keeps_gdb_memory_flat(start):
    """A dump streams to its file: gdb's peak memory grows by a small part of the object."""
    t = start(GpuTarget, 1, 32768, SYSTEM)
    bo = t.bos[0]
    out = iodbg_gdb(t.pid, PEAK_RSS, f"iodbg dump /dev/null {bo['id']}", PEAK_RSS)
    assert f"Wrote {bo['size']} bytes to /dev/null (read by: object)." in out
    before, after = (int(kib) * 1024 for kib in re.findall(r"^peak (\d+)$", out, re.M))
    assert after - before < bo["size"] // 4, f"peak {before} bytes before, {after} after"


def test_iodbg_dump_of_an_address_range_by_a_forced_path(start, tmp_path):
    t = start(GpuTarget, 1, 4, VRAM)
    bo = t.bos[0]
    path = tmp_path / "range.bin"
    out = iodbg_gdb(t.pid, "set iodbg path ioctl", "show iodbg path",
                    f"iodbg dump {path} {bo['addr'] + 100:#x} 5000")
    assert "The iodbg commands use path: ioctl." in out
    assert f"Wrote 5000 bytes to {path} (read by: ioctl)." in out
    assert path.read_bytes() == gpu_pattern(bo["id"], 100, 5000)


def test_info_iodbg_maps_says_which_path_reads_each_mapping(start):
    t = start(GpuTarget, 1, 1, VRAM)
    bo = t.bos[0]
    out = iodbg_gdb(t.pid, "info iodbg-maps")
    row = next(line for line in out.splitlines() if line.startswith(f"{bo['addr']:#x}"))
    assert re.search(rf"\bio\b.*gpu_bo {bo['id']} \(device\)", row)
    assert row.endswith("proc_mem")     # gpu_sim's ->access serves /proc/PID/mem
    assert re.search(r"ordinary .*\[stack\]\s+process_vm$", out, re.M)


def test_info_iodbg_maps_with_a_mapping_that_has_no_access(start):
    """The debug ioctl reads it; with the kernel series, /proc/PID/mem already does."""
    t = start(Target, "scratch_map", "2", "noaccess")
    out = iodbg_gdb(t.pid, "info iodbg-maps")
    row = next(line for line in out.splitlines() if line.startswith(f"{t.addr:#x}"))
    assert row.endswith("proc_mem" if PATCHED_KERNEL else "ioctl"), row


# Python's mmap module wants a file at least as large as the mapping: a BAR smaller than a
# page is not.
PCI_BAR_TARGET = """
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                      ctypes.c_int, ctypes.c_long]
fd = os.open(sys.argv[1], os.O_RDWR | os.O_SYNC)
addr = libc.mmap(None, os.sysconf("SC_PAGE_SIZE"), 3, 1, fd, 0)   # read/write, shared
if addr == ctypes.c_void_p(-1).value:
    sys.exit(os.strerror(ctypes.get_errno()))
print(f"ready {addr:#x}", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def register_bar():
    """A program that maps the register BAR (BAR 0) of the VM's ivshmem device, whose BAR 2
    is gpu_sim's VRAM, through its sysfs resource file: VM_IO|VM_PFNMAP, ->access is
    generic_access_phys(), device registers and not an iodbg object. Yields (pid, start
    address of the mapping)."""
    bars = [f"{dev}/resource0" for dev in sorted(glob.glob("/sys/bus/pci/devices/*"))
            if open(f"{dev}/vendor").read().strip() == "0x1af4" and
            open(f"{dev}/device").read().strip() == "0x1110"]
    assert bars, "the test VM has an ivshmem device (scripts/vm-run)"
    proc = subprocess.Popen([sys.executable, "-c", PCI_BAR_TARGET, bars[0]],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        ready = proc.stdout.readline().split()
        assert ready[:1] == ["ready"], f"cannot map {bars[0]}"
        yield proc.pid, int(ready[1], 16)
    finally:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def calls_of(function):
    """A kprobe on a kernel function for the with-block; yields a callable that returns how
    often the function ran so far."""
    tracing = "/sys/kernel/tracing"
    if not os.path.exists(f"{tracing}/kprobe_events"):
        subprocess.run(["mount", "-t", "tracefs", "nodev", tracing], check=True)
    name = f"iodbg_test_{function}"

    def write(path, text):
        # O_APPEND keeps the other probes; Python's "a" mode would also seek, which tracefs
        # refuses.
        fd = os.open(f"{tracing}/{path}", os.O_WRONLY | os.O_APPEND)
        try:
            os.write(fd, text.encode() + b"\n")
        finally:
            os.close(fd)

    write("kprobe_events", f"p:{name} {function}")
    try:
        write(f"events/kprobes/{name}/enable", "1")

        def hits():
            with open(f"{tracing}/kprobe_profile") as f:
                return next(int(line.split()[1]) for line in f if line.split()[0] == name)
        yield hits
    finally:
        write(f"events/kprobes/{name}/enable", "0")
        write("kprobe_events", f"-:{name}")


def maps_row(out, start):
    return next(line for line in out.splitlines() if line.startswith(f"{start:#x}"))


def test_info_iodbg_maps_does_not_read_device_registers(register_bar):
    """A device read through /proc/PID/mem goes through generic_access_phys(): the kprobe
    counts what gdb made the kernel do. With allow-mmio on, the same probe does read."""
    pid, start = register_bar
    with calls_of("generic_access_phys") as hits:
        out = iodbg_gdb(pid, "info iodbg-maps", "info iodbg-maps --verbose")
        assert hits() == 0, "info iodbg-maps read a device register"
        consented = iodbg_gdb(pid, "set iodbg allow-mmio on", "info iodbg-maps")
        assert hits() > 0, "with allow-mmio on, the probe reads through the driver's ->access"
    row = maps_row(out, start)
    assert re.search(r"\bio\s+-\s+/sys/\S+/resource0\s+none: MMIO, set iodbg allow-mmio on$",
                     row), row
    lines = out.splitlines()
    first = lines.index(row)
    second = lines.index(row, first + 1)
    assert lines[second + 1].startswith("    not read: "), lines[second:second + 2]
    assert "allow-mmio" in lines[second + 1]
    assert not lines[first + 1].startswith("    "), "the long reason only with --verbose"
    assert maps_row(consented, start).endswith("proc_mem")


def test_info_iodbg_maps_read_by_stays_short(start):
    """Whatever happens to a mapping, 'Read by' is a path or one short reason."""
    t = start(Target, "scratch_map", "2", "noaccess")
    out = iodbg_gdb(t.pid, "info iodbg-maps")
    rows = gdb_table(out, "Start")
    assert rows
    for row in rows:
        assert re.fullmatch(r"process_vm|proc_mem|ptrace|ioctl|none: [a-zA-Z ,-]{1,40}",
                            row[-1]), row


def test_mi_gpu_objects(start):
    t = start(GpuTarget, 2, 1, GART)
    [record] = gdb_mi(t.pid, "-iodbg-gpu-objects")
    assert record.startswith("^done,objects=[")
    handles = [int(h) for h in re.findall(r'handle="(\d+)"', record)]
    assert sorted(handles) == sorted(bo["id"] for bo in t.bos)
    assert record.count('placement="GART"') == 2


def test_gpu_bo_inside_an_iodbg_command(start, tmp_path):
    """$gpu_bo() evaluated by 'iodbg dump' itself, in the same command."""
    t = start(GpuTarget, 2, 2, VRAM)
    bo = t.bos[1]
    path = tmp_path / "bo.bin"
    out = iodbg_gdb(t.pid, f"iodbg dump {path} $gpu_bo({bo['id']}) 4096",
                    f"iodbg dump {path}.2 $gpu_bo({bo['id']})+4096 "
                    f"$gpu_bo({bo['id']})-$gpu_bo({bo['id']})+100")
    assert f"Wrote 4096 bytes to {path} (read by: proc_mem)." in out, out
    assert path.read_bytes() == gpu_pattern(bo["id"], 0, 4096)
    assert (tmp_path / "bo.bin.2").read_bytes() == gpu_pattern(bo["id"], 4096, 100), out


def test_gpu_errors_are_gdb_errors(start):
    t = start(GpuTarget, 1, 1, VRAM)
    out = iodbg_gdb(t.pid, "print $gpu_bo(424242)", "iodbg dump /tmp/x 424242",
                    f"iodbg dump /nonexistent/dir/x {t.bos[0]['id']}",
                    "iodbg dump /tmp/x", f"iodbg dump /tmp/x {t.bos[0]['addr']:#x} 0")
    assert "No GPU object 424242 ('info gpu-objects' lists them)." in out
    assert "No iodbg object 424242 in the program" in out
    assert "/nonexistent/dir/x: No such file or directory" in out
    assert "Usage: iodbg dump FILE CTX|HANDLE" in out
    assert "Length must not be zero." in out
