"""The tests of the VM runner itself. They run on the host and boot the test VM once per case
and kernel; IODBG_KERNELS (set by scripts/run-tests) names the kernels, default 6.1."""
import os
import subprocess
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
VM_RUN = PROJECT / "scripts" / "vm-run"


def pytest_generate_tests(metafunc):
    if "kernel" in metafunc.fixturenames:
        metafunc.parametrize("kernel", os.environ.get("IODBG_KERNELS", "6.1").split())


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
