"""The tests of the kernel patch series (kernel/patches) with stock tools: stock gdb, gdbserver,
process_vm_readv/writev and /proc/PID/mem, run as a plain user on a process of its own, on
the mappings of kernel/tests/pfnmap_shapes.c, with no iodbg module loaded. They pass on the
patched kernel ("-iodbg" in its release); on a stock kernel the ones that need the series are
expected failures, each with the error the stock kernel gives and the fix it lacks, and the
ones that hold on every kernel (MMIO without ->access stays refused) pass.

Run inside the test VM with only the test module loaded, as scripts/run-tests does:
    scripts/vm-run -k 6.12 -m pfnmap_shapes -- /usr/bin/python3 -m pytest tests/kernel-series
"""
import os
import sys

OUT = os.environ.get("IODBG_OUT", "")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(OUT, "build", "python"), os.path.join(HERE, "..", "guest")]

import pytest  # noqa: E402


def pytest_configure(config):
    if os.environ.get("IODBG_IN_VM") != "1":
        pytest.exit("tests/kernel-series runs inside the test VM: use 'make test' or "
                    "scripts/vm-run -m pfnmap_shapes", 2)
    if os.path.exists("/sys/module/iodbg"):
        pytest.exit("tests/kernel-series shows what the kernel alone does: run it with no "
                    "iodbg module loaded (scripts/vm-run -m pfnmap_shapes)", 2)
    if not os.path.exists("/dev/pfnmap_shapes"):
        pytest.exit("no /dev/pfnmap_shapes: load the test module (scripts/vm-run -m "
                    "pfnmap_shapes)", 2)


def pytest_report_header(config):
    import series
    kind = "patched (the series applies)" if series.PATCHED else "stock (expected failures)"
    one_page = "yes" if series.ONE_PAGE_ACCESS_PHYS else "no"
    return (f"kernel {os.uname().release}: {kind}; generic_access_phys() one page at a "
            f"time: {one_page}")


@pytest.fixture(scope="session")
def gdb_session():
    import series
    gdb = series.Gdb()
    yield gdb
    gdb.close()


@pytest.fixture
def gdb(gdb_session):
    """The session's gdb, a plain user's, attached to nothing between tests."""
    if not gdb_session.alive():
        pytest.fail("the session's gdb has exited")
    return gdb_session


@pytest.fixture
def target():
    """A plain user's process with a mapping of each shape: ram (a), mmio (b), mmio_gaps (d),
    ram read-only, and on the patched kernel ram_gaps (c), which a stock kernel is not let
    near (6.1 reading it through generic_access_phys() WARNs, a panic in the test VM)."""
    import series
    shapes = ["ram", "mmio", "mmio_gaps", "ram:ro"] + (["ram_gaps"] if series.PATCHED else [])
    t = series.ShapesTarget(shapes)
    yield t
    t.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """An expected failure says what it got, beside why it was expected: the first line of
    the error the stock kernel gave, in the -ra summary."""
    outcome = yield
    report = outcome.get_result()
    if getattr(report, "wasxfail", None) is not None and call.excinfo is not None \
            and not call.excinfo.errisinstance(pytest.xfail.Exception):
        got = str(call.excinfo.value).splitlines()[0] if str(call.excinfo.value) else ""
        report.wasxfail += f" | got {call.excinfo.typename}: {got}"
