"""iodbg-spu-stub: one SPU context's local store as the whole address space of a gdb inferior,
over the remote protocol. The real gdb against real spu_sim contexts (several of them on fewer
SPEs, so they switch on and off all the time); every output checked against the bytes the
program wrote, what it reads back itself, or the registers the kernel holds."""
import os
import re
import subprocess

import pytest

import iodbg_test_uapi as uapi
from targets import SLOWDOWN, SPU_PATTERN, GdbSession, SpuTarget, gdb_words, spu_pattern

STUB = os.path.join(os.environ.get("IODBG_OUT", ""), "build", "gdbserver-ext", "iodbg-spu-stub")
LS_SIZE = uapi.SPU_SIM_LS_SIZE
COUNTER = uapi.SPU_SIM_LS_COUNTER
def spu_word(ls_id, offset):
    return SPU_PATTERN | ls_id << 32 | offset


class Spu(SpuTarget):
    """tests/progs/spu_ctx with COUNT contexts."""
    def stub(self, i):
        return f"{STUB} {self.pid} {self.ctxs[i]['ls_id']}"


class Gdb(GdbSession):
    """gdb without iodbg's GDB package: connect() makes the stub for a context its remote
    target, which alone serves it."""
    def connect(self, t, i):
        out = self(f"target remote | {t.stub(i)}")
        assert "Remote debugging using" in out and "Remote connection closed" not in out, out
        return out


@pytest.fixture(autouse=True)
def stub_built():
    if not os.access(STUB, os.X_OK):
        pytest.fail(f"{STUB} is missing: make -C gdbserver-ext (or make build)")
    if not os.path.exists(f"/dev/{uapi.SPU_SIM_DEVICE_NAME}"):
        pytest.fail("spu_sim is not loaded: scripts/vm-run -m iodbg -m gpu_sim -m spu_sim ...")


@pytest.fixture(scope="module")
def gdb_session():
    session = Gdb()
    yield session
    session.close()


@pytest.fixture
def gdb(gdb_session):
    """The module's gdb, disconnected again after each test."""
    yield gdb_session
    gdb_session("disconnect")


def test_each_context_is_its_own_address_space(start, gdb):
    t = start(Spu, 3)
    for i, ctx in enumerate(t.ctxs):
        gdb.connect(t, i)
        out = gdb("x/4gx 0x100", "x/2gx 0x3ffe0", "disconnect")
        assert gdb_words(out) == [spu_word(ctx["ls_id"], o)
                                  for o in (0x100, 0x108, 0x110, 0x118, 0x3ffe0, 0x3ffe8)], out


def test_pc_is_the_npc_and_monitor_info_describes_the_context(start, gdb):
    t = start(Spu, 3)
    t.ok("stop 1")      # off the SPEs: npc and placement stay put while we look
    ctx, npc = t.ctxs[1], t.mem_regs(1).npc
    gdb.connect(t, 1)
    out = gdb("p/x $pc", "monitor info", "monitor help")
    assert f"$1 = {npc:#x}" in out, out
    assert f"process {t.pid}, SPU context of local store object {ctx['ls_id']}" in out, out
    assert re.search(rf"local store: object {ctx['ls_id']}, {LS_SIZE} bytes, placement saved; "
                     rf"mapped at {ctx['ls']:#x}-{ctx['ls'] + LS_SIZE:#x} \(offset 0x0\)", out), out
    assert f"registers: object {ctx['regs_id']}," in out, out
    assert f"npc {npc:#07x}, status saved (stopped)" in out, out
    assert "monitor info    the SPU context" in out, out


def test_reads_follow_the_context_on_and_off_the_spes(start, gdb):
    t = start(Spu, 3)
    ls_id = t.ctxs[0]["ls_id"]
    words = [spu_word(ls_id, o) for o in range(0x2000, 0x2000 + 8 * 64, 8)]
    t.ok("stop 0")
    gdb.connect(t, 0)
    saved = gdb("x/2gx 0x2000", "monitor info")
    assert gdb_words(saved) == words[:2], saved
    assert "placement saved" in saved, saved
    stopped_loads = t.mem_regs(0).loads
    t.ok("start 0")
    # Three contexts on two SPEs with 20 ms slices: it switches on and off while gdb reads.
    for _ in range(3):
        out = gdb("x/64gx 0x2000")      # 64 'm' packets: gdb reads word by word
        assert gdb_words(out) == words, out[-2000:]
    t.ok("yield 0")
    assert gdb_words(gdb("x/gx 0x3f000")) == [spu_word(ls_id, 0x3f000)]
    loads = t.mem_regs(0).loads
    assert loads > stopped_loads, loads     # it did go back onto an SPE after the stop


def test_writes_from_gdb_are_what_the_program_reads(start, gdb, tmp_path):
    t = start(Spu, 3)
    every_byte = bytes(range(256)) * 4     # '$', '#', '}' and '*' go escaped in X packets
    blob = tmp_path / "blob"
    blob.write_bytes(every_byte)
    gdb.connect(t, 2)
    gdb("set {unsigned int}0x40 = 0xdeadbeef", "set {char[6]}0x3000 = \"hello\"",
        f"restore {blob} binary 0x8000", "set {unsigned long long}0x3fff8 = 0x1122334455667788")
    assert t.own_ls(2, 0x40, 8) == (bytes.fromhex("efbeadde") +
                                    spu_pattern(t.ctxs[2]["ls_id"], 0x44, 4))
    assert t.own_ls(2, 0x3000, 6) == b"hello\0"
    assert t.own_ls(2, 0x8000, len(every_byte)) == every_byte
    # The mailbox sum, at the very end of the local store: the program adds to it only when it
    # takes an inbound mailbox entry, and nobody posts one here.
    assert t.own_ls(2, 0x3fff8, 8) == (0x1122334455667788).to_bytes(8, "little")
    out = gdb("x/s 0x3000", "x/wx 0x40")
    assert '0x3000:\t"hello"' in out, out
    assert out.endswith("0x40:\t0xdeadbeef\n"), out


def test_dump_of_the_whole_local_store_is_byte_for_byte(start, gdb, tmp_path):
    t = start(Spu, 3)
    t.ok("stop 0")
    stopped, running = tmp_path / "stopped", tmp_path / "running"
    gdb.connect(t, 0)
    out = gdb(f"dump binary memory {stopped} 0 {LS_SIZE:#x}", "disconnect")
    gdb.connect(t, 1)
    out += gdb(f"dump binary memory {running} 0 {LS_SIZE:#x}")
    assert stopped.read_bytes() == (spu_pattern(t.ctxs[0]["ls_id"], 0, COUNTER) +
                                    t.own_ls(0, COUNTER, LS_SIZE - COUNTER)), out
    # Context 1 runs on: its step counter moves, the rest is the pattern.
    data = running.read_bytes()
    assert len(data) == LS_SIZE, out
    assert data[:COUNTER] == spu_pattern(t.ctxs[1]["ls_id"], 0, COUNTER)


def test_find(start, gdb):
    t = start(Spu, 2)
    ls_id = t.ctxs[1]["ls_id"]
    gdb.connect(t, 1)
    out = gdb(f"find /g 0, +{LS_SIZE:#x}, {spu_word(ls_id, 0x1230):#x}")
    assert out == "0x1230\n1 pattern found.\n", out
    out = gdb(f"find /g 0x10000, +0x10000, {spu_word(t.ctxs[0]['ls_id'], 0x11230):#x}")
    assert out == "Pattern not found.\n", out
    out = gdb("set {char[8]}0x23450 = \"needle!\"", "find 0x20000, +0x10000, \"needle!\"")
    assert out == "0x23450\n1 pattern found.\n", out


def test_a_context_the_process_no_longer_maps_or_holds(start, gdb):
    t = start(Spu, 2)
    ls_id = t.ctxs[0]["ls_id"]
    gdb.connect(t, 0)
    t.ok("unmap 0")     # its files stay open: read and written by object
    out = gdb("x/gx 0x100", "set {int}0x200 = 0x1234", "x/wx 0x200", "monitor info")
    assert gdb_words(out) == [spu_word(ls_id, 0x100), 0x1234], out
    assert "local store: object %d, %d bytes, placement " % (ls_id, LS_SIZE) in out, out
    assert "not mapped, its file held open" in out, out
    t.ok("close 0")     # now the context is gone
    out = gdb("x/gx 0x100")
    assert "Cannot access memory at address 0x100\n" in out, out
    # the other context is untouched
    gdb("disconnect")
    gdb.connect(t, 1)
    assert gdb_words(gdb("x/gx 0x100")) == [spu_word(t.ctxs[1]["ls_id"], 0x100)]


def test_addresses_past_the_local_store_cannot_be_accessed(start, gdb):
    t = start(Spu, 1)
    ls_id = t.ctxs[0]["ls_id"]
    t.ok("stop 0")
    end = t.own_ls(0, 0x3fff0, 16)
    gdb.connect(t, 0)
    # What is in the local store reads, up to its end; nothing past it does.
    out = gdb("x/4gx 0x3ffe8")
    assert out == (f"0x3ffe8:\t{spu_word(ls_id, 0x3ffe8):#018x}\t"
                   f"{int.from_bytes(end[:8], 'little'):#018x}\n"
                   f"0x3fff8:\t{int.from_bytes(end[8:], 'little'):#018x}\t"
                   "Cannot access memory at address 0x40000\n"), out
    for command, expect in [
            ("x/gx 0x40000", "0x40000:\tCannot access memory at address 0x40000\n"),
            ("x/gx 0xffffffffffff0000",
             "0xffffffffffff0000:\tCannot access memory at address 0xffffffffffff0000\n"),
            ("set {int}0x40000 = 1", "Cannot access memory at address 0x40000\n"),
            # a write that would run past the end is refused whole
            ("set {long long}0x3fffc = 1", "Cannot access memory at address 0x3fffc\n")]:
        out = gdb(command)
        assert out == expect, (command, out)
    assert t.own_ls(0, 0x3fff0, 16) == end


def test_bad_pid_and_bad_context(start, gdb):
    t = start(Spu, 2)
    dead = subprocess.Popen(["true"])
    dead.wait()
    ids = sorted(c["ls_id"] for c in t.ctxs)
    for args, message in [
            ([str(dead.pid), "1"], f"no process {dead.pid}"),
            ([str(t.pid), "999999"], f"process {t.pid} has no iodbg object 999999 (its SPU "
                                     f"local stores: {ids[0]}, {ids[1]})"),
            ([str(t.pid), str(t.ctxs[0]["regs_id"])],
             f"object {t.ctxs[0]['regs_id']} of process {t.pid} is a spu_regs, not an SPU local "
             "store")]:
        res = subprocess.run([STUB, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, timeout=30 * SLOWDOWN)
        assert (res.returncode, res.stdout) == (1, ""), res
        assert message in res.stderr, res.stderr
    # gdb shows the stub's message and has no target.
    out = gdb(f"target remote | {STUB} {dead.pid} 1", "x/gx 0")
    assert f"iodbg-spu-stub: no process {dead.pid}" in out, out
    assert "Remote connection closed" in out or "Remote communication error" in out, out


def packet(payload):
    return b"$%s#%02x" % (payload, sum(payload) % 256)


def test_malformed_packets_are_refused_and_the_stub_serves_on(start):
    t = start(Spu, 1)
    ls_id = t.ctxs[0]["ls_id"]
    stub = subprocess.Popen([STUB, str(t.pid), str(ls_id)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE)
    try:
        def exchange(data, expect_len):
            stub.stdin.write(data)
            stub.stdin.flush()
            return stub.stdout.read(expect_len)

        assert exchange(b"$m100,8#00", 1) == b"-"                   # bad checksum
        assert exchange(packet(b"yzzy garbage"), 5) == b"+$#00"     # unknown: empty reply
        assert exchange(packet(b"m100"), 8) == b"+" + packet(b"E01")   # malformed
        good = packet(spu_pattern(ls_id, 0x100, 8).hex().encode())
        assert exchange(packet(b"m100,8"), 1 + len(good)) == b"+" + good
        assert exchange(b"-", len(good)) == good                    # asked again: sent again
        assert exchange(packet(b"D"), 7) == b"+" + packet(b"OK")
        stub.stdin.write(b"+")      # it waits for this before it exits
        stub.stdin.flush()
        assert stub.wait(timeout=30 * SLOWDOWN) == 0
    finally:
        stub.kill()
        stub.wait()
