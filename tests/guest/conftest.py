"""Fixtures for the tests that run inside the test VM (scripts/vm-run), as root, with the
project's modules loaded."""
import os
import sys

import pytest

OUT = os.environ.get("IODBG_OUT", "")
sys.path.insert(0, os.path.join(OUT, "build", "python"))


def pytest_configure(config):
    if os.environ.get("IODBG_IN_VM") != "1":
        pytest.exit("tests/guest runs inside the test VM: use 'make test' or scripts/vm-run", 2)


@pytest.fixture
def uapi():
    import iodbg_test_uapi as iodbg_uapi
    return iodbg_uapi


@pytest.fixture
def scratch_target():
    """A process that maps 4 pages of an iodbg scratch object filled with the pattern."""
    from targets import Target
    target = Target("scratch_map", "4")
    yield target
    target.close()


@pytest.fixture
def start():
    """start(cls, *args): a target program (a targets.Target class), killed after the test."""
    started = []

    def start_target(cls, *args, **kw):
        started.append(cls(*args, **kw))
        return started[-1]
    yield start_target
    for t in started:
        t.close()
