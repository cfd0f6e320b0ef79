"""gdbserver-ext as the suites on the host run it: one build through its own Makefile (a no-op
when it is up to date), and the iodbg-gdbserver of each build, as built and with ASan and
UBSan, which abort it on any error they find, a leak at exit included."""
import subprocess
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
PROXY_BUILDS = ["plain", "asan"]


def build(o, *goals):
    """Build @goals of gdbserver-ext into folder @o; the folder, or the test fails."""
    res = subprocess.run(["make", "--no-print-directory", "-C", str(PROJECT / "gdbserver-ext"),
                          f"O={o}", *goals], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True)
    if res.returncode:
        pytest.fail(f"make -C gdbserver-ext failed:\n{res.stdout}", pytrace=False)
    return Path(o)


def proxy(o, which):
    """iodbg-gdbserver of build @which (one of PROXY_BUILDS) in folder @o."""
    return Path(o) / ("asan" if which == "asan" else "") / "iodbg-gdbserver"
