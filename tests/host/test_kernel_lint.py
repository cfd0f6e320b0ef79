"""The kernel code stays checkpatch --strict, sparse and W=1 clean on every fetched kernel."""
import shutil
import subprocess
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
LINT = PROJECT / "scripts" / "kernel-lint"


def lint(*args):
    return subprocess.run([LINT, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, cwd=PROJECT)


def test_kernel_code_is_clean():
    res = lint()
    assert res.returncode == 0, res.stdout


def test_lint_reports_a_style_error(tmp_path):
    """The lint must be able to fail: a copy of kernel/ with one bad line."""
    src = tmp_path / "kernel"
    shutil.copytree(PROJECT / "kernel", src)
    with open(src / "gpu_sim.c", "a") as f:
        f.write("int iodbg_lint_probe(void){return 0;}  \n")
    res = lint("--src", str(src), "--no-sparse")
    assert res.returncode == 1
    assert "gpu_sim.c" in res.stdout and "TRAILING_WHITESPACE" in res.stdout
