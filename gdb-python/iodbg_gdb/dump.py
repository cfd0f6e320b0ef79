"""'iodbg dump': save an SPU local store, a GPU object or any address range to a file,
through libiodbg, whatever GDB's own 'dump' can reach."""
import os

import gdb

from . import common
from .common import gdb_errors

# Bytes per libiodbg call: large enough to be fast, small enough to keep memory flat.
CHUNK = 1 << 20


class Iodbg(gdb.Command):
    """iodbg: device memory commands (see also 'info spu', 'info gpu-objects',
'info iodbg-maps' and 'set iodbg')."""

    def __init__(self):
        super().__init__("iodbg", gdb.COMMAND_DATA, prefix=True)


def copy_to_file(path, total, read_chunk):
    """Write @total bytes, read @CHUNK at a time by read_chunk(offset, length), to @path,
    keeping no chunk once written. Returns the names of the paths that served the bytes, in
    order of first use; stops with a GDB error at the first short read, leaving the bytes
    before it in the file (and the file as it was if not even the first byte could be
    read)."""
    paths, f = [], None
    try:
        for offset in range(0, total, CHUNK):
            length = min(CHUNK, total - offset)
            transfer = read_chunk(offset, length)
            if f is None:
                f = open(path, "wb")
            f.write(transfer.data)
            paths += [p for p in transfer.paths() if p not in paths]
            if transfer.error is not None:
                raise gdb.GdbError(f"{path}: stopped after {offset + transfer.done} of "
                                   f"{total} bytes: {transfer.error}")
    except OSError as e:
        raise gdb.GdbError(f"{path}: {e.strerror}") from None
    finally:
        if f is not None:
            f.close()
    return paths


class IodbgDump(gdb.Command):
    """Save device memory to a file.

Usage: iodbg dump FILE CTX|HANDLE
       iodbg dump FILE ADDRESS LENGTH

With one argument after FILE: the whole iodbg object of that id, an SPU
context's local store (CTX, from 'info spu') or a GPU object (HANDLE, from
'info gpu-objects'), read by object wherever it lives now, mapped or not.
With two: LENGTH bytes of the program's memory at ADDRESS, by the best path
for each piece. Then the path(s) that served the bytes."""

    def __init__(self):
        super().__init__("iodbg dump", gdb.COMMAND_DATA, gdb.COMPLETE_FILENAME)

    @gdb_errors
    def invoke(self, arg, from_tty):
        words = gdb.string_to_argv(arg)
        if len(words) not in (2, 3):
            raise gdb.GdbError("Usage: iodbg dump FILE CTX|HANDLE, or iodbg dump FILE "
                               "ADDRESS LENGTH")
        path, target = os.path.expanduser(words[0]), common.target()
        if len(words) == 2:
            object_id = common.parse_number(words[1], "object id")
            objs = [o for o in target.objects() if o.id == object_id]
            if not objs:
                raise gdb.GdbError(f"No iodbg object {object_id} in the program ('info spu' "
                                   "and 'info gpu-objects' list them).")
            total = objs[0].size
            paths = copy_to_file(path, total, lambda off, n:
                                 target.read_object(object_id, off, n))
        else:
            addr = common.parse_number(words[1], "address")
            total = common.parse_number(words[2], "length")
            if total == 0:
                raise gdb.GdbError("Length must not be zero.")
            paths = copy_to_file(path, total, lambda off, n: target.read(addr + off, n))
        gdb.write(f"Wrote {total} bytes to {path} (read by: {', '.join(paths)}).\n")


Iodbg()
IodbgDump()
