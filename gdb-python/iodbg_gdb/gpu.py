"""GPU buffer objects: 'info gpu-objects' and $gpu_bo()."""
import gdb

import iodbg_uapi as uapi

from . import common
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
    return [obj for obj in common.target().objects() if obj.kind_name in GPU_KINDS]


def mapping_text(obj):
    if not obj.mapped:
        return "not mapped"
    return f"{obj.start:#x}-{obj.start + obj.length:#x}"


def rows():
    for obj in gpu_objects():
        yield {"handle": str(obj.id), "size": str(obj.size),
               "placement": PLACEMENTS.get(obj.placement, obj.placement_name),
               "mapping": mapping_text(obj),
               "offset": f"{obj.offset:#x}",
               "flags": common.flags_text(obj.flags, OBJECT_FLAGS)}


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
        table = [tuple(r.values()) for r in rows()]
        if not table:
            gdb.write("No GPU objects.\n")
            return
        common.print_table(("Handle", "Size", "Placement", "Mapping", "Offset", "Flags"), table)


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
