"""libiodbg and the iodbg command built with ASan and UBSan (make asan) run with no report:
the command against the sanitized target, leaks included, and the ctypes suites again with
the sanitized library in a Python that has libasan preloaded (Python's own leaks are not
ours to check there, so only there leak detection is off)."""
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

from libiodbg_py import ASAN_O, PROJECT

PAGE = 4096
MARKERS = (b"AddressSanitizer", b"LeakSanitizer", b"runtime error:", b"UndefinedBehaviorSanitizer")
SAN_ENV = {"ASAN_OPTIONS": "halt_on_error=1:detect_leaks=1:exitcode=99",
           "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1:exitcode=99"}


def scenarios(t, tmp):
    big = f"{t.addr('big'):x}"
    vvar = next(line for line in open(f"/proc/{t.pid}/maps") if "[vvar]" in line).split("-")[0]
    (tmp / "data").write_bytes(bytes(range(256)) * 20)
    edge = f"{t.addr('hole', PAGE - 8):x}"
    return [
        (0, ["info"]), (0, ["info", "--json"]),
        (0, ["maps", t.pid]), (0, ["maps", "--json", t.pid]),
        (0, ["read", t.pid, big, "333"]),
        (0, ["read", "--report", "--json", "-o", tmp / "out", t.pid, big, "3M"]),
        (0, ["read", "--report", t.pid, f"{t.addr('two', PAGE - 5):x}", "10"]),
        (0, ["read", "--report", "--json", t.pid, f"{t.addr('guard', PAGE - 5):x}", "5000"]),
        (3, ["read", "--report", t.pid, edge, "64"]),
        (3, ["read", "-o", "/dev/null", t.pid, big, "1G"]),
        (1, ["read", "--report", "--json", t.pid, vvar, "16"]),
        (1, ["read", "--path=ptrace", t.pid, big, "16"]),
        (0, ["read", "--path=ptrace", "--attach", "--report", t.pid, f"{t.addr('big', 3):x}",
             "29"]),
        (0, ["write", "--report", t.pid, f"{t.addr('two', PAGE - 3):x}", "01 02 03 04 05 06"]),
        (0, ["write", "-f", tmp / "data", t.pid, f"{t.addr('big', 7):x}"]),
        (0, ["write", "--path=ptrace", "--attach", t.pid, f"{t.addr('big', 5):x}", "abcdef"]),
        (3, ["write", "--report", "--json", t.pid, edge, "00" * 20]),
        (1, ["read", 2**31 - 1, big, "16"]),
        (1, ["read", "--object=1", "--report", "--json", t.pid, "0", "16"]),
        (1, ["write", "--object=1", "--path=object", "--report", t.pid, "10", "00 01"]),
        (1, ["objects", "--json", t.pid]),
        (2, ["read", t.pid, big, "0"]), (2, ["write", t.pid, big, "xyz"]), (2, ["bogus"]),
    ]


def test_command_under_sanitizers(asan_target, tmp_path):
    exe = ASAN_O / "bin" / "iodbg"
    env = dict(os.environ, **SAN_ENV)
    for status, args in scenarios(asan_target, tmp_path):
        res = subprocess.run([exe, *map(str, args)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=env)
        assert not any(m in res.stderr for m in MARKERS), res.stderr.decode()
        assert res.returncode == status, (args, res.stderr.decode())


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become nobody")
def test_command_without_permission_under_sanitizers(asan_target):
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        exe = shutil.copy(ASAN_O / "bin" / "iodbg", tmp)
        res = subprocess.run([exe, "read", "--report", str(asan_target.pid),
                              f"{asan_target.addr('big'):x}", "16"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=dict(os.environ, **SAN_ENV),
                             user=65534, group=65534, extra_groups=[], cwd=tmp)
    assert not any(m in res.stderr for m in MARKERS), res.stderr.decode()
    assert res.returncode == 1 and b"no permission to debug process" in res.stderr


@pytest.mark.skipif(os.environ.get("IODBG_LIBIODBG_SO"), reason="already the sanitized run")
def test_library_suites_under_sanitizers(build):
    libasan = subprocess.run(["cc", "-print-file-name=libasan.so"], stdout=subprocess.PIPE,
                             text=True, check=True).stdout.strip()
    here = os.path.dirname(__file__)
    env = dict(os.environ, LD_PRELOAD=libasan, PYTHONDONTWRITEBYTECODE="1",
               IODBG_LIBIODBG_SO=str(ASAN_O / "lib" / "libiodbg.so.0"),
               ASAN_OPTIONS="halt_on_error=1:detect_leaks=0:exitcode=99",
               UBSAN_OPTIONS=SAN_ENV["UBSAN_OPTIONS"])
    res = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                          *(os.path.join(here, f"test_libiodbg_{name}.py")
                            for name in ["maps", "chain", "errors", "object"])],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=PROJECT)
    assert not any(m in res.stdout for m in MARKERS), res.stdout.decode()[-5000:]
    assert res.returncode == 0, res.stdout.decode()[-5000:]
    assert b" passed" in res.stdout and b"failed" not in res.stdout
