"""'info iodbg-maps': every mapping of the program, what it is, and which path reads it."""
import gdb

from . import common, settings
from .common import gdb_errors
from .libiodbg import IodbgError


def probe(target, m):
    """Which path reads the first byte of mapping @m, or why none does. The probe never
    touches MMIO, whatever 'set iodbg allow-mmio' says: listing mappings must not read a
    device register."""
    try:
        transfer = target.read(m.start, 1)
    except IodbgError as e:
        return "none", str(e)
    if transfer.done == 1:
        return transfer.paths()[0], ""
    return "none", transfer.error or ""


def object_text(obj):
    if obj is None:
        return ""
    return f"{obj.kind_name} {obj.id} ({obj.placement_name})"


def rows():
    target = common.target()
    target.set_policy(settings.path(), allow_mmio=False)
    for m in target.maps():
        path, why = probe(target, m)
        yield {"start": f"{m.start:#x}", "end": f"{m.end:#x}", "perms": m.perms,
               "kind": m.kind, "object": object_text(m.object), "read-by": path,
               "why": why, "file": m.path}


class InfoIodbgMaps(gdb.Command):
    """Every mapping of the program, its kind and the path that can read it.

Usage: info iodbg-maps

For each mapping of /proc/PID/smaps: its range and permissions, its kind
(ordinary, io for VM_IO, pfnmap for VM_PFNMAP), the iodbg object it shows if
the iodbg module knows it, and the path that read its first byte just now with
the current 'set iodbg path' (process_vm, proc_mem, ptrace, ioctl), or 'none'
and the reason when no path could. The probe never touches MMIO, even with
'set iodbg allow-mmio on': reading a device register can change the device."""

    def __init__(self):
        super().__init__("info iodbg-maps", gdb.COMMAND_STATUS)

    @gdb_errors
    def invoke(self, arg, from_tty):
        if arg.strip():
            raise gdb.GdbError("Usage: info iodbg-maps")
        table = []
        for r in rows():
            read_by = r["read-by"] if not r["why"] else f"{r['read-by']}: {r['why']}"
            table.append((r["start"], r["end"], r["perms"], r["kind"], r["object"] or "-",
                          r["file"] or "-", read_by))
        common.print_table(("Start", "End", "Perm", "Kind", "Object", "File", "Read by"), table)


class MapsMiCommand(getattr(gdb, "MICommand", object)):
    """-iodbg-maps: the rows of 'info iodbg-maps' as an MI list."""

    def __init__(self):
        super().__init__("-iodbg-maps")

    @gdb_errors
    def invoke(self, argv):
        return {"maps": list(rows())}


InfoIodbgMaps()
if hasattr(gdb, "MICommand"):     # GDB 13 and later
    MapsMiCommand()
