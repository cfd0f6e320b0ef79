"""Fixtures of the libiodbg host tests: one build through libiodbg's own Makefile (a no-op
when it is up to date), the library through ctypes, and target processes to debug."""
import os
import shutil
import subprocess

import pytest

from libiodbg_py import ASAN_O, LIBIODBG, O, Lib, TargetProc, Tracee


def make(*targets):
    res = subprocess.run(["make", "--no-print-directory", "-j2", "-C", str(LIBIODBG), f"O={O}",
                          *targets], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return res


@pytest.fixture(scope="session")
def build():
    """Everything the tests run: the library, the command and the target program, plain and
    with ASan+UBSan; the fuzzer when clang is there. Set IODBG_LIBIODBG_SO to test another
    build of the library (the sanitizer test does)."""
    res = make("all", "test-progs", "asan")
    if res.returncode:
        pytest.fail(f"make -C libiodbg failed:\n{res.stdout}", pytrace=False)
    return O


@pytest.fixture(scope="session")
def lib(build):
    return Lib(os.environ.get("IODBG_LIBIODBG_SO") or build / "lib" / "libiodbg.so.0")


@pytest.fixture(scope="session")
def iodbg(build):
    return str(build / "bin" / "iodbg")


@pytest.fixture(scope="session")
def fuzzers():
    """The folder of the libFuzzer targets (maps_fuzz, core_fuzz)."""
    if not (shutil.which("clang-14") or shutil.which("clang")):
        pytest.skip("no clang: install clang-14 and libclang-rt-14-dev for the fuzzer")
    res = make("fuzz")
    if res.returncode:
        pytest.fail(f"make -C libiodbg fuzz failed:\n{res.stdout}", pytrace=False)
    return O / "fuzz"


@pytest.fixture
def target(build, tmp_path):
    proc = TargetProc(build / "tests" / "target", tmp_path)
    yield proc
    proc.close()


@pytest.fixture
def asan_target(build, tmp_path):
    proc = TargetProc(ASAN_O / "tests" / "target", tmp_path)
    yield proc
    proc.close()


@pytest.fixture
def handle(lib, target):
    err, t = lib.open(target.pid)
    assert err == 0, lib.errmsg()
    yield t
    t.close()


@pytest.fixture
def tracee(target):
    """The target, stopped under our ptrace (what a debugger linking libiodbg has)."""
    t = Tracee(target.pid)
    t.stop()
    target.tracee = t  # so that peek() lets it run to answer
    yield t
    target.tracee = None
    t.detach()
