"""Processes as large as real ones: a browser's 60,000 mappings, a GPU program's 10,000 buffer
objects. Every listing is complete and correct at that size: each mapping and object once, in
order, in the text and the --json output alike, and in gdb's 'info iodbg-maps' and
'info gpu-objects'."""
import json
import os
import re
import subprocess

import pytest

from targets import SLOWDOWN, Target, gdb_table, iodbg_gdb, key_values, smaps

IODBG = os.path.join(os.environ.get("IODBG_OUT", ""), "build", "libiodbg", "bin", "iodbg")
MAPPINGS = 60000
OBJECTS, HELD = 10000, 20
KIND_OF_WORDS = (("io", "io"), ("pf", "pfnmap"))


class ManyMaps(Target):
    """tests/progs/many_maps: ordinary mappings, mapped objects (their files closed) and held
    ones (never mapped)."""

    def __init__(self, mappings, objects, held):
        super().__init__("many_maps", str(mappings), str(objects), str(held))
        self.mapped = {int(kv["addr"]): kv["id"] for kv in map(key_values, self.lines)
                       if "addr" in kv}
        self.held = [kv["id"] for kv in map(key_values, self.lines) if "fd" in kv]


def iodbg(*args):
    res = subprocess.run([IODBG, *map(str, args)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, timeout=300 * SLOWDOWN)
    assert res.returncode == 0, res.stderr
    return res.stdout


def kind(words):
    return next((name for word, name in KIND_OF_WORDS if word in words), "ordinary")


@pytest.fixture(scope="module")
def browser():
    t = ManyMaps(MAPPINGS, 10, 0)
    yield t
    t.close()


@pytest.fixture(scope="module")
def gpu_program():
    t = ManyMaps(100, OBJECTS, HELD)
    yield t
    t.close()


def test_maps_of_60000_mappings_are_all_there_once_in_order(browser):
    truth = smaps(browser.pid)
    assert len(truth) > MAPPINGS
    listed = json.loads(iodbg("maps", "--json", browser.pid))
    assert [(int(m["start"], 16), int(m["end"], 16)) for m in listed] == \
        [(start, end) for start, end, _ in truth]
    assert [m["kind"] for m in listed] == [kind(words) for _, _, words in truth]
    assert [("dontdump" in m["flags"]) for m in listed] == \
        [("dd" in words) for _, _, words in truth]
    assert {int(m["start"], 16): m["object"]["id"] for m in listed if "object" in m} == \
        browser.mapped
    # The text: a header, then one line per mapping, in the same order.
    lines = iodbg("maps", browser.pid).splitlines()
    starts = [int(line.split("-")[0], 16) for line in lines[1:]
              if re.match(r"[0-9a-f]+-[0-9a-f]+ ", line)]
    assert lines[0].startswith("ADDRESS") and starts == [start for start, _, _ in truth]


def test_objects_of_10000_buffer_objects_are_all_there_once(gpu_program):
    listed = json.loads(iodbg("objects", "--json", gpu_program.pid))
    mapped, held = listed[:OBJECTS], listed[OBJECTS:]
    # The mapped ones in address order, each at its mapping; then the held ones, unmapped.
    assert [(int(o["start"], 16), o["id"]) for o in mapped] == sorted(gpu_program.mapped.items())
    assert all(o["mapped"] and o["kind"] == "gpu_bo" for o in mapped)
    assert sorted(o["id"] for o in held) == sorted(gpu_program.held)
    assert not any(o["mapped"] for o in held)
    lines = iodbg("objects", gpu_program.pid).splitlines()
    ids = [int(line.split()[3 if line.startswith("(held") else 1]) for line in lines[1:]]
    assert ids == [o["id"] for o in listed]
    # And maps joins each mapping to its object.
    maps = json.loads(iodbg("maps", "--json", gpu_program.pid))
    assert {int(m["start"], 16): m["object"]["id"] for m in maps if "object" in m} == \
        gpu_program.mapped


def test_info_iodbg_maps_of_60000_mappings_are_all_there_once_in_order(browser):
    truth = smaps(browser.pid)
    # Start, End, Perm, Kind, Object, File, Read by
    rows = gdb_table(iodbg_gdb(browser.pid, "info iodbg-maps"), "Start")
    assert [(int(r[0], 16), int(r[1], 16)) for r in rows] == \
        [(start, end) for start, end, _ in truth]
    assert [r[3] for r in rows] == [kind(words) for _, _, words in truth]
    objects = {int(r[0], 16): r for r in rows if r[4] != "-"}
    assert {start: int(r[4].split()[1]) for start, r in objects.items()} == browser.mapped
    assert all(r[4].startswith("gpu_bo ") and r[6] == "proc_mem" for r in objects.values())
    # Each of the many ordinary mappings was read, by process_vm_readv.
    ordinary = [r for r in rows if browser.addr <= int(r[0], 16) < browser.addr + browser.size]
    assert len(ordinary) == MAPPINGS
    assert all(r[3] == "ordinary" and r[6] == "process_vm" for r in ordinary)


def test_info_gpu_objects_of_10000_buffer_objects_are_all_there_once(gpu_program):
    # Handle, Size, Placement, Mapping, Offset, Flags
    rows = gdb_table(iodbg_gdb(gpu_program.pid, "info gpu-objects"), "Handle")
    mapped, held = rows[:OBJECTS], rows[OBJECTS:]
    assert [(int(r[3].split("-")[0], 16), int(r[0])) for r in mapped] == \
        sorted(gpu_program.mapped.items())
    assert all(int(r[3].split("-")[1], 16) - int(r[3].split("-")[0], 16) == int(r[1])
               for r in mapped)
    assert sorted(int(r[0]) for r in held) == sorted(gpu_program.held)
    assert all(r[3] == "not mapped" for r in held)
    assert all(r[2] == "system" and r[4] == "0x0" and r[5] == "-" for r in rows)
