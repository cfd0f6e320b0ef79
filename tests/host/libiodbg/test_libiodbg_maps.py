"""The maps/smaps parser, on fixture files and on a live process: kinds from VmFlags, paths
with spaces, "(deleted)", huge numbers, adjacent mappings, truncated text and bad lines."""
import ctypes
import errno
import random
import re

import pytest

from libiodbg_py import (FIXTURES, Map, MAP_DELETED, MAP_DONTDUMP, MAP_EXEC, MAP_IO, MAP_MIXEDMAP,
                         MAP_PFNMAP, MAP_READ, MAP_SHARED, MAP_VMFLAGS, MAP_WRITE)


def parse_file(lib, name):
    return lib.parse((FIXTURES / name).read_bytes())


def by_path(maps):
    return {m["path"]: m for m in maps}


def test_smaps_kinds_and_flags(lib):
    err, maps, truncated = parse_file(lib, "smaps-mixed.txt")
    assert err == 0, lib.errmsg()
    assert not truncated and len(maps) == 13
    m = by_path(maps)
    gpu = m[b"/dev/dri/renderD128"]
    assert gpu["kind"] == "io"
    assert gpu["flags"] & (MAP_IO | MAP_PFNMAP | MAP_DONTDUMP | MAP_SHARED | MAP_VMFLAGS) == (
        MAP_IO | MAP_PFNMAP | MAP_DONTDUMP | MAP_SHARED | MAP_VMFLAGS)
    assert (gpu["start"], gpu["end"], gpu["offset"], gpu["dev"], gpu["inode"]) == (
        0x7F3A10000000, 0x7F3A10400000, 0x10A000000, (0xE2, 0x80), 412)
    assert m[b"[vvar]"]["kind"] == "io"
    assert m[b"/dev/pfn only"]["kind"] == "pfnmap"
    mixed = m[b"/dev/mixed thing"]
    assert mixed["kind"] == "ordinary" and mixed["flags"] & MAP_MIXEDMAP
    assert not mixed["flags"] & (MAP_IO | MAP_PFNMAP)
    assert m[b"[heap]"]["kind"] == "ordinary"
    assert m[b"[heap]"]["flags"] & 0xF == MAP_READ | MAP_WRITE
    assert m[b"[vdso]"]["flags"] & 0xF == MAP_READ | MAP_EXEC
    # "Anonymous:", "AnonHugePages:" start with hex digits: they must not be taken for mappings.
    assert all(x["flags"] & MAP_VMFLAGS for x in maps)


def test_smaps_paths(lib):
    _, maps, _ = parse_file(lib, "smaps-mixed.txt")
    m = by_path(maps)
    deleted = m[b"/tmp/a dir/with  two spaces/file"]
    assert deleted["flags"] & MAP_DELETED
    assert m[b"/memfd:my buffer"]["flags"] & MAP_DELETED
    assert m[b"[anon:glibc: loader malloc]"]["kind"] == "ordinary"
    assert m[b""]["flags"] & 0xF == 0  # ---p, no path
    vsyscall = maps[-1]
    assert (vsyscall["start"], vsyscall["end"], vsyscall["path"]) == (
        0xFFFFFFFFFF600000, 0xFFFFFFFFFF601000, b"[vsyscall]")


def test_maps_paths_without_vmflags(lib):
    err, maps, truncated = parse_file(lib, "maps-paths.txt")
    assert err == 0, lib.errmsg()
    assert not truncated
    paths = [m["path"] for m in maps]
    assert paths == [b"/opt/my app/bin/prog", b"/opt/my app/bin/prog", b"/max inode",
                     b"/dev/zero", b"/name with trailing (deleted) inside", b"/weird\\012name",
                     b"", b"[stack]", b"[vsyscall]"]
    # Adjacent mappings (end == next start) only look overlapping.
    assert maps[0]["end"] == maps[1]["start"]
    assert maps[2]["inode"] == 2**64 - 1
    assert maps[3]["flags"] & MAP_DELETED and not maps[4]["flags"] & MAP_DELETED
    assert maps[5]["dev"] == (0xFFF, 0xFFFFF)
    assert all(m["kind"] == "unknown" and not m["flags"] & MAP_VMFLAGS for m in maps)


@pytest.mark.parametrize("name", ["maps-paths.txt", "smaps-mixed.txt"])
def test_a_listing_is_one_array_and_its_paths_one_block(lib, name):
    """What iodbg.h promises bindings, which copy a listing in a few pieces (the GDB
    package): the mappings one array, their paths one block in the same order."""
    text = (FIXTURES / name).read_bytes()
    h = ctypes.c_void_p()
    assert lib.c.iodbg_maps_parse(text, len(text), ctypes.byref(h)) == 0, lib.errmsg()
    try:
        n = lib.c.iodbg_maps_count(h)
        at = [ctypes.addressof(lib.c.iodbg_maps_get(h, i).contents) for i in range(n)]
        assert at == [at[0] + i * ctypes.sizeof(Map) for i in range(n)]
        paths = [ctypes.c_void_p.from_address(a + Map.path.offset).value for a in at]
        block = ctypes.string_at(paths[0], paths[-1] - paths[0]) + ctypes.string_at(paths[-1])
        assert block.split(b"\0") == [m["path"] for m in lib.parse(text)[1]]
    finally:
        lib.c.iodbg_maps_free(h)


@pytest.mark.parametrize("name, count", [("maps-truncated.txt", 2), ("smaps-truncated.txt", 2)])
def test_truncated_last_line_is_dropped(lib, name, count):
    err, maps, truncated = parse_file(lib, name)
    assert err == 0, lib.errmsg()
    assert truncated and len(maps) == count


def test_bad_line_in_the_middle_is_refused(lib):
    err, _, _ = parse_file(lib, "maps-bad-line.txt")
    assert err == -errno.EBADMSG
    assert lib.errmsg().startswith("line 2: ")


LINE = "7f0000001000-7f0000002000 rw-p 00000000 00:00 0"


@pytest.mark.parametrize("text, why", [
    ("7f0000001000-7f0000002000 rw-p 00000000 00:00 0\n"
     "7f0000001800-7f0000003000 rw-p 00000000 00:00 0\n", "line 2: mapping overlaps"),
    ("7f0000002000-7f0000003000 rw-p 00000000 00:00 0\n"
     "7f0000001000-7f0000002000 rw-p 00000000 00:00 0\n", "line 2: mapping overlaps"),
    ("7f0000002000-7f0000002000 rw-p 00000000 00:00 0\n", "line 1: empty or reversed"),
    ("7f0000003000-7f0000002000 rw-p 00000000 00:00 0\n", "line 1: empty or reversed"),
    ("10000000000000000-10000000000000001 rw-p 00000000 00:00 0\n", "line 1: bad address"),
    ("1000-2000 rw-p 00000000 00:00 18446744073709551616\n", "line 1: bad inode"),
    ("1000-2000 rwxq 00000000 00:00 0\n", "line 1: bad permissions"),
    ("1000-2000 rw-p 00000000 0000 0\n", "line 1: bad device"),
    ("1000-2000 rw-p 0000000g 00:00 0\n", "line 1: bad offset"),
    ("-1000-2000 rw-p 00000000 00:00 0\n", "line 1: bad address"),
    ("1000-2000 rw-p 00000000 00:00 0x12\n", "line 1: bad inode"),
    ("1000-2000 rw-p 00000000 00:00 0 /a\0b\n", "line 1: NUL"),
    ("VmFlags: rd wr\n", "line 1: smaps field before any mapping"),
    (LINE + "\n\n" + LINE, "line 2: empty line"),
])
def test_bad_text_is_refused(lib, text, why):
    err, maps, _ = lib.parse(text)
    assert err == -errno.EBADMSG and maps is None
    assert lib.errmsg().startswith(why), lib.errmsg()


def hex_field(rng, max_digits):
    """A hexadecimal field of 1 to @max_digits digits, in either case, zero-padded or not."""
    digits = rng.randint(1, max_digits)
    text = "".join(rng.choice("0123456789abcdef") for _ in range(digits))
    return text.upper() if rng.random() < 0.1 else text


def test_fields_are_read_exactly(lib):
    """Every field of lines of every width, read against Python's own reading of them."""
    rng = random.Random(15)
    lines, want, addr = [], [], 0
    for i in range(3000):
        start = addr + 1 + (int(hex_field(rng, 14), 16) if i % 3 else rng.randint(0, 0xfff))
        end = start + 1 + rng.randint(0, 1 << rng.choice((4, 12, 40)))
        if end >= 1 << 64:
            break
        addr = end
        width = rng.choice((1, 8, 12, 16))
        fields = [f"{start:0{width}x}", f"{end:0{width}x}", hex_field(rng, 16),
                  hex_field(rng, 8), hex_field(rng, 8), str(rng.randint(0, 10 ** rng.randint(0, 19)))]
        path = rng.choice(("", "/usr/lib/x86_64-linux-gnu/libc.so.6", "[heap]", "/a b"))
        lines.append(f"{fields[0]}-{fields[1]} r-xp {fields[2]} {fields[3]}:{fields[4]} "
                     f"{fields[5]}" + (" " * rng.randint(1, 30) + path if path else ""))
        want.append((start, end, int(fields[2], 16), (int(fields[3], 16), int(fields[4], 16)),
                     int(fields[5]), path.encode()))
    # Short lines leave fewer than 16 bytes after a field: those are read a digit at a time.
    err, maps, _ = lib.parse("\n".join(lines) + rng.choice(("", "\n")))
    assert err == 0, lib.errmsg()
    assert [(m["start"], m["end"], m["offset"], m["dev"], m["inode"], m["path"])
            for m in maps] == want


@pytest.mark.parametrize("line, values", [
    ("ffffffffffff0000-ffffffffffffffff r--p fedcba9876543210 ff:ff 18446744073709551615",
     (0xffffffffffff0000, 0xffffffffffffffff, 0xfedcba9876543210, (255, 255),
      18446744073709551615)),
    ("0-1 r--p 0 0:0 0", (0, 1, 0, (0, 0), 0)),
    ("0123456789ABCDEF-FEDCBA9876543210 r--p 00000000000000a0 fe:01 1",
     (0x0123456789abcdef, 0xfedcba9876543210, 0xa0, (0xfe, 1), 1)),
    ("00000000000000001-00000000000000002 r--p 0 0:0 0", None),
    ("1000-2000 r--p 00000000000000000 00:00 0", None),
    ("1000-2000 r--p 0 000000001:00 0", None),
    ("1000-2000 r--p 0 00:00 0 ", (0x1000, 0x2000, 0, (0, 0), 0)),
    ("1000-2000\x80r--p 0 00:00 0", None),
    ("10\xe1-2000 r--p 0 00:00 0", None),
    ("1000g2000 r--p 0 00:00 0", None),
])
def test_field_edges(lib, line, values):
    """16 digits and no more, either case, short fields, bytes above 0x7f next to digits."""
    err, maps, _ = lib.parse(line.encode("latin-1") + b"\n" + LINE.encode().replace(
        b"7f", b"ff", 1))
    if values is None:
        assert err == -errno.EBADMSG and lib.errmsg().startswith("line 1: "), lib.errmsg()
        return
    assert err == 0, lib.errmsg()
    m = maps[0]
    assert (m["start"], m["end"], m["offset"], m["dev"], m["inode"]) == values


def test_empty_text_is_no_mapping(lib):
    assert lib.parse(b"") == (0, [], False)


def test_live_process(lib, handle, target):
    """iodbg_maps_read agrees with /proc/PID/maps, and sees what the target made."""
    err, maps = handle.maps()
    assert err == 0, handle.errmsg()
    expected = []
    for line in open(f"/proc/{target.pid}/maps", "rb"):
        m = re.match(rb"([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \d+ *(.*)\n", line)
        expected.append((int(m[1], 16), int(m[2], 16), m[4]))
    got = [(m["start"], m["end"], m["path"] + (b" (deleted)" if m["flags"] & MAP_DELETED else b""))
           for m in maps]
    assert got == expected
    find = {m["start"]: m for m in maps}
    f = find[target.addr("file")]
    assert f["flags"] & (MAP_DELETED | MAP_SHARED) == MAP_DELETED | MAP_SHARED
    assert re.fullmatch(rb"/.*/iodbg target file \w{6}", f["path"])
    two = find[target.addr("two")]
    assert two["end"] == target.addr("two", 4096) and find[two["end"]]["flags"] & 0xF == MAP_READ
    vvar = [m for m in maps if m["path"] == b"[vvar]"]
    assert vvar and vvar[0]["kind"] == "io"


def test_maps_read_while_the_mappings_change(handle, target):
    """A thread of the target keeps splitting and merging mappings while smaps is read: the
    kernel may then print a mapping that overlaps the one before across two read() calls.
    Such a read is made again; it never fails the caller."""
    assert target.command("churn 200") == "ok"
    for _ in range(300):
        err, maps = handle.maps()
        assert err == 0, handle.errmsg()
        assert all(a["end"] <= b["start"] for a, b in zip(maps, maps[1:]))
