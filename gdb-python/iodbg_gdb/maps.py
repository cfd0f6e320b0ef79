"""'info iodbg-maps': every mapping of the program, what it is, and which path reads it."""
import errno
import itertools

import gdb

from . import common, libiodbg, settings
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


IO_KINDS = frozenset(("io", "pfnmap"))


def may_be_mmio(m):
    """Whether reading mapping @m may read a device register: a VM_IO or VM_PFNMAP mapping
    that no iodbg object backs (a PCI BAR, /dev/mem), which /proc/PID/mem reads through the
    driver's ->access (generic_access_phys()) and the debug ioctl by the generic fallback.
    The iodbg objects' drivers read them without side effects."""
    return m.object is None and m.kind in IO_KINDS


def probe(target, maps):
    """The path that read the first byte of each mapping of @maps (Target.map_columns()), or
    "none", as a list, and {index: (short reason, the library's explanation)} of those no
    path read. All in one library call (which reads the ordinary mappings together); a
    mapping that may be MMIO is read only with 'set iodbg allow-mmio on'. A program may have
    tens of thousands of mappings: what is done for each runs inside the interpreter's
    builtins."""
    starts, objects = maps["start"], maps["object"]
    mmio = [] if settings.allow_mmio() else \
        [i for i in itertools.compress(range(len(starts)),
                                       map(IO_KINDS.__contains__, maps["kind"]))
         if objects[i] is None]
    probed = starts[:]
    for i in reversed(mmio):
        del probed[i]
    paths = target.first_paths(probed)
    for i in mmio:
        paths.insert(i, "none")
    failed = {i: (MMIO, MMIO_WHY) for i in mmio}
    for i in [i for i, path in enumerate(paths) if path is None]:
        try:    # for the library's explanation; a mapping may have become readable since
            paths[i] = target.first_path(starts[i])
        except IodbgError as e:
            paths[i] = "none"
            failed[i] = (short_reason(e.errno), str(e))
    return paths, failed


# The fields of a row: the MI command's names; the command prints them as a table.
ROW_FIELDS = ("start", "end", "perms", "kind", "object", "read-by", "reason", "why", "file")


def columns():
    """The ROW_FIELDS of every mapping, a list per field: a program may have tens of
    thousands of mappings, and a column is made in one pass of a builtin."""
    target = common.target()
    maps = target.map_columns()
    n = len(maps["start"])
    paths, failed = probe(target, maps)
    reasons, whys, objects = [""] * n, [""] * n, [""] * n
    for i, (reason, why) in failed.items():
        reasons[i], whys[i] = reason, why
    for i in itertools.compress(range(n), maps["object"]):
        obj = maps["object"][i]
        objects[i] = f"{libiodbg.kind_name(obj.kind)} {obj.id} " \
            f"({libiodbg.placement_name(obj.placement)})"
    return (list(map(hex, maps["start"])), list(map(hex, maps["end"])),
            list(map(libiodbg.perms, maps["flags"])), maps["kind"], objects, paths, reasons,
            whys, maps["path"])


def rows():
    """A tuple of ROW_FIELDS per mapping."""
    return list(zip(*columns()))


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
        starts, ends, perms, kinds, objs, paths, reasons, whys, files = columns()
        read_by = paths[:]
        for i in filter(reasons.__getitem__, range(len(reasons))):
            read_by[i] = f"{paths[i]}: {reasons[i]}"
        dash = {"": "-"}.get     # an empty cell shows as "-"
        common.print_columns(("Start", "End", "Perm", "Kind", "Object", "File", "Read by"),
                             (starts, ends, perms, kinds, list(map(dash, objs, objs)),
                              list(map(dash, files, files)), read_by),
                             notes=whys if words else None)

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
