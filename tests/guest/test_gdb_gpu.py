"""The GDB package's GPU object and mapping commands, in the real gdb attached to a program
with real gpu_sim buffer objects: placements before and after eviction, dumps checked
against the program's pattern, and which path served the bytes."""
import re

import iodbg_uapi as uapi
from targets import (GpuTarget, Target, gdb_mi, gdb_table, gdb_words, gpu_pattern,
                     iodbg_gdb)

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
    t = start(Target, "scratch_map", "2", "noaccess")
    out = iodbg_gdb(t.pid, "info iodbg-maps")
    row = next(line for line in out.splitlines() if line.startswith(f"{t.addr:#x}"))
    assert row.endswith("ioctl"), row


def test_mi_gpu_objects(start):
    t = start(GpuTarget, 2, 1, GART)
    [record] = gdb_mi(t.pid, "-iodbg-gpu-objects")
    assert record.startswith("^done,objects=[")
    handles = [int(h) for h in re.findall(r'handle="(\d+)"', record)]
    assert sorted(handles) == sorted(bo["id"] for bo in t.bos)
    assert record.count('placement="GART"') == 2


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
