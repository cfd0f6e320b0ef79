"""The maps/smaps parser under libFuzzer (with ASan and UBSan) for a bounded time, seeded with
the fixtures: no crash, leak, undefined behaviour or broken invariant (see maps_fuzz.c).
IODBG_FUZZ_SECONDS sets the time (default 20)."""
import os
import subprocess

from libiodbg_py import FIXTURES, LIBIODBG


def test_fuzz_maps_parser(fuzzer, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    seconds = int(os.environ.get("IODBG_FUZZ_SECONDS", "20"))
    res = subprocess.run(
        [fuzzer, f"-max_total_time={seconds}", "-timeout=10", "-rss_limit_mb=2048",
         "-max_len=4096", f"-dict={LIBIODBG / 'tests' / 'fuzz' / 'maps.dict'}",
         f"-artifact_prefix={tmp_path}/", "-print_final_stats=1", corpus, FIXTURES],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=dict(os.environ, ASAN_OPTIONS="detect_leaks=1", UBSAN_OPTIONS="halt_on_error=1"))
    assert res.returncode == 0, res.stdout[-4000:]
    assert "Done" in res.stdout and "stat::number_of_executed_units" in res.stdout
    assert not list(tmp_path.glob("crash-*")) and not list(tmp_path.glob("leak-*"))
