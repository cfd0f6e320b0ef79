"""GPU buffer objects: 'info gpu-objects' and $gpu_bo()."""
import functools
import itertools
import operator

import gdb

import iodbg_uapi as uapi

from . import common, libiodbg
from .common import gdb_errors

GPU_KINDS = ("gpu_bo",)
OBJECT_FLAGS = ((uapi.IODBG_OBJECT_REGISTERS, "registers"),
                (uapi.IODBG_OBJECT_NO_ACCESS, "no-access"),
                (uapi.IODBG_OBJECT_ACCESS_REFUSES, "access-refuses"),
                (uapi.IODBG_OBJECT_ACCESS_PHYS, "access-phys"))
# How the placements of a GPU object are called where GPUs are debugged.
PLACEMENTS = {uapi.IODBG_PLACEMENT_NONE: "none", uapi.IODBG_PLACEMENT_DEVICE: "VRAM",
              uapi.IODBG_PLACEMENT_GART: "GART", uapi.IODBG_PLACEMENT_SYSTEM: "system",
              uapi.IODBG_PLACEMENT_SAVED: "saved"}


def gpu_objects():
    """Every mapping of a GPU object, then the objects held but not mapped."""
    objs = common.target().objects()
    return list(itertools.compress(objs, map(GPU_KINDS.__contains__,
                                             map(libiodbg.kind_name, map(KIND, objs)))))


KIND = operator.attrgetter("kind")
# The fields of a row: the MI command's names; the command prints them as a table.
ROW_FIELDS = ("handle", "size", "placement", "mapping", "offset", "flags")


@functools.lru_cache(maxsize=None)
def placement_text(placement):
    return PLACEMENTS.get(placement) or libiodbg.placement_name(placement)


def columns():
    """The ROW_FIELDS of every GPU object, a list per field: a program may have tens of
    thousands of objects, and a column is made in one pass of a builtin."""
    objs = gpu_objects()
    if not objs:
        return ((),) * len(ROW_FIELDS)
    field = dict(zip(libiodbg.Object._fields, zip(*objs)))
    starts, lengths = field["start"], field["length"]
    mappings = list(map("{:#x}-{:#x}".format, starts, map(operator.add, starts, lengths)))
    for i in itertools.compress(range(len(objs)), map(operator.not_, lengths)):
        mappings[i] = "not mapped"
    return (list(map(str, field["id"])), list(map(str, field["size"])),
            list(map(placement_text, field["placement"])), mappings,
            list(map(hex, field["offset"])),
            list(map(common.flags_text, field["flags"], itertools.repeat(OBJECT_FLAGS))))


def rows():
    """A {ROW_FIELDS: text} per GPU object."""
    return [dict(zip(ROW_FIELDS, row)) for row in zip(*columns())]


class InfoGpuObjects(gdb.Command):
    """GPU buffer objects of the program.

Usage: info gpu-objects

One line per mapping of a GPU buffer object, then the objects the program holds
without mapping them: its handle (the iodbg object id, which 'iodbg dump' and
$gpu_bo take), size in bytes, where it is now (VRAM, GART or system memory),
the address range of the mapping and the object offset it starts at, and flags
(how its driver serves debugger access: no-access, access-refuses, access-phys)."""

    def __init__(self):
        super().__init__("info gpu-objects", gdb.COMMAND_STATUS)

    @gdb_errors
    def invoke(self, arg, from_tty):
        if arg.strip():
            raise gdb.GdbError("Usage: info gpu-objects")
        table = columns()
        if not table[0]:
            gdb.write("No GPU objects.\n")
            return
        common.print_columns(("Handle", "Size", "Placement", "Mapping", "Offset", "Flags"),
                             table)


class GpuBoFunction(gdb.Function):
    """$gpu_bo(HANDLE): the address at which the program maps the start of GPU object
HANDLE, as a 'char *', for x, print, find and dump:
    x/8gx $gpu_bo(3)
An error if the program does not map it; 'iodbg dump' reads it by handle anyway."""

    def __init__(self):
        super().__init__("gpu_bo")

    @gdb_errors
    def invoke(self, handle_value):
        handle = common.to_int(handle_value, "GPU object handle")
        objs = [obj for obj in gpu_objects() if obj.id == handle]
        if not objs:
            raise gdb.GdbError(f"No GPU object {handle} ('info gpu-objects' lists them).")
        for obj in objs:
            if obj.address_of(0) is not None:
                return gdb.Value(obj.address_of(0)).cast(gdb.lookup_type("char").pointer())
        raise gdb.GdbError(f"The program does not map the start of GPU object {handle}.")


class GpuMiCommand(getattr(gdb, "MICommand", object)):
    """-iodbg-gpu-objects: the rows of 'info gpu-objects' as an MI list."""

    def __init__(self):
        super().__init__("-iodbg-gpu-objects")

    @gdb_errors
    def invoke(self, argv):
        return {"objects": list(rows())}


InfoGpuObjects()
GpuBoFunction()
if hasattr(gdb, "MICommand"):     # GDB 13 and later
    GpuMiCommand()
