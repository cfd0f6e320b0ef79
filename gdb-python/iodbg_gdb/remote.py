"""'iodbg attach': debug a process of this machine through iodbg-gdbserver, so that GDB's own
x, print, find, dump and watch expressions reach every mapping that 'iodbg read' reaches."""
import os
import shlex

import gdb

from . import common
from .common import gdb_errors, parse_number


class IodbgAttach(gdb.Command):
    """Attach to a process of this machine through iodbg-gdbserver.
Usage: iodbg attach PID

Like 'attach PID', but over 'target remote | iodbg-gdbserver --attach - PID': the stock
gdbserver debugs the process, and iodbg-gdbserver serves the memory reads and writes that
gdbserver (and so GDB's native target) refuses, through libiodbg. GDB's own x, print, find,
dump and watch expressions then read device mappings whose driver has no ->access, or whose
->access refuses, as ordinary memory; MMIO that only the kernel's generic fallback reaches
needs 'monitor iodbg allow-mmio on'. The iodbg commands (info spu, info gpu-objects,
info iodbg-maps, iodbg dump) work as they do natively; 'monitor iodbg help' lists the
proxy's own commands. 'detach' leaves the process running, as after 'attach'."""

    def __init__(self):
        super().__init__("iodbg attach", gdb.COMMAND_RUNNING)

    @gdb_errors
    def invoke(self, arg, from_tty):
        if not arg.strip():
            raise gdb.GdbError("Usage: iodbg attach PID")
        pid = parse_number(arg, "process id")
        if not os.path.exists(f"/proc/{pid}"):
            raise gdb.GdbError(f"No process {pid}.")
        proxy = common.program("iodbg-gdbserver", "IODBG_GDBSERVER")
        gdb.execute(f"target remote | {shlex.quote(proxy)} --attach - {pid}", from_tty)


IodbgAttach()
