"""The GDB package's core backend: a process with SPU contexts (stopped, so that nothing
changes between the two looks; one not mapped, one whose files are closed) and one with GPU
objects in each placement are looked at with the iodbg commands in gdb attached to them,
then cored by iodbg core, and the same commands on gdb -c give the same output, but for the
line that names the path that read the bytes (on a core: the core). With and without the
program. Also iodbg read --core --object against the live bytes."""
import os
import re

import pytest

import iodbg_test_uapi as uapi
from targets import PROGS, GpuTarget, SpuTarget, gdb_batch, gpu_pattern, iodbg, spu_pattern
from test_core import core_of, gdb_core

GDB_PACKAGE = os.path.join(os.environ.get("IODBG_PROJECT", ""), "gdb-python", "iodbg.py")
VRAM, GART, SYSTEM = uapi.IODBG_PLACEMENT_DEVICE, uapi.IODBG_PLACEMENT_GART, \
    uapi.IODBG_PLACEMENT_SYSTEM
READ_BY = re.compile(r"read by: ([a-z_, ]+)")


def outputs(out, commands):
    """{command: its output}: each command is echoed before it runs (see marked())."""
    parts = re.split(r"^@@cmd (.*)@@$", out, flags=re.M)
    found = {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}
    assert list(found) == [*commands, "end"], out
    del found["end"]
    return found


def marked(commands):
    """The commands, each after an echo of its name, then an end mark (what gdb prints on
    leaving is no command's)."""
    return [c for command in commands for c in (f"echo @@cmd {command}@@\\n", command)] + \
        ["echo @@cmd end@@\\n"]


def core_gdb(exe, core, commands):
    out = gdb_core(exe, core, "set auto-solib-add off", f"source {GDB_PACKAGE}",
                   *marked(commands)) if exe else \
        gdb_batch(None, f"core-file {core}", *marked(commands), iodbg=True)
    assert "Traceback" not in out and "Python Exception" not in out, out
    return outputs(out, commands)


def live_gdb(pid, commands):
    return outputs(gdb_batch(pid, *marked(commands), iodbg=True), commands)


def same_but_the_path(live, cored):
    """The live outputs and the core's are the same, but that the core's bytes were read by
    the core; the live ones by the path that served them."""
    assert live.keys() == cored.keys()
    for command in live:
        assert "Undefined" not in live[command] and "error" not in live[command].lower(), \
            (command, live[command])
        assert READ_BY.sub("read by: core", live[command]) == cored[command], command
        if READ_BY.search(live[command]):
            assert "read by: core" in cored[command]


@pytest.mark.parametrize("with_program", [True, False], ids=["program", "core-only"])
def test_spu_commands_on_a_core_as_on_the_process(start, tmp_path, with_program):
    t = start(SpuTarget, 3)
    for i in range(3):
        t.ok(f"stop {i}")
    assert t.command("wbox 0 4660") == "ok 1"
    t.ok("unmap 1")
    t.ok("close 2")
    ids = [c["ls_id"] for c in t.ctxs]
    commands = ["info spu", *[f"info spu-regs {i}" for i in ids],
                *[f"info spu-ls {i} 0 64" for i in ids], f"info spu-ls/g {ids[0]} 0x3ffc0",
                f"info spu mailbox {ids[0]}", f"info spu signal {ids[0]}",
                f"info spu dma {ids[0]}", "info gpu-objects"]
    live = live_gdb(t.pid, commands)
    core = tmp_path / "spu.core"
    res = core_of(t.pid, core)
    assert res.returncode == 0, res.stderr
    cored = core_gdb(os.path.join(PROGS, "spu_ctx") if with_program else None, core,
                     commands)
    same_but_the_path(live, cored)
    assert "SPU Inbound Mailbox\n0x00001234\n" in cored[f"info spu mailbox {ids[0]}"]
    assert "stopped" in cored[f"info spu-regs {ids[0]}"]
    # iodbg dump of a context held but not mapped, from the core's data notes.
    dump = tmp_path / "ls1"
    out = core_gdb(None, core, [f"iodbg dump {dump} {ids[1]}"])
    assert f"Wrote {uapi.SPU_SIM_LS_SIZE} bytes" in out[f"iodbg dump {dump} {ids[1]}"]
    assert dump.read_bytes()[:4096] == spu_pattern(ids[1], 0, 4096)
    # iodbg read --core --object: each local store as the process has it.
    for c in t.ctxs:
        res = iodbg("read", "--core", core, f"--object={c['ls_id']}", "-o", "-", "0", 4096)
        assert res.returncode == 0, res.stderr
        assert res.stdout == spu_pattern(c["ls_id"], 0, 4096)


def test_gpu_commands_on_a_core_as_on_the_process(start, tmp_path):
    t = start(GpuTarget, 3, 2, VRAM)
    t.move(1, GART)
    t.move(2, SYSTEM)
    handles = [bo["id"] for bo in t.bos]
    commands = ["info gpu-objects", "info spu", *[f"print $gpu_bo({h})" for h in handles],
                *[f"iodbg dump /dev/null {h}" for h in handles]]
    live = live_gdb(t.pid, commands)
    core = tmp_path / "gpu.core"
    res = core_of(t.pid, core)
    assert res.returncode == 0, res.stderr
    cored = core_gdb(os.path.join(PROGS, "gpu_bo"), core, commands)
    for command in ("info gpu-objects", "info spu"):
        assert live[command] == cored[command], command
    for h in handles:
        assert live[f"print $gpu_bo({h})"].split(" = ")[1] == \
            cored[f"print $gpu_bo({h})"].split(" = ")[1]
        assert re.sub(r"\(read by: .*\)", "", live[f"iodbg dump /dev/null {h}"]) == \
            re.sub(r"\(read by: .*\)", "", cored[f"iodbg dump /dev/null {h}"])
    for bo in t.bos:
        res = iodbg("read", "--core", core, f"--object={bo['id']}", "-o", "-", "0", bo["size"])
        assert res.returncode == 0 and res.stdout == gpu_pattern(bo["id"], 0, bo["size"])
    # The mappings of a core are not listed with their kinds: a clear error.
    out = core_gdb(None, core, ["info iodbg-maps"])["info iodbg-maps"]
    assert "is a core file, which keeps no listing of the mappings" in out
