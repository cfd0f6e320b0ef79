"""A target is the process that was opened, never another one that got its pid after it was
reaped: every path either reaches the process by a handle of its own (/proc/PID opened at
iodbg_open, a pidfd) or checks after a call by pid that the pidfd's process still lives.
The pid is recycled on purpose, in a pid namespace of the test's own (ns_last_pid)."""
import ctypes
import errno
import os
import shutil
import subprocess

import pytest

from libiodbg_py import O, run_in_pid_namespace

needs_pid_namespace = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"),
                                         reason="needs root and unshare for a pid namespace")

RECYCLE = """
import errno, os
from libiodbg_py import Lib, TargetProc, errname
lib = Lib(sys.argv[1])
exe, tmp = sys.argv[2], sys.argv[3]

def recycle(victim):
    \"\"\"Kill and reap @victim, then start another target that gets its pid.\"\"\"
    pid = victim.pid
    victim.close()
    with open("/proc/sys/kernel/ns_last_pid", "w") as f:
        f.write(str(pid - 1))
    imposter = TargetProc(exe, tmp)
    assert imposter.pid == pid, (imposter.pid, pid)
    return imposter

def try_paths(t, imposter):
    for path in ["auto", "process_vm", "proc_mem", "ptrace"]:
        t.set_path(path)
        n, data, _ = t.read(imposter.addr("big"), 16)
        print(path, errname(n) if n < 0 else n, t.errmsg())
        n, _ = t.write(imposter.addr("big"), b"not yours")
        print("write-" + path, errname(n) if n < 0 else n, t.errmsg())
    assert imposter.peek(imposter.addr("big"), 9) == imposter.expect("big", 0, 9)
    err, maps = t.maps()
    print("maps", errname(err), t.errmsg())
"""


def lines_of(res):
    assert res.returncode == 0, res.stdout + res.stderr
    return [line.split(" ", 1) for line in res.stdout.splitlines()]


def check_gone(lines, pid):
    for what, result in lines:
        assert result.startswith("ESRCH "), (what, result)
        assert f"process {pid} is gone" in result or f"/proc/{pid}/smaps" in result, result


@needs_pid_namespace
def test_recycled_pid_is_not_read_or_written(build, tmp_path):
    res = run_in_pid_namespace(RECYCLE + """
victim = TargetProc(exe, tmp)
err, t = lib.open(victim.pid)
assert err == 0, lib.errmsg()
assert t.read(victim.addr("big"), 16)[0] == 16, t.errmsg()
print("pid", victim.pid)
try_paths(t, recycle(victim))
""", O / "lib" / "libiodbg.so.0", O / "tests" / "target", tmp_path)
    lines = lines_of(res)
    assert lines[0][0] == "pid"
    check_gone(lines[1:], int(lines[0][1]))
    assert len(lines) == 10


@needs_pid_namespace
def test_open_pidfd(build, tmp_path):
    """A handle opened on a pidfd: the library keeps a copy, so the caller's may go; the
    process it names, reaped and its pid taken again, is gone for it too."""
    res = run_in_pid_namespace(RECYCLE + """
victim = TargetProc(exe, tmp)
pidfd = os.pidfd_open(victim.pid)
err, t = lib.open_pidfd(pidfd)
assert err == 0, lib.errmsg()
os.close(pidfd)
assert lib.c.iodbg_target_pid(t.h) == victim.pid
n, data, _ = t.read(victim.addr("big"), 16)
assert (n, data) == (16, victim.expect("big", 0, 16)), t.errmsg()
print("pid", victim.pid)
try_paths(t, recycle(victim))
""", O / "lib" / "libiodbg.so.0", O / "tests" / "target", tmp_path)
    lines = lines_of(res)
    check_gone(lines[1:], int(lines[0][1]))
    assert len(lines) == 10


def test_open_pidfd_errors(lib, tmp_path):
    assert lib.open_pidfd(-1) == (-errno.EBADF, None)
    assert lib.errmsg() == "bad pidfd -1"
    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        assert lib.open_pidfd(fd) == (-errno.EINVAL, None)
        assert lib.errmsg() == f"descriptor {fd} is no pidfd"
    finally:
        os.close(fd)
    proc = subprocess.Popen(["true"])
    pidfd = os.pidfd_open(proc.pid)
    try:
        proc.wait()
        assert lib.open_pidfd(pidfd) == (-errno.ESRCH, None)
        assert lib.errmsg() == f"the process of pidfd {pidfd} has exited"
    finally:
        os.close(pidfd)
    h = ctypes.c_void_p()
    assert lib.c.iodbg_open_pidfd(os.getpid(), 1, ctypes.byref(h)) == -errno.EINVAL
    assert lib.errmsg() == "unknown flags 0x1" and not h.value
