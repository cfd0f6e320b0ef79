"""iodbg-coredump's bad input on the host, where no kernel crash is needed: a core that is
truncated, not a core, or empty on stdin, a pid that is gone or not dumping core, missing
arguments, a small RLIMIT_CORE and a chained handler that fails. Whatever came on stdin is
saved as it came (or the report says why nothing was), with the reason in the report; the
command built with ASan and UBSan too. The real crashes are in tests/guest/test_coredump.py."""
import subprocess

import pytest

from libiodbg_py import ASAN_O, O


@pytest.fixture(params=["plain", "asan"])
def handler(request, build):
    return str((O if request.param == "plain" else ASAN_O) / "bin" / "iodbg-coredump")


@pytest.fixture
def kernel_core(iodbg, target, tmp_path):
    """A core like the kernel's (iodbg core writes the same layout and notes)."""
    path = tmp_path / "in.core"
    res = subprocess.run([iodbg, "core", "-o", str(path), str(target.pid)],
                         stderr=subprocess.PIPE, timeout=120)
    assert res.returncode == 0, res.stderr
    return path.read_bytes()


def run(handler, tmp_path, stdin, *args):
    """Run the handler as the kernel would; (exit status, stderr, {file name: bytes})."""
    dumps = tmp_path / "dumps"
    res = subprocess.run([handler, "-d", str(dumps), *map(str, args)], input=stdin,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    files = {p.name: p.read_bytes() for p in dumps.iterdir()}
    assert not [n for n in files if n.endswith(".part")], files.keys()
    return res.returncode, res.stderr.decode(), files


def split(files):
    """(core bytes or None, report text)"""
    [report] = [n for n in files if n.endswith(".txt")]
    return files.get(report[:-len(".txt")]), files[report].decode()


def gone_pid():
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def test_truncated_core_is_saved_as_it_came(handler, kernel_core, target, tmp_path):
    cut = kernel_core[:len(kernel_core) // 2]
    status, err, files = run(handler, tmp_path, cut, target.pid, target.pid, 11, 2**64 - 1)
    assert status == 0, err
    core, report = split(files)
    assert core == cut
    assert f"process {target.pid} is not dumping a core (CoreDumping: 0" in report
    assert "the kernel's core is truncated" in report, report
    assert "signal 11 (SIGSEGV)" in report


def test_not_a_core_is_saved_as_it_came(handler, tmp_path):
    junk = b"\x7fELF but not a core" * 1000
    status, err, files = run(handler, tmp_path, junk, gone_pid(), 1, 6, 2**64 - 1)
    assert status == 0, err
    core, report = split(files)
    assert core == junk
    assert "is gone" in report and "is not an x86-64 ELF core" in report, report
    assert "signal 6 (SIGABRT)" in report


def test_bad_arguments_still_save_the_core(handler, kernel_core, tmp_path):
    status, err, files = run(handler, tmp_path, kernel_core)
    assert status == 0, err
    core, report = split(files)
    assert core == kernel_core
    assert "no arguments (see iodbg-coredump --help): the core is saved without device " \
        "memory" in report
    status, err, files = run(handler, tmp_path / "2", kernel_core, "x", "y", "z", "w")
    core, report = split(files)
    assert core == kernel_core and "bad PID 'x' or TID 'y'" in report, report


def test_nothing_on_stdin(handler, target, tmp_path):
    status, err, files = run(handler, tmp_path, b"", target.pid, target.pid, 11, 2**64 - 1)
    core, report = split(files)
    assert core is None and "nothing came on stdin: no core" in report, report


def test_rlimit_core_cuts_the_core(handler, kernel_core, target, tmp_path):
    status, err, files = run(handler, tmp_path, kernel_core, target.pid, target.pid, 11, 12345)
    core, report = split(files)
    assert core == kernel_core[:12345]
    assert "the core was cut at RLIMIT_CORE (12345 bytes)" in report, report


def test_failing_chained_handler_costs_nothing(handler, kernel_core, target, tmp_path):
    status, err, files = run(handler, tmp_path, kernel_core, target.pid, target.pid, 11,
                             2**64 - 1, "--chain", "/bin/false")
    core, report = split(files)
    assert core == kernel_core
    assert "/bin/false failed (exit status 1)" in report, report
    status, err, files = run(handler, tmp_path / "2", kernel_core, target.pid, target.pid, 11,
                             2**64 - 1, "--chain", "/nonexistent/handler", "%P")
    core, report = split(files)
    assert core == kernel_core
    assert "cannot run /nonexistent/handler: No such file or directory" in err, err
    assert "/nonexistent/handler failed (exit status 127)" in report, report
