"""Cores with SPU contexts as Cell Linux's kernel wrote them (NT_SPU notes "SPU/<fd>/<file>",
built byte for byte by cell_core.py): iodbg objects --core lists each context, iodbg read
--core reads its local store by object and the dumped memory by address, in the big-endian
PowerPC cores Cell wrote; the GDB package's core backend reads them in gdb -c (an x86-64 core
with the same notes, as this machine's gdb reads no PowerPC core)."""
import json
import os
import subprocess
from pathlib import Path

import cell_core
from cell_core import LS_SIZE

PROJECT = Path(__file__).resolve().parents[3]
LOADER = PROJECT / "gdb-python" / "iodbg.py"
LOAD_AT = 0x10000000


def local_store(seed):
    """256 KiB whose every 4-byte word says its context and offset."""
    return b"".join((seed << 24 | off).to_bytes(4, "big") for off in range(0, LS_SIZE, 4))


CONTEXTS = {3: local_store(0x13), 5: local_store(0x15)}
MEMORY = bytes(range(256)) * 16


def cell_notes(order):
    return b"".join(cell_core.spu_context_notes(order, fd, ls, npc=0x100 + fd)
                    for fd, ls in CONTEXTS.items())


def run(*args):
    return subprocess.run([str(a) for a in args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=120)


def test_cell_core_objects_and_bytes(iodbg, tmp_path):
    path = tmp_path / "cell.core"
    path.write_bytes(cell_core.core(cell_notes(">"), [(LOAD_AT, MEMORY)]))
    # The notes are well-formed ELF notes: elfutils lists them, in the kernel's order.
    res = run("eu-readelf", "-n", path)
    assert res.returncode == 0, res.stderr
    names = [line.split()[0] for line in res.stdout.decode().splitlines()
             if line.strip().startswith("SPU/")]
    assert names == [f"SPU/{fd}/{file}" for fd in CONTEXTS for file, _ in cell_core.SPU_FILES]
    res = run(iodbg, "objects", "--json", "--core", path)
    assert res.returncode == 0, res.stderr
    objs = json.loads(res.stdout)
    assert [(o["id"], o["kind"], o["size"], o["placement"], o["mapped"]) for o in objs] == \
        [(fd, "spu_ls", LS_SIZE, "saved", False) for fd in CONTEXTS]
    for fd, ls in CONTEXTS.items():
        res = run(iodbg, "read", "--core", path, f"--object={fd}", "-o", "-", "0", LS_SIZE)
        assert res.returncode == 0, res.stderr
        assert res.stdout == ls
    # A range past the local store stops at its end, and says so (exit status 3: partial).
    res = run(iodbg, "read", "--core", path, "--object=5", "-o", "-", hex(LS_SIZE - 8), 64)
    assert res.returncode == 3 and res.stdout == CONTEXTS[5][-8:]
    assert b"iodbg object 5 ends at offset 0x40000" in res.stderr
    res = run(iodbg, "read", "--core", path, "--object=4", "0", 16)
    assert res.returncode == 1 and b"the core has no iodbg object 4" in res.stderr
    res = run(iodbg, "read", "--core", path, "-o", "-", hex(LOAD_AT + 16), 32)
    assert res.returncode == 0 and res.stdout == MEMORY[16:48]


def test_odd_spu_note_names_are_not_contexts(iodbg, tmp_path):
    """Only "SPU/<fd>/<file>" with fd as the kernel's %d names a context's note."""
    ls = CONTEXTS[3]
    notes = b"".join(cell_core.note(">", name, cell_core.NT_SPU, ls)
                     for name in ("SPU/03/mem", "SPU/-1/mem", "SPU/3/mem/x", "SPU//mem",
                                  "SPU/99999999999/mem", "SPU/3", "SPU/"))
    path = tmp_path / "odd.core"
    path.write_bytes(cell_core.core(notes + cell_core.spu_context_notes(">", 7, ls),
                                    [(LOAD_AT, MEMORY)]))
    res = run(iodbg, "objects", "--json", "--core", path)
    assert res.returncode == 0, res.stderr
    assert [o["id"] for o in json.loads(res.stdout)] == [7]


def test_gdb_reads_cell_contexts_of_a_core(build, tmp_path):
    path = tmp_path / "cell-x86.core"
    path.write_bytes(cell_core.core(cell_core.prstatus_x86_64(4242) + cell_notes("<"),
                                    [(LOAD_AT, MEMORY)], big_endian=False,
                                    machine=cell_core.EM_X86_64))
    dump = tmp_path / "ls5"
    args = ["gdb", "-nx", "-batch", "-c", str(path)]
    for c in (f"source {LOADER}", "info spu", "info spu-ls/b 3 0x100 8", f"iodbg dump {dump} 5",
              "info gpu-objects"):
        args += ["-ex", c]
    out = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         timeout=60, env=dict(os.environ, IODBG_OUT=str(build.parent))).stdout
    assert "Traceback" not in out and "Python Exception" not in out, out
    assert "Id  Where  NPC  Status  Local store  Registers\n" \
           "3   saved  -    -       not mapped   not mapped\n" \
           "5   saved  -    -       not mapped   not mapped\n" in out
    want = CONTEXTS[3][0x100:0x108]
    assert "0x00100:\t" + "\t".join(f"0x{b:02x}" for b in want) + "\n(read by: core)\n" in out
    assert f"Wrote {LS_SIZE} bytes to {dump} (read by: core)." in out
    assert dump.read_bytes() == CONTEXTS[5]
    assert "No GPU objects." in out
