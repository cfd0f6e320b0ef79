"""Stock gdb and gdbserver, as a plain user debugging a process of its own, on the shapes the
series makes readable: x, dump memory, find and set var across the boundary between two
pages that are not neighbours in physical memory."""
import pytest

from series import (BOUNDARY, PAGE, PAGES, PhysicallyNextBytes, WrongBytes, check_bytes,
                    check_write, expected, physically_next, shapes_the_series_fixes)

# A value whose bytes no pattern holds near where it is written.
VALUE = 0x1122334455667788


@pytest.mark.parametrize("shape", shapes_the_series_fixes("gdb"))
def test_gdb_x_across_a_page_boundary(gdb, target, shape):
    """x/3gx from 12 bytes before the boundary between pages 1 and 2: the middle word
    straddles it."""
    offset = BOUNDARY - 12
    with gdb.attached(target.pid):
        got = gdb.x(target.at(shape, offset), 3)
    check_bytes("gdb x/3gx", shape, offset, got)


@pytest.mark.parametrize("shape", shapes_the_series_fixes("gdb"))
def test_gdb_dump_memory_across_page_boundaries(gdb, target, shape):
    """dump binary memory of all but the first and last 256 bytes: one read that starts in
    the middle of a page, so each page-sized piece the kernel copies crosses a boundary."""
    start, end = 0x100, PAGES * PAGE - 0x100
    with gdb.attached(target.pid):
        got = gdb.dump(target.at(shape, start), target.at(shape, end),
                       f"/tmp/pfnmap-dump-{target.pid}")
    check_bytes("gdb dump binary memory", shape, start, got)


@pytest.mark.parametrize("shape", shapes_the_series_fixes("gdb"))
def test_gdb_find_a_word_past_a_page_boundary(gdb, target, shape):
    """find /g, from 8 bytes into the mapping to its end, of the first word of page 2: found
    there and nowhere else. gdb reads the range in large pieces that start 8 bytes into a
    page."""
    at = target.at(shape, BOUNDARY)
    value = int.from_bytes(expected(shape, BOUNDARY, 8), "little")
    stray = int.from_bytes(physically_next(shape, BOUNDARY, 8), "little")
    with gdb.attached(target.pid):
        found = gdb.find(target.at(shape, 8), target.at(shape, PAGES * PAGE), value)
        found_stray = [] if found == [at] else \
            gdb.find(target.at(shape, 8), target.at(shape, PAGES * PAGE), stray)
    if found == [at]:
        return
    what = (f"gdb find /g {value:#x} (the word at mapping offset {BOUNDARY:#x}): found at "
            f"{[hex(a) for a in found]}, expected at {at:#x} only")
    if found_stray == [at]:
        raise PhysicallyNextBytes(f"{what}; gdb sees {stray:#x} there, the first word of the "
                                  f"physically next page of page 1")
    raise WrongBytes(what)


@pytest.mark.parametrize("shape", shapes_the_series_fixes("gdb"))
def test_gdb_set_var_across_a_page_boundary(gdb, target, shape):
    """set var of a 64-bit word that straddles the boundary: the process sees it, and the
    bytes around it unchanged."""
    offset = BOUNDARY - 4
    with gdb.attached(target.pid):
        gdb.set_var(target.at(shape, offset), VALUE)
    check_write("gdb set var", target, shape, offset, VALUE.to_bytes(8, "little"))


@pytest.mark.parametrize("shape", shapes_the_series_fixes("gdb"))
def test_gdbserver_x_across_a_page_boundary(gdb, target, shape):
    """gdb through a stock gdbserver attached to the process: x/3gx as above."""
    offset = BOUNDARY - 12
    with gdb.remote(target.pid):
        got = gdb.x(target.at(shape, offset), 3)
    check_bytes("gdbserver: gdb x/3gx", shape, offset, got)


@pytest.mark.parametrize("shape", shapes_the_series_fixes("gdb"))
def test_gdbserver_set_var_across_a_page_boundary(gdb, target, shape):
    offset = BOUNDARY - 4
    with gdb.remote(target.pid):
        gdb.set_var(target.at(shape, offset), VALUE)
    check_write("gdbserver: gdb set var", target, shape, offset, VALUE.to_bytes(8, "little"))
