"""libiodbg's parsers of hostile input under libFuzzer (with ASan and UBSan) for a bounded
time: the maps/smaps parser seeded with the fixtures, the core reader seeded with real cores
(iodbg core's of a running program, its notes kept whole and its memory cut to a page, and
cores with Cell's and iodbg's notes): no crash, leak, undefined behaviour or broken invariant
(see maps_fuzz.c, core_fuzz.c). IODBG_FUZZ_SECONDS sets the time of each (default 20)."""
import os
import re
import struct
import subprocess

import cell_core
from libiodbg_py import FIXTURES, LIBIODBG

SECONDS = int(os.environ.get("IODBG_FUZZ_SECONDS", "20"))
LOAD_AT = 0x10000000


def fuzz(fuzzer, tmp_path, *args):
    """Run @fuzzer for SECONDS with the options and seed folders @args; its number of
    executions, after checking that it found nothing. What it learns goes into a corpus of
    its own, the first folder it is given (it writes there), never into the seeds."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    options = [a for a in args if str(a).startswith("-")]
    seeds = [a for a in args if not str(a).startswith("-")]
    res = subprocess.run(
        [fuzzer, f"-max_total_time={SECONDS}", "-timeout=10", "-rss_limit_mb=2048",
         f"-artifact_prefix={tmp_path}/", "-print_final_stats=1", *options, corpus, *seeds],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=dict(os.environ, ASAN_OPTIONS="detect_leaks=1", UBSAN_OPTIONS="halt_on_error=1"))
    assert res.returncode == 0, res.stdout[-4000:]
    assert "Done" in res.stdout and "stat::number_of_executed_units" in res.stdout
    assert not list(tmp_path.glob("crash-*")) and not list(tmp_path.glob("leak-*"))
    runs = int(re.search(r"stat::number_of_executed_units: (\d+)", res.stdout)[1])
    print(f"{fuzzer.name}: {runs} executions in {SECONDS} s")
    return runs


def test_fuzz_maps_parser(fuzzers, tmp_path):
    fuzz(fuzzers / "maps_fuzz", tmp_path, "-max_len=4096",
         f"-dict={LIBIODBG / 'tests' / 'fuzz' / 'maps.dict'}", FIXTURES)


def compact(core, page=4096):
    """@core (bytes of an ELF64 little-endian core) with its notes whole and its memory cut
    to the first page of the first PT_LOAD: the other segments keep their sizes in memory,
    none in the file."""
    phoff, = struct.unpack_from("<Q", core, 32)
    phnum, = struct.unpack_from("<H", core, 56)
    phdrs = [list(struct.unpack_from("<IIQQQQQQ", core, phoff + 56 * i)) for i in range(phnum)]
    out = bytearray(core[:phoff + 56 * phnum])
    first = True
    for ph in phdrs:
        p_type, _, off, _, _, filesz, _, _ = ph
        if p_type == cell_core.PT_NOTE or (p_type == cell_core.PT_LOAD and first and filesz):
            keep = filesz if p_type == cell_core.PT_NOTE else min(filesz, page)
            first = first and p_type != cell_core.PT_LOAD
            ph[2], ph[5] = len(out), keep
            out += core[off:off + keep]
        elif p_type == cell_core.PT_LOAD:
            ph[2], ph[5] = len(out), 0
    for i, ph in enumerate(phdrs):
        struct.pack_into("<IIQQQQQQ", out, phoff + 56 * i, *ph)
    return bytes(out)


def iodbg_notes():
    """A core's iodbg notes: the objects listed, one mapped at LOAD_AT (its bytes in the
    segment), one held unmapped (its bytes in a data note)."""
    name, core_t, object_t, data_t = "IODBG", 0x10db0000, 0x10db0001, 0x10db0002

    def obj(kind, stored, oid, size, start, length, owner=0):
        return struct.pack("<IIIIiIQQQQQQII", 80, kind, 1, 0, -1, stored, oid, size, start,
                           length, 0, owner, 3 if length else 0, 0)
    data = b"\x5a" * 512
    return (cell_core.note("<", name, core_t, struct.pack("<II16s", 24, 1, b"0.5.0")) +
            cell_core.note("<", name, object_t, obj(3, 1, 7, 4096, LOAD_AT, 4096, owner=8)) +
            cell_core.note("<", name, object_t, obj(4, 2, 8, 512, 0, 0)) +
            cell_core.note("<", name, data_t, struct.pack("<QQQQ", 8, 0, len(data), 256) + data))


def test_fuzz_core_reader(fuzzers, iodbg, target, tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    real = tmp_path / "real.core"
    res = subprocess.run([iodbg, "core", "-o", str(real), str(target.pid)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    assert res.returncode == 0, res.stderr
    (seeds / "iodbg-core").write_bytes(compact(real.read_bytes()))
    memory = bytes(range(256)) * 16
    small_ls = bytes(range(256)) * 4
    (seeds / "cell-ppc64").write_bytes(cell_core.core(
        cell_core.spu_context_notes(">", 3, small_ls, npc=0x40) +
        cell_core.spu_context_notes(">", 4, small_ls), [(LOAD_AT, memory)]))
    (seeds / "cell-x86-64").write_bytes(cell_core.core(
        cell_core.prstatus_x86_64(77) + cell_core.spu_context_notes("<", 5, small_ls),
        [(LOAD_AT, memory)], big_endian=False, machine=cell_core.EM_X86_64))
    (seeds / "iodbg-notes").write_bytes(cell_core.core(
        iodbg_notes() + cell_core.spu_context_notes("<", 6, small_ls, object_id=7),
        [(LOAD_AT, memory)], big_endian=False, machine=cell_core.EM_X86_64))
    assert all(len(s.read_bytes()) < 65536 for s in seeds.iterdir())
    assert fuzz(fuzzers / "core_fuzz", tmp_path, "-max_len=65536", seeds) > 0
