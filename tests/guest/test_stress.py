"""The race stress (tests/progs/gpu_stress.c): gpu_sim buffer objects migrate in a tight loop,
are evicted from VRAM by extra objects, while workers read and write them through ptrace,
/proc/PID/mem, the RW_ADDR and RW_OBJECT ioctls, the generic fallback and their own mappings;
every byte read is checked against the object's pattern and the values its writers may have
put there.

IODBG_STRESS_SECONDS (default 15) bounds the run; IODBG_STRESS_SEED replays a run (the seed
is printed, and given in every failure message)."""
import os
import re
import subprocess

from targets import PROGS

SECONDS = float(os.environ.get("IODBG_STRESS_SECONDS", "15"))
SEED = os.environ.get("IODBG_STRESS_SEED")
SUMMARY = re.compile(r"^stress: migrations=(\d+) reads=(\d+) writes=(\d+) bytes_checked=(\d+) "
                     r"wrong_bytes=(\d+) errors=(\d+)$", re.M)


def run_stress(*args, seconds=SECONDS):
    cmd = [os.path.join(PROGS, "gpu_stress"), "-t", str(seconds), *args]
    if SEED:
        cmd += ["-s", SEED]
    # The program's own watchdog ends it 120 s after its time is up.
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         timeout=seconds + 180)
    print(res.stdout)
    m = SUMMARY.search(res.stdout)
    counts = dict(zip(("migrations", "reads", "writes", "bytes_checked", "wrong_bytes",
                       "errors"), map(int, m.groups()))) if m else None
    return res, counts


def test_race_stress_reads_only_right_bytes(capsys):
    res, counts = run_stress()
    report = f"exit status {res.returncode}; output:\n{res.stdout}"
    # The counts, in the log of a passing run too.
    with capsys.disabled():
        print("\n" + "\n".join(line for line in res.stdout.splitlines()
                               if re.match(r"stress: (seed|ran|paths|readbacks|migrations)", line)))
    assert counts is not None, report
    assert res.returncode == 0, report
    assert counts["wrong_bytes"] == 0 and counts["errors"] == 0, report
    # Non-trivial work under TCG on 2 vCPUs: thousands of each are usual.
    assert counts["migrations"] > 100, report
    assert counts["reads"] > 1000 and counts["writes"] > 500, report
    assert re.search(r"^stress: .*test_objects_evicted=[1-9]", res.stdout, re.M), report


def test_race_stress_detects_a_wrong_byte():
    """The checker's self-test: a byte put behind the workers' backs fails the run."""
    res, counts = run_stress("-C", "-e", "0", seconds=2)
    report = f"exit status {res.returncode}; output:\n{res.stdout}"
    assert counts is not None, report
    assert res.returncode == 1, report
    assert counts["wrong_bytes"] > 0 and counts["errors"] == 0, report
    assert "stress: WRONG:" in res.stdout, report
