"""The permission suite: the debugger runs as an unprivileged user against targets of several
kinds, under each Yama ptrace_scope. It runs inside the test VM (scripts/vm-run), as root,
in a boot of its own: it ends at Yama scope 3, which cannot be lowered until the next boot.
scripts/run-tests runs it as 'permissions KERNEL'; tests/guest does not collect it."""
import os
import sys

OUT = os.environ.get("IODBG_OUT", "")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(OUT, "build", "python"), os.path.join(HERE, "..", "guest")]

import pytest  # noqa: E402


def pytest_configure(config):
    if os.environ.get("IODBG_IN_VM") != "1":
        pytest.exit("tests/permissions runs inside the test VM, in a boot of its own: use "
                    "'make test' or scripts/vm-run", 2)


def pytest_terminal_summary(terminalreporter):
    import matrix
    for line in matrix.report_lines():
        terminalreporter.write_line(line)
