"""The tests of the VM runner itself. They run on the host and boot the test VM once per case
and kernel; IODBG_KERNELS (set by scripts/run-tests) names the kernels, default 6.1. Tests
marked debug_kernel run only on the debug kernels among them (6.12-debug, whose release ends
in -iodbg-debug): they need its checkers."""
import os
import subprocess
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
VM_RUN = PROJECT / "scripts" / "vm-run"


def pytest_configure(config):
    config.addinivalue_line("markers", "debug_kernel: needs the debug kernel's checkers")


def pytest_generate_tests(metafunc):
    if "kernel" not in metafunc.fixturenames:
        return
    kernels = os.environ.get("IODBG_KERNELS", "6.1").split()
    if metafunc.definition.get_closest_marker("debug_kernel"):
        kernels = [k for k in kernels if k.endswith("-debug")] or [pytest.param(
            None, id="no-debug-kernel",
            marks=pytest.mark.skip(reason="no debug kernel in IODBG_KERNELS"))]
    metafunc.parametrize("kernel", kernels)


class VmResult:
    def __init__(self, res):
        self.status, self.stdout, self.stderr = res.returncode, res.stdout, res.stderr


@pytest.fixture
def vm_run(kernel):
    """Run scripts/vm-run on the kernel under test; returns status, stdout and stderr."""
    def run(*args, timeout=600):
        res = subprocess.run([VM_RUN, "--kernel", kernel, *args], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, timeout=timeout)
        return VmResult(res)
    return run
