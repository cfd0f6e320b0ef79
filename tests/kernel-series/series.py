"""What the tests of the kernel patch series share: which kernel runs, the mapping shapes of
kernel/tests/pfnmap_shapes.c and the bytes they hold, the stock tools as a plain user runs
them, and the failures a stock kernel is expected to show, each its own exception class so
that an expected failure (pytest.mark.xfail(raises=...)) is the expected one and no other.

The shapes (uapi/linux/pfnmap_shapes.h), each a VM_IO | VM_PFNMAP mapping whose neighbouring
pages are not physically adjacent:
  a  ram        RAM, no ->access
  b  mmio       a BAR, no ->access: must stay refused on every kernel
  c  ram_gaps   RAM, ->access = generic_access_phys
  d  mmio_gaps  every other page of a BAR, ->access = generic_access_phys
"""
import contextlib
import mmap
import os
import re
import subprocess

import pytest

import iodbg_test_uapi as uapi
from targets import PROGS, GdbSession, Target, gdb_words

PAGE = mmap.PAGESIZE
NOBODY = 65534


def kernel_has(symbol):
    """Whether the running kernel has a function of that name (the tests run as root, so
    /proc/kallsyms names them)."""
    with open("/proc/kallsyms") as f:
        return any(line.split()[2] == symbol for line in f)


# The patched debug kernel (CONFIG_LOCALVERSION="-iodbg-debug") carries the series.
PATCHED = "-iodbg" in os.uname().release
# Whether generic_access_phys() copies at most one page a call, as "mm/memory: constrain
# generic_access_phys() to page boundary" made it: then shape d reads right. The series
# builds on that fix (Debian's 6.12.118 has it; 6.1 has not). Its sign is
# follow_pfnmap_start(), which came with it: the limit is what that function guarantees.
ONE_PAGE_ACCESS_PHYS = PATCHED or kernel_has("follow_pfnmap_start")
# Every read and write the tests make crosses the boundary between pages 1 and 2 of a mapping.
BOUNDARY = 2 * PAGE
# Pages of each mapping the target makes: an MMIO_GAPS mapping of 4 pages spans BAR pages
# 0-6, and the MMIO mapping shows BAR pages 0-3, among them page 3, the physically next page
# of MMIO_GAPS page 1.
PAGES = 4
REMOTE_RW = os.path.join(PROGS, "remote_rw")

# What is missing from a stock kernel, for the reasons of the expected failures.
NO_RAM_PATH = ("stock kernel: __access_remote_vm() refuses a VM_PFNMAP mapping of RAM that has "
               "no ->access; needs the series' ->access-less path for RAM pfns")
NO_PVM_FALLBACK = ("stock kernel: process_vm_readv()/process_vm_writev() only pin pages and "
                   "fail with EFAULT on a VM_IO/VM_PFNMAP mapping; needs the series' fallback "
                   "to the /proc/PID/mem path")
PHYS_NEXT = ("stock kernel before 6.12: generic_access_phys() ioremaps len + offset bytes "
             "from the first page's pfn, so the bytes past a page boundary are those of the "
             "physically next page; needs 'mm/memory: constrain generic_access_phys() to page "
             "boundary', which 6.12 and the series have")
RAM_IOREMAP = ("stock kernel: generic_access_phys() cannot read RAM: 6.1 ioremaps it, which "
               "x86 refuses with WARN_ONCE 'ioremap on RAM', a panic under panic_on_warn; "
               "Debian's 6.12 refuses it (EINVAL); not run on a stock kernel; needs the "
               "series' generic_access_phys() that reads RAM pfns through the linear map")


class Refused(AssertionError):
    """A tool refused a read or write."""


class RefusedEIO(Refused):
    """/proc/PID/mem: EIO, what __access_remote_vm() gives when it can do nothing."""


class RefusedEFAULT(Refused):
    """process_vm_readv()/process_vm_writev(): EFAULT, a page that cannot be pinned."""


class CannotAccess(Refused):
    """gdb or gdbserver: "Cannot access memory at address ..." (x, dump, set var) or "Unable
    to access N bytes of target memory" (find)."""


class WrongBytes(AssertionError):
    """A tool gave, or a write left, bytes other than the pattern says."""


class PhysicallyNextBytes(WrongBytes):
    """Every wrong byte is the byte at the same offset of the physically next page of the
    page before it: an access ran on past a page's end in physical memory."""


def stock_xfail(reason, raises=None, run=True, fixed=PATCHED):
    """Expected to fail, with exactly @raises, unless @fixed (by default: on a stock kernel);
    expected to pass where fixed (strict: an unexpected pass fails the run). With run=False,
    not run where not fixed, and reported as an expected failure."""
    return pytest.mark.xfail(not fixed, reason=reason, raises=raises, strict=True, run=run)


def shapes_the_series_fixes(tool):
    """The shapes a (ram), c (ram_gaps) and d (mmio_gaps) as test parameters, each marked with
    what @tool gets from a stock kernel: "gdb" (gdb or gdbserver, which read through
    /proc/PID/mem), "mem" (/proc/PID/mem itself) or "vm" (process_vm_readv/writev)."""
    if tool == "vm":
        ram = gaps = stock_xfail(NO_PVM_FALLBACK, RefusedEFAULT)
    else:
        ram = stock_xfail(NO_RAM_PATH, CannotAccess if tool == "gdb" else RefusedEIO)
        gaps = stock_xfail(PHYS_NEXT, PhysicallyNextBytes, fixed=ONE_PAGE_ACCESS_PHYS)
    return [pytest.param("ram", id="a-ram", marks=ram),
            pytest.param("ram_gaps", id="c-ram_gaps", marks=stock_xfail(RAM_IOREMAP, run=False)),
            pytest.param("mmio_gaps", id="d-mmio_gaps", marks=gaps)]


# ---- the bytes ----

def words(base, offset, length):
    """The bytes [offset, offset + length) of memory whose 64-bit word at byte offset O holds
    base + O."""
    first, last = offset // 8, (offset + length + 7) // 8
    data = b"".join((base + 8 * i).to_bytes(8, "little") for i in range(first, last))
    return data[offset - 8 * first:][:length]


def bar_offset(shape, offset):
    """Where in the BAR byte @offset of an MMIO shape's mapping lives."""
    stride = 2 if shape == "mmio_gaps" else 1
    return (offset // PAGE) * stride * PAGE + offset % PAGE


def by_page(offset, length, piece):
    """Concatenate piece(page, offset in page, length) over the pages [offset, offset + length)
    covers."""
    data = b""
    while length > 0:
        n = min(length, PAGE - offset % PAGE)
        data += piece(offset // PAGE, offset % PAGE, n)
        offset, length = offset + n, length - n
    return data


def expected(shape, offset, length):
    """What a mapping of @shape holds at [offset, offset + length) when mapped."""
    if shape.split(":")[0] in ("ram", "ram_gaps"):
        return words(uapi.PFNMAP_SHAPES_RAM_PATTERN, offset, length)
    return by_page(offset, length, lambda page, off, n: words(
        uapi.PFNMAP_SHAPES_MMIO_PATTERN, bar_offset(shape, page * PAGE) + off, n))


def physically_next(shape, offset, length):
    """What an access that runs on past the end of each page in physical memory finds at
    [offset, offset + length): on page N, the physically next page of page N - 1 (a RAM
    page's guard, the BAR page after an MMIO page); on page 0, the right bytes."""
    def piece(page, off, n):
        if page == 0:
            return expected(shape, page * PAGE + off, n)
        if shape.split(":")[0] in ("ram", "ram_gaps"):
            return words(uapi.PFNMAP_SHAPES_GUARD_PATTERN, (page - 1) * PAGE + off, n)
        return words(uapi.PFNMAP_SHAPES_MMIO_PATTERN,
                     bar_offset(shape, (page - 1) * PAGE) + PAGE + off, n)
    return by_page(offset, length, piece)


PHYSICALLY_NEXT = {
    "ram": "the guard page after it",
    "ram_gaps": "the guard page after it",
    "mmio_gaps": "page N of the mapping is BAR page 2N; what was read there is BAR page 2N - 1",
}


def hexdump_diff(offset, got, want, limit=8):
    """The 16-byte lines of got and want that differ, labelled by mapping offset."""
    lines = []
    for i in range(0, max(len(got), len(want)), 16):
        g, w = got[i:i + 16], want[i:i + 16]
        if g != w:
            lines.append(f"  {offset + i:#07x}  read     {g.hex(' ')}")
            lines.append(f"  {'':7}  expected {w.hex(' ')}")
            if len(lines) >= 2 * limit:
                lines.append("  ...")
                break
    return "\n".join(lines)


def check_bytes(what, shape, offset, got, want=None):
    """Raise WrongBytes, or PhysicallyNextBytes when that is what they are, unless @got is what
    the mapping of @shape holds at @offset (or @want)."""
    __tracebackhide__ = True    # a failure shows the test's line and this message, no more
    if want is None:
        want = expected(shape, offset, len(got))
    if got == want:
        return
    if len(got) != len(want):
        raise WrongBytes(f"{what}: {len(got)} bytes, {len(want)} expected\n"
                         + hexdump_diff(offset, got, want))
    bad = [i for i in range(len(got)) if got[i] != want[i]]
    nxt = physically_next(shape, offset, len(got))
    where = (f"{what}: {len(bad)} of {len(got)} bytes at mapping offset {offset:#x} are "
             f"wrong, the first at {offset + bad[0]:#x}")
    if all(got[i] == nxt[i] for i in bad):
        raise PhysicallyNextBytes(f"{where}; each is the byte of the physically next page "
                                  f"of the page before it ({PHYSICALLY_NEXT[shape]})\n"
                                  + hexdump_diff(offset, got, want))
    raise WrongBytes(where + "\n" + hexdump_diff(offset, got, want))


# ---- the target ----

class ShapesTarget(Target):
    """tests/progs/pfnmap_target, as a plain user unless told: PAGES pages of each shape."""

    def __init__(self, shapes, user=NOBODY):
        super().__init__("pfnmap_target", str(PAGES), *shapes, user=user)
        self.maps = {}
        for line in self.lines:
            m = re.match(r"map (\d+) (\S+) addr=(0x[0-9a-f]+) size=(\d+)", line)
            if m:
                self.maps[m[2]] = (int(m[1]), int(m[3], 16), int(m[4]))
            m = re.match(r"vvar addr=(0x[0-9a-f]+) size=(\d+)", line)
            if m:
                self.vvar = int(m[1], 16)

    def at(self, shape, offset=0):
        """The address of byte @offset of the mapping of @shape."""
        return self.maps[shape][1] + offset

    def own(self, shape, offset, length):
        """The bytes the target itself sees at @offset of its mapping of @shape."""
        return bytes.fromhex(self.command(f"read {self.maps[shape][0]} {offset} {length}"))

    def own_vvar(self, offset, length):
        return bytes.fromhex(self.command(f"vvar {offset} {length}"))


def check_write(what, target, shape, offset, data):
    """After a write of @data at @offset of the mapping of @shape, which crosses BOUNDARY, the
    target sees it there and the bytes around it unchanged. Raise PhysicallyNextBytes when the
    part past the boundary went to the BAR page physically next instead (the target's MMIO
    mapping shows it), WrongBytes otherwise."""
    __tracebackhide__ = True
    start, end = offset - 8, offset + len(data) + 8
    want = expected(shape, start, 8) + data + expected(shape, offset + len(data), 8)
    got = target.own(shape, start, end - start)
    if got == want:
        return
    tail = data[BOUNDARY - offset:]
    if shape == "mmio_gaps" and "mmio" in target.maps:
        # The physically next page of page 1 is BAR page 3: page 3 of the MMIO mapping.
        stray = target.own("mmio", bar_offset(shape, PAGE) + PAGE, len(tail))
        if stray == tail:
            raise PhysicallyNextBytes(
                f"{what}: the {len(tail)} bytes past the page boundary went to BAR page 3, the "
                f"physically next page of mapping page 1, not to page 2 (BAR page 4)\n"
                + hexdump_diff(start, got, want))
    raise WrongBytes(f"{what}: the target sees other bytes than were written\n"
                     + hexdump_diff(start, got, want))


# ---- the tools ----

CANNOT_ACCESS = re.compile(r"Cannot access memory at address 0x[0-9a-f]+"
                           r"|Unable to access \d+ bytes of target memory at 0x[0-9a-f]+")


def remote_rw(method, op, pid, addr, arg, user=NOBODY):
    """tests/progs/remote_rw as @user: "vm" (process_vm_readv/writev) or "mem" (/proc/PID/mem)
    "read" of @arg bytes (returns them) or "write" of the bytes @arg (returns the count)."""
    __tracebackhide__ = True
    what = {"vm": "process_vm_readv" if op == "read" else "process_vm_writev",
            "mem": "/proc/PID/mem " + op}[method]
    arg = arg.hex() if op == "write" else str(arg)
    res = subprocess.run([REMOTE_RW, method, op, str(pid), hex(addr), arg],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60,
                         user=user, group=user, extra_groups=[] if user is not None else None)
    out = res.stdout.split()
    if res.returncode or not out:
        pytest.fail(f"remote_rw {method} {op}: status {res.returncode}: {res.stderr}")
    if out[0] == "error":
        cls = {"EIO": RefusedEIO, "EFAULT": RefusedEFAULT}.get(out[1], Refused)
        raise cls(f"{what} at {addr:#x}: {out[1]}")
    if op == "write":
        return int(out[1])
    return bytes.fromhex(out[2]) if len(out) > 2 else b""


class Gdb:
    """One stock gdb, run as a plain user for the whole session (each start costs seconds
    under TCG), which attaches to each test's target, natively or through gdbserver."""

    def __init__(self, user=NOBODY):
        # No shared libraries' symbols, which take seconds to load under TCG; through
        # gdbserver, the files from this machine's root, as gdbserver's, not over the pipe.
        self.session = GdbSession("-iex", "set auto-solib-add off", "-iex", "set sysroot /",
                                  "-ex", "set confirm off", "-ex", "set pagination off",
                                  "-ex", "set width 0", user=user)

    def __call__(self, *commands):
        return self.session(*commands)

    def alive(self):
        return self.session.proc.poll() is None

    @contextlib.contextmanager
    def attached(self, pid):
        """gdb -p PID: gdb reads the process's memory through /proc/PID/task/TID/mem."""
        out = self(f"attach {pid}")
        try:
            # "Attaching to process PID", or "to program: PATH, process PID" once gdb knows it
            if not re.search(rf"Attaching to (process|program: .*, process) {pid}\b", out) \
                    or "ptrace:" in out:
                pytest.fail(f"gdb cannot attach to {pid}:\n{out}")
            yield self
        finally:
            self("detach")     # else the target, traced, could not be reaped

    @contextlib.contextmanager
    def remote(self, pid):
        """gdb connected to a stock gdbserver attached to the process, over a pipe."""
        out = self(f"target remote | exec gdbserver - --attach {pid}")
        try:
            if "Remote debugging using" not in out:
                pytest.fail(f"gdb cannot reach gdbserver --attach {pid}:\n{out}")
            yield self
        finally:
            self("detach")

    def checked(self, command):
        """Run @command; raise CannotAccess if gdb could not reach the memory."""
        __tracebackhide__ = True
        out = self(command)
        m = CANNOT_ACCESS.search(out)
        if m:
            raise CannotAccess(f"gdb '{command}': {m[0]}")
        return out

    def x(self, addr, count):
        """x/COUNTgx: the bytes of COUNT 64-bit words (gdb reads each word by itself)."""
        __tracebackhide__ = True
        out = self.checked(f"x/{count}gx {addr:#x}")
        values = gdb_words(out)
        if len(values) != count:
            pytest.fail(f"gdb x/{count}gx {addr:#x}: cannot parse\n{out}")
        return b"".join(v.to_bytes(8, "little") for v in values)

    def dump(self, start, end, path):
        """dump binary memory: the bytes [start, end), in one read of the range."""
        __tracebackhide__ = True
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        out = self.checked(f"dump binary memory {path} {start:#x} {end:#x}")
        try:
            with open(path, "rb") as f:
                return f.read()
        except FileNotFoundError:
            pytest.fail(f"gdb dump wrote no file:\n{out}")
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)

    def find(self, start, end, value):
        """find /g: the addresses of the 64-bit word @value in [start, end)."""
        __tracebackhide__ = True
        out = self.checked(f"find /g {start:#x}, {end - 1:#x}, {value:#x}")   # gdb's end is in
        if "Pattern not found" in out:
            return []
        found = re.findall(r"^(0x[0-9a-f]+)(?: <[^>]*>)?\s*$", out, re.M)
        if not re.search(r"\d+ patterns? found", out):
            pytest.fail(f"gdb find: cannot parse\n{out}")
        return [int(a, 16) for a in found]

    def set_var(self, addr, value):
        """set var *(unsigned long long *) ADDR = VALUE: one write of 8 bytes."""
        __tracebackhide__ = True
        out = self.checked(f"set var *(unsigned long long *) {addr:#x} = {value:#x}")
        if out.strip():
            pytest.fail(f"gdb set var: {out}")

    def close(self):
        self.session.close()
