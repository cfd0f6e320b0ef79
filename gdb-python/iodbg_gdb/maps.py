"""'info iodbg-maps': every mapping of the program, what it is, and which path reads it."""
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


def short_reason(err):
    return SHORT_REASONS.get(err, errno.errorcode.get(err, "failed"))


def may_be_mmio(m):
    """Whether reading mapping @m may read a device register: a VM_IO or VM_PFNMAP mapping
    that no iodbg object backs (a PCI BAR, /dev/mem), which /proc/PID/mem reads through the
    driver's ->access (generic_access_phys()) and the debug ioctl by the generic fallback.
    The iodbg objects' drivers read them without side effects."""
    return m.object is None and m.kind in ("io", "pfnmap")


def probe(target, maps):
    """[(path, reason, why)] for each mapping of @maps: the path that read its first byte, or
    "none", a short reason and the library's explanation. All in one library call (which
    reads the ordinary mappings together); a mapping that may be MMIO is read only with
    'set iodbg allow-mmio on'."""
    allow_mmio = settings.allow_mmio()
    probed = [m for m in maps if allow_mmio or not may_be_mmio(m)]
    found = dict(zip((m.start for m in probed), target.first_paths([m.start for m in probed])))
    results = []
    for m in maps:
        if m.start not in found:
            results.append(("none", MMIO, MMIO_WHY))
            continue
        path, _ = found[m.start]
        if path:
            results.append((path, "", ""))
            continue
        try:    # for the library's explanation; a mapping may have become readable since
            results.append((target.first_path(m.start), "", ""))
        except IodbgError as e:
            results.append(("none", short_reason(e.errno), str(e)))
    return results


def object_text(obj):
    if obj is None:
        return ""
    return f"{obj.kind_name} {obj.id} ({obj.placement_name})"


# The fields of a row: the MI command's names; the command prints them as a table.
ROW_FIELDS = ("start", "end", "perms", "kind", "object", "read-by", "reason", "why", "file")


def rows():
    """A tuple of ROW_FIELDS per mapping: tuples, not dicts, for tens of thousands of rows."""
    target = common.target()
    maps = target.maps()
    return [(f"{m.start:#x}", f"{m.end:#x}", m.perms, m.kind, object_text(m.object), path,
             reason, why, m.path)
            for m, (path, reason, why) in zip(maps, probe(target, maps))]


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
        for start, end, perms, kind, obj, path, reason, why, file in rows():
            table.append((start, end, perms, kind, obj or "-", file or "-",
                          f"{path}: {reason}" if reason else path))
            whys.append(why if words else "")
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
        return {"maps": [dict(zip(ROW_FIELDS, row)) for row in rows()]}


InfoIodbgMaps()
if hasattr(gdb, "MICommand"):     # GDB 13 and later
    MapsMiCommand()
