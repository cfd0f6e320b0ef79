"""iodbg core on the host (no iodbg module: ordinary memory only) and the reading of cores:
stock gdb and eu-readelf read what iodbg core wrote, iodbg read --core gives the target's
bytes back, and truncated, corrupted and hostile core files give a clear error, never a
crash (the command built with ASan and UBSan too). The device memory is tested in the guest
(tests/guest/test_core.py)."""
import os
import re
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

import pytest

import cell_core
from libiodbg_py import ASAN_O, NOBODY, TargetProc

ELF64_EHDR = 64
ELF64_PHDR = 56
PT_LOAD, PT_NOTE = 1, 4


def run(*args, user=None):
    return subprocess.run([str(a) for a in args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=120, user=user, group=user,
                          extra_groups=[] if user is not None else None)


def phdrs(data):
    """[(type, offset, vaddr, filesz, memsz)] of an ELF64 file's program headers."""
    phoff, = struct.unpack_from("<Q", data, 32)
    phnum, = struct.unpack_from("<H", data, 56)
    out = []
    for i in range(phnum):
        p_type, _, off, vaddr, _, filesz, memsz, _ = struct.unpack_from(
            "<IIQQQQQQ", data, phoff + i * ELF64_PHDR)
        out.append((p_type, off, vaddr, filesz, memsz))
    return out


def notes(data):
    """[(name, type, desc offset, descsz)] of the first PT_NOTE segment."""
    _, off, _, filesz, _ = next(p for p in phdrs(data) if p[0] == PT_NOTE)
    found, pos = [], off
    while pos < off + filesz:
        namesz, descsz, ntype = struct.unpack_from("<III", data, pos)
        name = data[pos + 12:pos + 12 + namesz].rstrip(b"\0").decode()
        desc = pos + 12 + (namesz + 3) // 4 * 4
        found.append((name, ntype, desc, descsz, pos))
        pos = desc + (descsz + 3) // 4 * 4
    return found


@pytest.fixture
def core(iodbg, target, tmp_path):
    path = tmp_path / "core"
    res = run(iodbg, "core", "-o", path, target.pid)
    assert res.returncode == 0, res.stderr
    assert f"written to {path}" in res.stderr.decode()
    return path


def test_core_reads_back_the_target(iodbg, target, core):
    """Each region of the target, read from the core, is what the target holds; the target
    runs on afterwards."""
    for name, length in [("two", 2 * 4096), ("guard", 4096), ("big", 8 << 20), ("file", 4096)]:
        addr, _ = target.regions[name]
        res = run(iodbg, "read", "--core", core, "-o", "-", hex(addr), length)
        assert res.returncode == 0, res.stderr
        assert res.stdout == target.expect(name, 0, length), name
    # The hexdump is the live command's.
    addr = target.addr("two", 8)
    live = run(iodbg, "read", target.pid, hex(addr), 40)
    assert run(iodbg, "read", "--core", core, hex(addr), 40).stdout == live.stdout
    assert target.peek(target.addr("two"), 4) == target.expect("two", 0, 4)


def test_core_reports_what_it_lacks(iodbg, target, core):
    """The PROT_NONE page in the guard region is mapped but not dumped; the hole is not
    mapped; a read across the end of a region stops there (exit 3, the bytes before)."""
    guard = target.addr("guard", 4096)
    res = run(iodbg, "read", "--core", core, hex(guard), 16)
    assert res.returncode == 1
    assert f"0x{guard:x}: mapped, but its bytes were not dumped" in res.stderr.decode()
    hole = target.addr("hole", 4096)
    res = run(iodbg, "read", "--core", core, hex(hole), 16)
    assert res.returncode == 1 and "not mapped in the core" in res.stderr.decode()
    res = run(iodbg, "read", "--core", core, "-o", "-", hex(guard - 8), 16)
    assert res.returncode == 3 and res.stdout == target.expect("guard", 4096 - 8, 8)
    # No iodbg module on the host: the core says so rather than list nothing.
    res = run(iodbg, "objects", "--core", core)
    assert res.returncode == 1
    assert ("the iodbg objects were not listed when the core was written (the iodbg module "
            "was not loaded" in res.stderr.decode())


@pytest.mark.skipif(not shutil.which("gdb"), reason="no gdb")
def test_stock_gdb_reads_the_core(build, target, core):
    addr = target.addr("big", 4096)
    out = subprocess.run(["gdb", "-nx", "-batch", "-ex", "info threads", "-ex", "bt",
                          "-ex", f"x/8xb {addr:#x}", str(build / "tests" / "target"),
                          str(core)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, timeout=120).stdout
    assert f"LWP {target.pid}" in out, out
    assert re.search(r"^#\d+ .*\bmain \(", out, re.M), out
    words = re.search(rf"^0x{addr:x}:\s+(.*)$", out, re.M)
    assert words, out
    assert bytes(int(w, 16) for w in words[1].split()) == target.expect("big", 4096, 8)
    assert "too small" not in out and "Cannot access memory" not in out, out


@pytest.mark.skipif(not (shutil.which("eu-unstrip") and shutil.which("gdb")),
                    reason="no eu-unstrip (elfutils) or gdb")
def test_eu_unstrip_finds_the_modules_gcore_shows(target, core, tmp_path):
    """The modules and build ids in the core are those of gdb's gcore of the same process."""
    gcore = tmp_path / "gcore"
    subprocess.run(["gdb", "-nx", "-batch", "-p", str(target.pid), "-ex", f"gcore {gcore}"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    ours = subprocess.run(["eu-unstrip", "-n", "--core", str(core)], stdout=subprocess.PIPE,
                          text=True).stdout
    theirs = subprocess.run(["eu-unstrip", "-n", "--core", str(gcore)],
                            stdout=subprocess.PIPE, text=True).stdout
    assert re.search(r"^0x[0-9a-f]+\+0x[0-9a-f]+ [0-9a-f]{40}@.* libc\.so\.6$", ours, re.M), ours
    assert ours == theirs


@pytest.mark.skipif(not shutil.which("eu-readelf"), reason="no eu-readelf (elfutils)")
def test_eu_readelf_lists_the_notes(core):
    out = subprocess.run(["eu-readelf", "-n", str(core)], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True).stdout
    for note in ["PRSTATUS", "PRPSINFO", "AUXV", "FILE", "FPREGSET", "X86_XSTATE"]:
        assert re.search(rf"^\s+(CORE|LINUX)\s+\d+\s+{note}$", out, re.M), (note, out)
    assert re.search(r"^\s+IODBG\s+24\s+", out, re.M), out


def corrupt_cases(data):
    """(name, bytes, the message expected) for damaged copies of a good core."""
    notes_off = next(p for p in phdrs(data) if p[0] == PT_NOTE)[1]
    last_load = max((p for p in phdrs(data) if p[0] == PT_LOAD and p[3]), key=lambda p: p[1])
    iodbg_note = next(n for n in notes(data) if n[0] == "IODBG")

    def patch(offset, fmt, *values):
        b = bytearray(data)
        struct.pack_into(fmt, b, offset, *values)
        return bytes(b)
    return [
        ("empty", b"", "not an ELF file"),
        ("text", b"hello, world\n" * 10, "not an ELF file"),
        ("magic", b"\x7fELG" + data[4:], "not an ELF file"),
        ("exec", patch(16, "<H", 2), "not a core file"),
        ("class", patch(4, "<B", 1), "not"),
        ("machine", patch(18, "<H", 183), "another machine"),
        ("headers cut", data[:ELF64_EHDR + 10], "truncated"),
        ("notes cut", data[:notes_off + 100], "runs past the end of the file"),
        ("last segment cut", data[:last_load[1] + last_load[3] - 1],
         "runs past the end of the file"),
        ("phoff", patch(32, "<Q", len(data) - 8), "truncated"),
        ("note size", patch(notes_off + 4, "<I", 0xfffffff0), "run past its segment"),
        ("note name size", patch(notes_off, "<I", 0x7ffffff0), "run past its segment"),
        ("iodbg note size", patch(iodbg_note[4] + 4, "<I", 8), "bad size"),
        ("iodbg object note", patch(iodbg_note[2], "<I", 1 << 20), None),
        ("segment size", patch(phdrs_offset(data, last_load), "<Q", 1 << 62),
         "runs past the end of the file"),
    ]


def phdrs_offset(data, load):
    """File offset of the p_filesz field of program header @load."""
    phoff, = struct.unpack_from("<Q", data, 32)
    index = phdrs(data).index(load)
    return phoff + index * ELF64_PHDR + 32


@pytest.mark.parametrize("build_o", ["plain", "asan"])
def test_bad_cores_give_clear_errors(build, core, tmp_path, build_o):
    """Every damaged core is refused with a message saying what is wrong, exit 1, by objects
    --core and read --core alike; nothing crashes (the sanitized command reports nothing)."""
    iodbg = (build if build_o == "plain" else ASAN_O) / "bin" / "iodbg"
    data = core.read_bytes()
    for name, damaged, message in corrupt_cases(data):
        path = tmp_path / "bad"
        path.write_bytes(damaged)
        for args in (["objects", "--core", path], ["read", "--core", path, "0x1000", 16]):
            res = run(iodbg, *args)
            err = res.stderr.decode()
            assert res.returncode in (1, 3), (name, args, res.returncode, err)
            assert "ERROR: AddressSanitizer" not in err and "runtime error" not in err, err
            assert err.startswith("iodbg: "), (name, err)
            if message and args[0] == "objects":
                assert message in err, (name, err)
    # A folder is no core either.
    res = run(iodbg, "objects", "--core", tmp_path)
    assert res.returncode == 1 and "not a regular file" in res.stderr.decode()


def test_core_usage(iodbg, target, tmp_path):
    assert run(iodbg, "core").returncode == 2
    assert run(iodbg, "core", "x").returncode == 2
    res = run(iodbg, "read", "--core", tmp_path / "c", "--path=ptrace", "0", 1)
    assert res.returncode == 2 and "--core reads the core file alone" in res.stderr.decode()
    assert run(iodbg, "objects", "--core", tmp_path / "c", target.pid).returncode == 2
    res = run(iodbg, "read", "--core", tmp_path / "missing", "0", 1)
    assert res.returncode == 1 and "No such file" in res.stderr.decode()
    # A core that cannot be created leaves nothing behind and says why.
    res = run(iodbg, "core", "-o", tmp_path / "no" / "core", target.pid)
    assert res.returncode == 1 and "cannot create" in res.stderr.decode()
    # Nor into a pipe, which is left alone.
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    res = run(iodbg, "core", "-o", fifo, target.pid)
    assert res.returncode == 1 and "not a regular file" in res.stderr.decode()
    assert fifo.exists()
    assert target.peek(target.addr("two"), 4) == target.expect("two", 0, 4)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become nobody")
def test_plain_user_cores_only_their_own(iodbg, build, target, tmp_path):
    """nobody cores their own process; another user's is refused with EPERM and the reason,
    and no file is left."""
    folder = Path(tempfile.mkdtemp(prefix="iodbg-core-"))   # tmp_path is root's alone
    os.chown(folder, NOBODY, NOBODY)
    # The build may lie where nobody cannot reach (a clean clone in a private folder).
    iodbg = shutil.copy(iodbg, folder / "iodbg")
    program = shutil.copy(build / "tests" / "target", folder / "target")
    res = run(iodbg, "core", "-o", folder / "root.core", target.pid, user=NOBODY)
    assert res.returncode == 1
    err = res.stderr.decode()
    assert f"cannot attach to {target.pid}: Operation not permitted" in err and "ptrace" in err
    assert not (folder / "root.core").exists()
    own = TargetProc(program, folder, user=NOBODY, group=NOBODY, extra_groups=[])
    try:
        res = run(iodbg, "core", "-o", folder / "own.core", own.pid, user=NOBODY)
        assert res.returncode == 0, res.stderr
        addr, _ = own.regions["two"]
        res = run(iodbg, "read", "--core", folder / "own.core", "-o", "-", hex(addr), 64,
                  user=NOBODY)
        assert res.returncode == 0 and res.stdout == own.expect("two", 0, 64)
    finally:
        own.close()
        shutil.rmtree(folder)


def test_core_memory_stays_bounded(iodbg, tmp_path):
    """The segments stream: coring a process with ten times the memory takes no more memory
    in iodbg (peak RSS, each measured in a process of its own)."""
    rss, sizes = {}, {}
    for mib in (16, 160):
        proc = subprocess.Popen(["/usr/bin/python3", "-c", "import os, sys\n"
                                 f"b = bytearray(os.urandom({mib} << 20))\n"
                                 "print('ready', flush=True)\nsys.stdin.read()"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout.readline() == "ready\n"
            core = tmp_path / f"{mib}.core"
            out = subprocess.run(["/usr/bin/python3", "-c", "import resource, subprocess, sys\n"
                                  "r = subprocess.run(sys.argv[1:]).returncode\n"
                                  "print(r, resource.getrusage(resource.RUSAGE_CHILDREN)"
                                  ".ru_maxrss)", iodbg, "core", "-o", str(core),
                                  str(proc.pid)], stdout=subprocess.PIPE, text=True,
                                 timeout=300).stdout.split()
            assert out[0] == "0"
            rss[mib] = int(out[1]) << 10
            sizes[mib] = core.stat().st_size
            core.unlink()
        finally:
            proc.kill()
            proc.wait()
    assert sizes[160] - sizes[16] >= 144 << 20
    assert rss[160] - rss[16] < 8 << 20, rss


def test_core_of_a_process_another_tracer_holds(iodbg, target, tracee, tmp_path):
    """ptrace allows one tracer: the message says so, and the tracer keeps its tracee."""
    res = run(iodbg, "core", "-o", tmp_path / "core", target.pid)
    err = res.stderr.decode()
    assert res.returncode == 1 and "no process another tracer holds" in err, err
    assert not (tmp_path / "core").exists()
    assert target.peek(target.addr("two"), 4) == target.expect("two", 0, 4)


@pytest.mark.parametrize("build_o", ["plain", "asan"])
def test_core_that_listed_no_objects(build, tmp_path, build_o):
    """A core whose iodbg notes say the objects were listed, and none were: an empty list,
    no undefined behaviour (found by core_fuzz: memcpy from no array)."""
    iodbg = (build if build_o == "plain" else ASAN_O) / "bin" / "iodbg"
    info = cell_core.note("<", "IODBG", 0x10db0000, struct.pack("<II16s", 24, 1, b"0.5.0"))
    path = tmp_path / "none.core"
    path.write_bytes(cell_core.core(info, [(0x10000000, bytes(4096))], big_endian=False,
                                    machine=cell_core.EM_X86_64))
    res = run(iodbg, "objects", "--json", "--core", path)
    assert res.returncode == 0 and res.stdout == b"[]\n", res.stderr.decode()


def iodbg_object_note(kind, stored, oid, size, start=0, length=0):
    return cell_core.note("<", "IODBG", 0x10db0001, struct.pack(
        "<IIIIiIQQQQQQII", 80, kind, 1, 0, -1, stored, oid, size, start, length, 0, 0,
        3 if length else 0, 0))


@pytest.mark.parametrize("build_o", ["plain", "asan"])
def test_core_that_describes_an_object_twice_differently(build, tmp_path, build_o):
    """Two entries of one object id with different sizes: refused as corrupted (found by
    core_fuzz: an object read cut at one entry's size returned more than the other's)."""
    iodbg = (build if build_o == "plain" else ASAN_O) / "bin" / "iodbg"
    notes = (cell_core.note("<", "IODBG", 0x10db0000, struct.pack("<II16s", 24, 1, b"0.5.0")) +
             iodbg_object_note(3, 1, 8, 4096, 0x10000000, 4096) + iodbg_object_note(4, 0, 8, 512))
    path = tmp_path / "twice.core"
    path.write_bytes(cell_core.core(notes, [(0x10000000, bytes(4096))], big_endian=False,
                                    machine=cell_core.EM_X86_64))
    for args in (["objects", "--core", path], ["read", "--core", path, "--object=8", "0", 16]):
        res = run(iodbg, *args)
        err = res.stderr.decode()
        assert res.returncode == 1, err
        assert "iodbg object 8 is described twice, with different kinds or sizes" in err
        assert "runtime error" not in err and "AddressSanitizer" not in err
