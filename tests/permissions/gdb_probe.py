"""Sourced into the debugger's gdb session: perm_run(tag, command) runs one gdb command as the
CLI would and prints what it printed, or the error it raised, as one JSON line that the
debugger (debugger.py) reads back."""
import json

import gdb


def perm_run(tag, command):
    out, err = "", None
    try:
        out = gdb.execute(command, to_string=True)
    except gdb.error as e:
        err = str(e) or type(e).__name__
    except Exception as e:     # noqa: BLE001  (a Python exception must reach the test)
        err = f"Python exception {type(e).__name__}: {e}"
    print("@@JSON " + json.dumps({"tag": tag, "out": out, "err": err}), flush=True)
