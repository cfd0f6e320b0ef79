"""The bounded random-argument ioctl fuzzer (tests/progs/ioctl_fuzz.c) against /dev/iodbg,
/dev/gpu_sim and buffer object files. A kernel oops, BUG or WARN fails the whole VM run
(scripts/vm-run scans the serial log); this test asserts that the fuzzer made its calls, that
they reached past the argument checks, and that no batch crashed or hung.

IODBG_FUZZ_SECONDS (default 20) bounds the run; IODBG_FUZZ_SEED replays one (the seed is
printed, and given in every failure message)."""
import os
import re
import subprocess

from targets import PROGS

SECONDS = float(os.environ.get("IODBG_FUZZ_SECONDS", "20"))
SEED = os.environ.get("IODBG_FUZZ_SEED")
# Under TCG on 2 vCPUs the fuzzer makes 7,000-20,000 calls a second, depending mostly on how
# busy the host is; the floor leaves room for a slow host. On the debug kernel
# (scripts/build-debug-kernel) KASAN and lockdep make each call about 6 times slower.
DEBUG_KERNEL = os.uname().release.endswith("-iodbg-debug")
MIN_CALLS_PER_SECOND = 400 if DEBUG_KERNEL else 2500


def test_ioctl_fuzz_leaves_the_kernel_healthy(capsys):
    cmd = [os.path.join(PROGS, "ioctl_fuzz"), "-t", str(SECONDS)]
    if SEED:
        cmd += ["-s", SEED]
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         timeout=SECONDS + 120)
    print(res.stdout)
    # The counts, in the log of a passing run too.
    with capsys.disabled():
        print("\n" + "\n".join(line for line in res.stdout.splitlines()
                               if re.match(r"fuzz: (seed|errno|calls)", line)))
    report = f"exit status {res.returncode}; output:\n{res.stdout}"
    m = re.search(r"^fuzz: calls=(\d+) .* child_crashes=(\d+) hangs=(\d+)$", res.stdout, re.M)
    assert m, report
    calls, crashes, hangs = map(int, m.groups())
    assert res.returncode == 0 and crashes == 0 and hangs == 0, report
    assert calls >= MIN_CALLS_PER_SECOND * SECONDS, report
    # The calls got past the argument checks: every real command succeeded many times.
    ok = dict((name, int(good)) for name, good in
              re.findall(r"(\w+)=\d+/(\d+)", re.search(r"^fuzz: by command.*$", res.stdout,
                                                       re.M)[0]))
    for name in ("version", "list_objects", "list_vmas", "rw_addr", "rw_object", "object_info",
                 "create", "move"):
        assert ok.get(name, 0) >= 100, f"{name}: {ok.get(name)} successes; {report}"
