"""Fixtures of the host tests of gdbserver-ext: one build through its own Makefile (a no-op when
it is up to date), and the stub's protocol layers over a local store in memory (spu-stub-mem),
since the host has no spu_sim to debug."""
import os
import sys
from pathlib import Path

import pytest

from spu_stub_rsp import Rsp

PROJECT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(PROJECT / "tests" / "common"))
import gdbserver_ext_build  # noqa: E402

O = Path(os.environ.get("IODBG_GDBSERVER_EXT_O") or
         Path(os.environ.get("IODBG_OUT") or PROJECT / "out") / "build" / "gdbserver-ext")


@pytest.fixture(scope="session")
def build():
    return gdbserver_ext_build.build(O, "all", "test-progs", "asan")


@pytest.fixture(params=gdbserver_ext_build.PROXY_BUILDS)
def proxy(build, request):
    """iodbg-gdbserver as built, and built with ASan and UBSan."""
    return str(gdbserver_ext_build.proxy(build, request.param))


@pytest.fixture(scope="session")
def stub(build):
    return str(build / "iodbg-spu-stub")


@pytest.fixture(scope="session")
def mem_stub(build):
    return str(build / "tests" / "spu-stub-mem")


@pytest.fixture(params=["plain", "asan"])
def rsp(build, request):
    """The stub over memory holding spu_ctx's pattern for local store object 7; built plain and
    with ASan and UBSan (which abort the stub on any error they find)."""
    prog = build / ("asan" if request.param == "asan" else "") / "tests" / "spu-stub-mem"
    started = []

    def start(*args):
        started.append(Rsp([str(prog), *(args or ("7",))]))
        return started[-1]
    yield start
    for r in started:
        r.close()
