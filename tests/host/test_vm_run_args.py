"""The VM runner's arguments: a bad one is a usage error that says which, before any VM
boots, never a traceback."""
import os
import subprocess
from pathlib import Path

import pytest

VM_RUN = Path(__file__).resolve().parents[2] / "scripts" / "vm-run"


@pytest.mark.parametrize("args, env", [
    (["--cpus", "two"], {}), (["--cpus", "0"], {}), ([], {"IODBG_VM_CPUS": "two"}),
    ([], {"IODBG_VM_CPUS": "-1"}),
])
def test_a_bad_cpu_count_is_a_usage_error(args, env):
    res = subprocess.run([str(VM_RUN), *args, "--", "true"], env={**os.environ, **env},
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    assert res.returncode == 2, res.stderr
    assert "is not a number of CPUs" in res.stderr and "Traceback" not in res.stderr
