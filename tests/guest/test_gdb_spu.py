"""The GDB package's SPU commands, in the real gdb attached to a program with real spu_sim
contexts: each output checked against the bytes the program wrote or the registers the
kernel holds, across context switches, and the error paths."""
import contextlib
import filecmp
import os
import re
import signal
import subprocess
import tempfile
import time

import pytest

import iodbg_test_uapi as uapi
from targets import (PROGS, SLOWDOWN, SPU_PATTERN, GdbSession, SpuTarget, Target, gdb_batch, gdb_mi,
                     gdb_table, gdb_words, iodbg_gdb, iodbg_unloaded, key_values,
                     proc_mem_write, spu_pattern)

LS_SIZE = uapi.SPU_SIM_LS_SIZE
NOBODY = 65534


def test_info_spu_lists_every_context(start):
    t = start(SpuTarget, 3)
    rows = gdb_table(iodbg_gdb(t.pid, "info spu"), "Id")
    assert sorted(int(r[0]) for r in rows) == sorted(c["ls_id"] for c in t.ctxs)
    by_id = {int(r[0]): r for r in rows}
    for ctx in t.ctxs:
        ident, where, npc, status, ls, regs = by_id[ctx["ls_id"]]
        assert re.fullmatch(r"SPE \d+|saved", where)
        assert int(npc, 16) < LS_SIZE
        assert int(ls, 16) == ctx["ls"] and int(regs, 16) == ctx["regs"]
        assert status in ("running", "ready")


def test_info_spu_ls_shows_the_local_store(start):
    t = start(SpuTarget, 2)
    ctx = t.ctxs[1]
    out = iodbg_gdb(t.pid, f"info spu-ls/gx {ctx['ls_id']} 0x100 32")
    words = gdb_words(out)
    assert b"".join(w.to_bytes(8, "little") for w in words) == spu_pattern(ctx["ls_id"],
                                                                         0x100, 32)
    assert re.search(r"^0x00100:\t0x[0-9a-f]{16}\t0x[0-9a-f]{16}$", out, re.M)
    assert "(read by: object)" in out


def test_info_spu_ls_formats_like_x(start):
    t = start(SpuTarget, 1)
    ls_id = t.ctxs[0]["ls_id"]
    expect = spu_pattern(ls_id, 0x40, 16)
    words = gdb_words(iodbg_gdb(t.pid, "info spu-ls 0 0x40 16".replace("0 ", f"{ls_id} ", 1)))
    assert words == [int.from_bytes(expect[i:i + 4], "little") for i in range(0, 16, 4)]
    # With one context, CTX may be left out; /d prints signed decimal words; /c bytes.
    out = iodbg_gdb(t.pid, "info spu-ls/dw", f"info spu-ls/c {ls_id} 0 8")
    first = int.from_bytes(spu_pattern(ls_id, 0, 4), "little", signed=True)
    assert re.search(rf"^0x00000:\t{first}\t", out, re.M)
    chars = [f"{b:#x}" if not 32 <= b < 127 else repr(chr(b)) for b in spu_pattern(ls_id, 0, 8)]
    assert "0x00000:\t" + "\t".join(chars) + "\n" in out


def test_info_spu_ls_of_a_context_the_program_does_not_map(start):
    t = start(SpuTarget, 2)
    ctx = t.ctxs[0]
    t.ok("unmap 0")
    out = iodbg_gdb(t.pid, "info spu", f"info spu-ls/gx {ctx['ls_id']} 0x2000 16")
    row = next(r for r in gdb_table(out, "Id") if int(r[0]) == ctx["ls_id"])
    assert row[4:] == ["not mapped", "not mapped"]
    words = gdb_words(out)
    assert b"".join(w.to_bytes(8, "little") for w in words) == spu_pattern(ctx["ls_id"],
                                                                         0x2000, 16)
    assert "(read by: object)" in out


def test_info_spu_regs_and_mailbox_of_a_stopped_context(start):
    t = start(SpuTarget, 2)
    ctx = t.ctxs[0]
    t.ok("stop 0")
    assert t.command("wbox 0 4660") == "ok 1"
    regs = t.mem_regs(0)
    out = iodbg_gdb(t.pid, f"info spu-regs {ctx['ls_id']}", f"info spu mailbox {ctx['ls_id']}")
    values = {r[1]: r for r in gdb_table(out, "Register")}
    assert int(values["npc"][2], 16) == regs.npc
    assert values["status"][4] == "stopped"
    assert int(values["run_ticks"][2], 16) == regs.run_ticks
    assert values["in_mbox"][2] == "0x00001234"
    assert "SPU Inbound Mailbox\n0x00001234\n" in out
    assert f"(context {ctx['ls_id']}, saved; read by: object)" in out


def wait_until_ran(t, i):
    deadline = time.monotonic() + 10
    while t.mem_regs(i).run_ticks < 2:
        assert time.monotonic() < deadline, "the context never ran"
        time.sleep(0.05)


def test_info_spu_signal_and_dma(start):
    t = start(SpuTarget, 1)
    ctx = t.ctxs[0]
    wait_until_ran(t, 0)
    t.ok("stop 0")
    signal1 = uapi.spu_sim_regs.signal1.offset
    proc_mem_write(t.pid, ctx["regs"] + signal1, (0xABCD).to_bytes(4, "little"))
    regs = t.mem_regs(0)
    assert regs.dma_count > 0, "the context ran and queued MFC commands before it stopped"
    out = iodbg_gdb(t.pid, "info spu signal", "info spu dma")
    assert "Signal 1 control word 0x0000abcd (Type Overwrite)\n" in out
    assert "Signal 2 not pending (Type Overwrite)\n" in out
    rows = gdb_table(out, "Opcode")
    assert len(rows) == regs.dma_count
    head = regs.dma_head % uapi.SPU_SIM_DMA_DEPTH
    assert rows[0][0] == "put"
    assert int(rows[0][4], 16) == regs.dma_ea[head]
    assert int(rows[0][5], 16) == regs.dma_lsa[head]


def test_x_on_local_store_before_and_after_a_context_switch(start):
    t = start(SpuTarget, 3)
    ctx = t.ctxs[2]
    expect = [int.from_bytes(spu_pattern(ctx["ls_id"], 0x200 + 8 * i, 8), "little")
              for i in range(2)]
    before = iodbg_gdb(t.pid, f"x/2gx $spu_ls({ctx['ls_id']}, 0x200)")
    t.ok("stop 2")
    after = iodbg_gdb(t.pid, f"x/2gx $spu_ls({ctx['ls_id']}, 0x200)", "info spu")
    assert gdb_words(before) == expect and gdb_words(after)[:2] == expect
    row = next(r for r in gdb_table(after, "Id") if int(r[0]) == ctx["ls_id"])
    assert row[1] == "saved" and row[3] == "stopped"


def test_gdb_writes_local_store_and_the_program_sees_it(start):
    t = start(SpuTarget, 2)
    ctx = t.ctxs[1]
    iodbg_gdb(t.pid, f"set {{unsigned int}}$spu_ls({ctx['ls_id']}, 0x300) = 0xdeadbeef")
    assert t.own_ls(1, 0x300, 8) == (0xDEADBEEF).to_bytes(4, "little") + \
        spu_pattern(ctx["ls_id"], 0x304, 4)


def test_iodbg_dump_and_plain_dump_of_a_local_store(start, tmp_path):
    t = start(SpuTarget, 2)
    ctx = t.ctxs[0]
    by_object, plain = tmp_path / "object.bin", tmp_path / "plain.bin"
    t.ok("stop 0")     # the counter words at the end stay still
    out = iodbg_gdb(t.pid, f"iodbg dump {by_object} {ctx['ls_id']}",
                    f"dump binary memory {plain} {ctx['ls']} {ctx['ls'] + LS_SIZE}")
    assert f"Wrote {LS_SIZE} bytes to {by_object} (read by: object)." in out
    data = by_object.read_bytes()
    assert len(data) == LS_SIZE
    assert data[:uapi.SPU_SIM_LS_COUNTER] == spu_pattern(ctx["ls_id"], 0,
                                                         uapi.SPU_SIM_LS_COUNTER)
    assert filecmp.cmp(by_object, plain, shallow=False)


def test_find_in_local_store(start):
    t = start(SpuTarget, 1)
    ctx = t.ctxs[0]
    word = SPU_PATTERN | ctx["ls_id"] << 32 | 0x1238
    out = iodbg_gdb(t.pid, f"find /g {ctx['ls']}, +{LS_SIZE}, {word:#x}")
    assert f"{ctx['ls'] + 0x1238:#x}" in out and "1 pattern found." in out


def test_spu_attach_gives_an_inferior_in_spu_addresses(start):
    t = start(SpuTarget, 2)
    ctx = t.ctxs[1]
    out = iodbg_gdb(t.pid, f"spu attach {ctx['ls_id']}", "x/2gx 0x100", "info spu",
                    "inferior 1", f"x/2gx {ctx['ls'] + 0x100:#x}")
    assert f"SPU context {ctx['ls_id']} of process {t.pid} is inferior 2" in out
    assert "Inferior 2 is not a process of this machine (its target is remote)" in out
    words = gdb_words(out)
    expect = [int.from_bytes(spu_pattern(ctx["ls_id"], 0x100 + 8 * i, 8), "little")
              for i in range(2)]
    assert words[:2] == expect, "inferior 2: address 0x100 is local store offset 0x100"
    assert words[2:] == expect, "inferior 1: the program's own mapping of it"


def test_spu_attach_to_a_context_the_program_maps_but_no_longer_holds(start):
    """Without a file of the context to hand over, the stub finds it in the process itself,
    as 'target remote | iodbg-spu-stub PID CTX' does."""
    t = start(SpuTarget, 2)
    ctx = t.ctxs[0]
    t.ok("close 0")
    out = iodbg_gdb(t.pid, f"spu attach {ctx['ls_id']}", "x/2gx 0x100")
    assert f"SPU context {ctx['ls_id']} of process {t.pid} is inferior 2" in out, out
    assert gdb_words(out) == [int.from_bytes(spu_pattern(ctx["ls_id"], 0x100 + 8 * i, 8),
                                             "little") for i in range(2)], out


@contextlib.contextmanager
def ptrace_scope(value):
    """Yama's kernel.yama.ptrace_scope set to @value for the with-block, then set back. Never
    3: that cannot be undone until the next boot."""
    assert value in (0, 1, 2)
    path = "/proc/sys/kernel/yama/ptrace_scope"
    with open(path) as f:
        old = f.read().strip()
    with open(path, "w") as f:
        f.write(str(value))
    try:
        yield
    finally:
        with open(path, "w") as f:
            f.write(old)


def wait_for_line(path, prefix, timeout=60 * SLOWDOWN):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = []
        if os.path.exists(path):
            with open(path) as f:
                lines = f.read().splitlines()
        if any(line.startswith(prefix) for line in lines):
            return lines
        time.sleep(0.1)
    pytest.fail(f"no '{prefix}' line in {path}")


def test_spu_attach_as_a_plain_user_under_yama():
    """Yama's ptrace_scope=1: only an ancestor of the program may read it, and gdb, which
    started it, is one; iodbg-spu-stub, another child of gdb, is not. spu attach works all
    the same, and the stub's writes are what the program reads."""
    workdir = tempfile.mkdtemp()
    gdb = None
    try:
        os.chown(workdir, NOBODY, NOBODY)
        stdin, stdout = os.path.join(workdir, "in"), os.path.join(workdir, "out")
        os.mkfifo(stdin, 0o600)
        os.chown(stdin, NOBODY, NOBODY)
        keep_open = os.open(stdin, os.O_RDWR)     # the program's stdin stays open
        with ptrace_scope(1):
            gdb = GdbSession(user=NOBODY, iodbg=True)
            gdb(f"file {PROGS}/spu_ctx")
            gdb.send(f"run 2 < {stdin} > {stdout}")
            lines = wait_for_line(stdout, "ready")
            ctxs = [key_values(line) for line in lines if line.startswith("ctx ")]
            pid = key_values(next(line for line in lines if line.startswith("ready")))["pid"]
            os.kill(pid, signal.SIGINT)     # gdb stops it and reads commands again
            out = gdb("info spu")
            assert sorted(int(r[0]) for r in gdb_table(out, "Id")) == \
                sorted(c["ls_id"] for c in ctxs), out
            ctx = ctxs[1]
            out = gdb(f"spu attach {ctx['ls_id']}", "x/2gx 0x100",
                      "set {unsigned int}0x300 = 0xfeedc0de", "x/wx 0x300", "monitor info")
            assert f"SPU context {ctx['ls_id']} of process {pid} is inferior 2" in out, out
            expect = [int.from_bytes(spu_pattern(ctx["ls_id"], 0x100 + 8 * i, 8), "little")
                      for i in range(2)]
            assert gdb_words(out) == expect + [0xFEEDC0DE], out
            assert f"local store: object {ctx['ls_id']}," in out, out
            out = gdb("inferior 1", f"x/wx $spu_ls({ctx['ls_id']}, 0x300)")
            assert gdb_words(out) == [0xFEEDC0DE], out
            gdb("inferior 2", "detach", "inferior 1")
        os.close(keep_open)
    finally:
        if gdb is not None:
            gdb.close()
        subprocess.run(["rm", "-rf", workdir])


def stub_object_files():
    """The iodbg object files each running iodbg-spu-stub holds: {pid: [link, ...]}."""
    held = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if not f.read().split(b"\0")[0].endswith(b"/iodbg-spu-stub"):
                    continue
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        links = []
        for fd in fds:
            with contextlib.suppress(OSError):
                links.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
        held[int(pid)] = [link for link in links if link.startswith("iodbg:")]
    return held


def test_spu_attach_lets_go_of_a_context_the_program_is_done_with(start):
    """The stub holds the files gdb handed over only while the program holds or maps the
    context: once it does neither, reads fail and the context is not kept alive."""
    t = start(SpuTarget, 2)
    ctx = t.ctxs[0]
    gdb = GdbSession(iodbg=True)
    try:
        gdb(f"attach {t.pid}", f"spu attach {ctx['ls_id']}", "inferior 1", "detach",
            "inferior 2")
        assert [len(links) for links in stub_object_files().values()] == [2]
        t.ok("unmap 0")     # its files stay open
        out = gdb("x/gx 0x100", "monitor info")
        assert gdb_words(out) == [int.from_bytes(spu_pattern(ctx["ls_id"], 0x100, 8),
                                                 "little")], out
        assert "not mapped, its file held open" in out, out
        t.ok("close 0")
        out = gdb("x/gx 0x100")
        assert "Cannot access memory at address 0x100" in out, out
        assert f"neither holds nor maps SPU context {ctx['ls_id']} any more" in out, out
        assert [len(links) for links in stub_object_files().values()] == [0]
    finally:
        gdb.close()


def test_completion_and_functions_hold_no_object_files(start):
    """Completion and $spu_ls() look at the program's objects and let go of them: gdb
    holding a copy of an object file would keep a context the program closed alive."""
    t = start(SpuTarget, 2)
    held = "shell echo held: $(ls -l /proc/$PPID/fd | grep -c iodbg:)"
    out = iodbg_gdb(t.pid, "complete info spu-regs ", held,
                    f"print $spu_ls({t.ctxs[0]['ls_id']}, 0)", held)
    assert len(re.findall(r"^info spu-regs \d+$", out, re.M)) == 2, out
    assert re.findall(r"^held: (\d+)$", out, re.M) == ["0", "0"], out


def test_spu_ls_inside_an_iodbg_command(start, tmp_path):
    """$spu_ls() evaluated by 'iodbg dump' itself, in the same command."""
    t = start(SpuTarget, 2)
    ls_id = t.ctxs[1]["ls_id"]
    path = tmp_path / "ls.bin"
    out = iodbg_gdb(t.pid, f"iodbg dump {path} $spu_ls({ls_id},0x100) 256")
    assert f"Wrote 256 bytes to {path}" in out, out
    assert path.read_bytes() == spu_pattern(ls_id, 0x100, 256)


def test_tui_window_text(start):
    """What 'layout iodbg' shows (the window's text; gdb draws it)."""
    t = start(SpuTarget, 2)
    out = iodbg_gdb(t.pid, "python import iodbg_gdb.tui; print('\\n'.join(iodbg_gdb.tui.lines()))")
    assert "SPU contexts:" in out and "GPU objects:" in out
    for ctx in t.ctxs:
        assert re.search(rf"^\s+{ctx['ls_id']}\s+(SPE \d+|saved)\s+npc 0x", out, re.M), out


COUNT_LISTINGS = ("python import iodbg_gdb.tui, iodbg_gdb.libiodbg as L; listings = []; "
                  "listing = L.Target._listing; L.Target._listing = "
                  "lambda self, *a: listings.append(a[0]) or listing(self, *a); "
                  "iodbg_gdb.tui.lines(); print('listings', listings)")


def test_tui_redraw_takes_one_snapshot(start):
    """A redraw of the window, at each stop, lists the program's objects (a listing scans
    its files) once for the SPU and the GPU part together."""
    t = start(SpuTarget, 2)
    out = iodbg_gdb(t.pid, COUNT_LISTINGS)
    assert "listings ['iodbg_objects']" in out, out


def test_completion_of_context_ids(start):
    t = start(SpuTarget, 2)
    out = iodbg_gdb(t.pid, "complete info spu-regs ", "complete info spu-ls/gx ",
                    f"complete info spu-ls {t.ctxs[0]['ls_id']} ")
    ids = sorted(str(c["ls_id"]) for c in t.ctxs)
    assert sorted(re.findall(r"^info spu-regs (\d+)$", out, re.M)) == ids
    assert sorted(re.findall(r"^info spu-ls/gx (\d+)$", out, re.M)) == ids
    assert not re.search(r"^info spu-ls \d+ \d+$", out, re.M), "OFFSET is not a context"


def test_mi_spu_list(start):
    t = start(SpuTarget, 2)
    [record] = gdb_mi(t.pid, "-iodbg-spu-list")
    assert record.startswith("^done,contexts=[")
    ids = [int(i) for i in re.findall(r'id="(\d+)"', record)]
    assert sorted(ids) == sorted(c["ls_id"] for c in t.ctxs)
    assert f'ls-addr="{t.ctxs[0]["ls"]:#x}"' in record


def test_errors_are_gdb_errors(start):
    t = start(SpuTarget, 2)
    out = iodbg_gdb(t.pid, "info spu-ls 999999", "info spu-regs", "info spu-ls "
                    f"{t.ctxs[0]['ls_id']} {LS_SIZE:#x}", "info spu-ls/q",
                    f"info spu event {t.ctxs[0]['ls_id']}", "print $spu_ls(999999, 0)")
    assert "No SPU context 999999 ('info spu' lists them)." in out
    assert "The program has 2 SPU contexts; name one ('info spu' lists them)." in out
    assert f"Offset {LS_SIZE:#x} is past the local store" in out
    assert 'Undefined output format "q"' in out
    assert "the simulated SPU has no event facility" in out
    assert out.count("No SPU context 999999") == 2, "info spu-ls and $spu_ls both say so"


def test_without_a_running_program():
    out = gdb_batch(None, "info spu", "info gpu-objects", iodbg=True)
    assert out.count("The program is not being run.") == 2
    assert "Traceback" not in out


def test_after_the_program_died(start):
    t = start(SpuTarget, 1)
    out = iodbg_gdb(t.pid, "kill", "info spu")
    assert "The program is not being run." in out


def test_with_the_modules_unloaded():
    with iodbg_unloaded():
        t = Target("anon_map", "4")
        try:
            out = gdb_batch(t.pid, "info spu", "info iodbg-maps", iodbg=True)
        finally:
            t.close()
    assert "iodbg module not loaded" in out
    assert "Traceback" not in out
    # Ordinary memory still reads, and says by which path.
    assert re.search(r"ordinary .* process_vm", out)


def test_permission_denied(start):
    """A user who may not debug root's program gets the kernel's refusal and then a GDB
    error from the iodbg commands, not a traceback."""
    t = start(SpuTarget, 1)
    out = gdb_batch(None, f"attach {t.pid}", "info spu", iodbg=True, user=NOBODY)
    assert "ptrace: Operation not permitted." in out
    assert "The program is not being run." in out
    assert "Traceback" not in out
