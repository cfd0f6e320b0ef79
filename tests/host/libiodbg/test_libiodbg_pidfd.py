"""A target is the process that was opened, never another one that got its pid after it was
reaped: every path either reaches the process by a handle of its own (/proc/PID opened at
iodbg_open, a pidfd) or checks after a call by pid that the pidfd's process still lives.
The pid is recycled on purpose, in a pid namespace of the test's own (ns_last_pid)."""
import os
import shutil

import pytest

from libiodbg_py import O, run_in_pid_namespace

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"),
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
        print("write", path, errname(n) if n < 0 else n, t.errmsg())
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
