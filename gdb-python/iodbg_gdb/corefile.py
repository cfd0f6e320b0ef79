"""The core file GDB debugs, for the iodbg commands: 'gdb -c FILE' (with or without the
program) gives the commands the objects and memory of the process when the core was written,
read from the file through libiodbg (iodbg core writes device memory and iodbg's object
notes into it; Cell Linux's SPU notes are read too)."""
import re

import gdb

# How 'info target' names the core file of the core target.
_CORE_LINE = re.compile(r"^Local core dump file:\n\s+`(.*)', file type ", re.M)


def inferior_core():
    """The path of the core file of the selected inferior, or None if it debugs none."""
    connection = gdb.selected_inferior().connection
    if connection is None or connection.type != "core":
        return None
    # GDB 13's Python has no attribute for it; 'info target' names it.
    found = _CORE_LINE.search(gdb.execute("info target", to_string=True))
    if found is None:
        raise gdb.GdbError("Cannot find the name of the core file in 'info target'.")
    return found[1]
