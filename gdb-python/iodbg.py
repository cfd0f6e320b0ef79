"""Load iodbg's GDB commands: 'source /path/to/iodbg.py' (make install arranges it for
every gdb session).

Finds the iodbg_gdb package beside this file, and the modules the build generates from the C
headers (iodbg_uapi, libiodbg_api) beside it when installed, else in the build tree
($IODBG_OUT/build/python, or out/build/python of the project).
"""
import os
import sys

import gdb


def _generated_dirs(here):
    yield here
    if os.environ.get("IODBG_OUT"):
        yield os.path.join(os.environ["IODBG_OUT"], "build", "python")
    yield os.path.join(here, "..", "out", "build", "python")


def _setup():
    here = os.path.dirname(os.path.abspath(__file__))
    for d in _generated_dirs(here):
        if os.path.exists(os.path.join(d, "libiodbg_api.py")):
            generated = os.path.abspath(d)
            break
    else:
        raise gdb.GdbError("iodbg: the generated Python modules are missing; run 'make build' "
                           "(or 'make install') first")
    for d in (here, generated):
        if d not in sys.path:
            sys.path.insert(0, d)
    import iodbg_gdb  # noqa: F401  (registers the commands)


_setup()
