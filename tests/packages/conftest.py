"""The package test runs inside the test VM (tests/packages/run boots it), as root, with none
of the project's modules loaded: DKMS builds them from the packages."""
import os
import sys

OUT = os.environ.get("IODBG_OUT", "")
# The generated uapi module and the guest tests' target programs and gdb output parsers.
sys.path.insert(0, os.path.join(OUT, "build", "python"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "guest"))


def pytest_configure(config):
    import pytest
    if os.environ.get("IODBG_IN_VM") != "1":
        pytest.exit("tests/packages runs inside the test VM: use 'make test' or "
                    "tests/packages/run", 2)
