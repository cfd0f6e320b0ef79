"""'info iodbg-maps': every mapping of the program, what it is, and which path reads it."""
import ctypes
import errno

import gdb

from . import common, settings
from .common import gdb_errors
from .libiodbg import IodbgError

MMIO = "MMIO, set iodbg allow-mmio on"
MMIO_WHY = ("not read: a VM_IO or VM_PFNMAP mapping that is no iodbg object may be device "
            "registers, and reading one can change the device; 'set iodbg allow-mmio on' lets "
            "this command read its first byte, and 'iodbg read' in a shell says what each "
            "path would do")
# The 'Read by' column stays one short phrase; --verbose and MI carry the library's message.
SHORT_REASONS = {errno.EIO: "not present", errno.EFAULT: "not present",
                 errno.ENXIO: "not present", errno.ENOENT: "not present",
                 errno.EPERM: "permission denied", errno.EACCES: "permission denied",
                 errno.ENODEV: "needs the iodbg module"}


def may_be_mmio(m):
    """Whether reading mapping @m may read a device register: a VM_IO or VM_PFNMAP mapping
    that no iodbg object backs (a PCI BAR, /dev/mem), which /proc/PID/mem reads through the
    driver's ->access (generic_access_phys()) and the debug ioctl by the generic fallback.
    The iodbg objects' drivers read them without side effects."""
    return m.object is None and m.kind in ("io", "pfnmap")


def probe(target, m):
    """(path, reason, why): the path that read the first byte of mapping @m, or "none", a short
    reason and the library's explanation. A mapping that may be MMIO is read only with 'set
    iodbg allow-mmio on'."""
    if may_be_mmio(m) and not settings.allow_mmio():
        return "none", MMIO, MMIO_WHY
    try:
        return target.first_path(m.start), "", ""
    except IodbgError as e:
        return "none", SHORT_REASONS.get(e.errno, errno.errorcode.get(e.errno, "failed")), str(e)


class _IoVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


_libc = ctypes.CDLL(None, use_errno=True)
_libc.process_vm_readv.restype = ctypes.c_ssize_t
IOV_MAX = 1024


def read_by_process_vm(pid, maps):
    """The mappings of @maps whose first byte process_vm_readv reads now, the first path of
    the chain: a few calls for tens of thousands of mappings, where a library read of each
    would cost far more than the listing. A call stops at the first byte it cannot read:
    the next starts after it."""
    readable, i = set(), 0
    while i < len(maps):
        batch = maps[i:i + IOV_MAX]
        local = ctypes.create_string_buffer(len(batch))
        lvec = _IoVec(ctypes.cast(local, ctypes.c_void_p), len(batch))
        rvec = (_IoVec * len(batch))(*(_IoVec(m.start, 1) for m in batch))
        n = _libc.process_vm_readv(pid, ctypes.byref(lvec), 1, rvec, len(batch), 0)
        if n < 0 and ctypes.get_errno() != errno.EFAULT:
            break       # no such path, or no right: probe() says why, mapping by mapping
        n = max(n, 0)
        readable.update(m.start for m in batch[:n])
        i += n + 1 if n < len(batch) else n
    return readable


def object_text(obj):
    if obj is None:
        return ""
    return f"{obj.kind_name} {obj.id} ({obj.placement_name})"


def rows():
    target = common.target()
    maps = target.maps()
    by_process_vm = set()
    if settings.path() in ("auto", "process_vm"):
        by_process_vm = read_by_process_vm(target.pid, [m for m in maps if m.kind == "ordinary"])
    for m in maps:
        path, reason, why = (("process_vm", "", "") if m.start in by_process_vm else
                             probe(target, m))
        yield {"start": f"{m.start:#x}", "end": f"{m.end:#x}", "perms": m.perms,
               "kind": m.kind, "object": object_text(m.object), "read-by": path,
               "reason": reason, "why": why, "file": m.path}


class InfoIodbgMaps(gdb.Command):
    """Every mapping of the program, its kind and the path that can read it.

Usage: info iodbg-maps [--verbose]

For each mapping of the program (/proc/PID/maps): its range and
permissions, its kind (ordinary, io for VM_IO, pfnmap for VM_PFNMAP), the
iodbg object it shows if the iodbg module knows it, and the path that read
its first byte just now with the current 'set iodbg path' (process_vm,
proc_mem, ptrace, ioctl), or 'none' and a short reason when no path could.
An io or pfnmap mapping that is no iodbg object (a PCI BAR, /dev/mem) may be
device registers, whose reading can change the device: it is not read unless
'set iodbg allow-mmio' is on, and shows as 'none: MMIO, set iodbg allow-mmio
on'. With --verbose, the whole explanation follows each mapping that no path
read."""

    def __init__(self):
        super().__init__("info iodbg-maps", gdb.COMMAND_STATUS)

    @gdb_errors
    def invoke(self, arg, from_tty):
        words = gdb.string_to_argv(arg)
        if words not in ([], ["--verbose"]):
            raise gdb.GdbError("Usage: info iodbg-maps [--verbose]")
        table, whys = [], []
        for r in rows():
            read_by = f"{r['read-by']}: {r['reason']}" if r["reason"] else r["read-by"]
            table.append((r["start"], r["end"], r["perms"], r["kind"], r["object"] or "-",
                          r["file"] or "-", read_by))
            whys.append(r["why"] if words else "")
        common.print_table(("Start", "End", "Perm", "Kind", "Object", "File", "Read by"), table,
                           notes=whys)

    def complete(self, text, word):
        return [w for w in ("--verbose",) if w.startswith(word or "")]


class MapsMiCommand(getattr(gdb, "MICommand", object)):
    """-iodbg-maps: the rows of 'info iodbg-maps' as an MI list, each with its short reason
    and the library's explanation ("why")."""

    def __init__(self):
        super().__init__("-iodbg-maps")

    @gdb_errors
    def invoke(self, argv):
        return {"maps": list(rows())}


InfoIodbgMaps()
if hasattr(gdb, "MICommand"):     # GDB 13 and later
    MapsMiCommand()
