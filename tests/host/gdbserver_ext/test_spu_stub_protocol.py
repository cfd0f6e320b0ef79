"""The SPU stub on the host: its startup errors (there is no spu_sim here), and its packet and
command layers over a local store in memory (spu-stub-mem), byte by byte and with the real gdb.
The guest suite (tests/guest/test_spu_stub.py) runs it against real spu_sim contexts."""
import os
import re
import subprocess

import pytest

from spu_stub_rsp import gdb_batch, packet

LS_SIZE = 256 << 10
COUNTER = 0x3fff0
SPU_PATTERN = 0x5000000000000000


def word(ls_id, offset):
    return SPU_PATTERN | ls_id << 32 | offset


def pattern(ls_id, offset, length):
    first, last = offset // 8, (offset + length + 7) // 8
    words = b"".join(word(ls_id, 8 * i).to_bytes(8, "little") for i in range(first, last))
    return words[offset - 8 * first:][:length]


def escape(data):
    """Binary data as gdb escapes it in an X packet."""
    return b"".join(b"}" + bytes([c ^ 0x20]) if c in b"#$}*" else bytes([c]) for c in data)


def dead_pid():
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


# ---- the real stub: startup ----

def run(stub, *args):
    return subprocess.run([stub, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=30)


def test_help_and_usage(stub):
    res = run(stub, "--help")
    assert res.returncode == 0 and res.stdout.startswith(
        "usage: iodbg-spu-stub PID CTX\n       iodbg-spu-stub --ls-fd FD --regs-fd FD PID\n")
    assert "target remote | iodbg-spu-stub PID CTX" in res.stdout
    assert "--listen-fd FD" in res.stdout
    for args in [(), ("1",), ("1", "2", "3"), ("--ls-fd", "0", "1"),
                 ("--ls-fd", "0", "--regs-fd", "1", "1", "2")]:
        res = run(stub, *args)
        assert (res.returncode, res.stdout) == (2, ""), args
        assert res.stderr.startswith("usage: iodbg-spu-stub PID CTX\n"), args


@pytest.mark.parametrize("args, message", [
    (("abc", "5"), 'bad process id "abc"'), (("0", "5"), 'bad process id "0"'),
    (("-1", "5"), 'bad process id "-1"'), (("99999999999", "5"), 'bad process id "99999999999"'),
    (("1", "x"), 'bad context (local store object id) "x"'),
    (("1", "0"), 'bad context (local store object id) "0"'),
    (("1", "18446744073709551616"), 'bad context (local store object id) "18446744073709551616"'),
])
def test_bad_arguments(stub, args, message):
    res = run(stub, *args)
    assert (res.returncode, res.stdout, res.stderr) == (2, "", f"iodbg-spu-stub: {message}\n")


@pytest.mark.parametrize("args, message", [
    (("--ls-fd", "99", "--regs-fd", "1", "1"), '--ls-fd: "99" is not an open file descriptor'),
    (("--regs-fd=x", "--ls-fd", "0", "1"), '--regs-fd: "x" is not an open file descriptor'),
    (("--listen-fd",), "--listen-fd needs a file descriptor"),
    (("--bogus", "1", "2"), 'unknown option "--bogus"'),
])
def test_bad_options(stub, args, message):
    res = run(stub, *args)
    assert (res.returncode, res.stdout, res.stderr) == (2, "", f"iodbg-spu-stub: {message}\n")


def test_a_file_that_is_not_an_iodbg_object(stub, tmp_path):
    """Files handed over are checked before any iodbg ioctl: a plain file gets none."""
    path = tmp_path / "plain"
    path.write_bytes(b"x" * 4096)
    with open(path, "rb") as f:
        fd = str(f.fileno())
        res = subprocess.run([stub, "--ls-fd", fd, "--regs-fd", fd, str(os.getpid())],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, timeout=30, pass_fds=[f.fileno()])
    assert (res.returncode, res.stdout) == (1, ""), res
    assert res.stderr == f"iodbg-spu-stub: --ls-fd {fd} is not a file of an iodbg object\n"


def test_no_such_process(stub):
    pid = dead_pid()
    res = run(stub, str(pid), "5")
    assert (res.returncode, res.stdout, res.stderr) == (1, "", f"iodbg-spu-stub: no process {pid}\n")


def test_without_the_module(stub):
    if os.path.exists("/dev/iodbg"):
        pytest.skip("/dev/iodbg exists on this host")
    res = run(stub, str(os.getpid()), "5")
    assert (res.returncode, res.stdout) == (1, "")
    assert res.stderr == (f"iodbg-spu-stub: cannot list the iodbg objects of process "
                          f"{os.getpid()}: iodbg module not loaded (/dev/iodbg missing)\n")


def test_gdb_shows_why_the_stub_could_not_start(stub):
    pid = dead_pid()
    out = gdb_batch(f"target remote | {stub} {pid} 5", "x/gx 0")
    assert f"iodbg-spu-stub: no process {pid}" in out, out
    assert "Remote connection closed" in out or "Remote communication error" in out, out


# ---- the packet layer ----

def test_bad_checksums_are_refused_and_the_stub_serves_on(rsp):
    r = rsp()
    r.send(b"$m100,8#00")
    assert r.read(1) == b"-"
    r.send(b"$m100,8#zz")          # not even hex
    assert r.read(1) == b"-"
    assert r.ask(b"m100,8") == pattern(7, 0x100, 8).hex().encode()


def test_noise_between_packets_is_ignored(rsp):
    r = rsp()
    r.send(b"\x03+++junk\r\n" + packet(b"m8,8"))
    assert r.read(1) == b"+"
    assert r.reply() == pattern(7, 8, 8).hex().encode()


def test_a_dollar_inside_a_packet_starts_it_over(rsp):
    r = rsp()
    r.send(b"$m10" + packet(b"m20,4"))
    assert r.read(1) == b"+"
    assert r.reply() == pattern(7, 0x20, 4).hex().encode()


def test_a_nak_gets_the_last_packet_again(rsp):
    r = rsp()
    good = packet(pattern(7, 0x100, 8).hex().encode())
    r.send(packet(b"m100,8"))
    assert r.read(1 + len(good)) == b"+" + good
    r.send(b"-")
    assert r.read(len(good)) == good
    r.send(b"+")
    assert r.quiet()


def test_a_packet_too_long_is_acknowledged_and_refused(rsp):
    r = rsp()
    assert r.ask(b"M0,2000:" + b"00" * 0x2000) == b"E01"     # 16392 bytes, over PacketSize
    assert r.ask(b"m0,4") == pattern(7, 0, 4).hex().encode()


def test_unknown_and_empty_packets_get_the_empty_reply(rsp):
    r = rsp()
    for payload in [b"yzzy garbage", b"", b"vCont?", b"qTStatus", b"vMustReplyEmpty", b"p10",
                    b"\x00\xff"]:
        assert r.ask(payload) == b"", payload


# ---- the command layer ----

def test_connection_queries(rsp):
    r = rsp()
    assert r.ask(b"qSupported:multiprocess+;swbreak+;xmlRegisters=i386") == \
        b"PacketSize=4000;qXfer:features:read+"
    assert r.ask(b"?") == b"S05"
    assert r.ask(b"qAttached") == b"1"
    assert r.ask(b"qAttached:1") == b"1"
    assert r.ask(b"qC") == b"QC1"
    assert r.ask(b"qfThreadInfo") == b"m1"
    assert r.ask(b"qsThreadInfo") == b"l"
    assert r.ask(b"Hg0") == b"OK"
    assert r.ask(b"Hc-1") == b"OK"
    assert r.ask(b"T1") == b"OK"


def test_target_description_pins_x86_64(rsp):
    r = rsp()
    xml = b""
    while True:
        part = r.ask(b"qXfer:features:read:target.xml:%x,%x" % (len(xml), 16))
        assert part[:1] in (b"m", b"l") and len(part) <= 17, part
        xml += part[1:]
        if part[:1] == b"l":
            break
    assert b"<architecture>i386:x86-64</architecture>" in xml
    assert r.ask(b"qXfer:features:read:target.xml:0,1000")[1:] == xml
    assert r.ask(b"qXfer:features:read:other.xml:0,1000") == b"E00"
    assert r.ask(b"qXfer:features:read:target.xml:zz") == b"E01"


def test_registers_are_x86_64_with_rip_the_npc(rsp):
    r = rsp()
    regs = r.ask(b"g")
    assert regs == b"xx" * 128 + (0x100).to_bytes(8, "little").hex().encode()
    assert r.ask(b"g0") == b"E01"


def test_memory_reads(rsp):
    r = rsp()
    assert r.ask(b"m0,10") == pattern(7, 0, 16).hex().encode()
    assert r.ask(b"M3fff0,10:" + b"ab" * 16) == b"OK"
    # past the end: what is there; at or past the end: an error, never made-up bytes
    assert r.ask(b"m3fff8,100") == b"ab" * 8
    assert r.ask(b"m40000,1") == b"E02"
    assert r.ask(b"mffffffffffffffff,2") == b"E02"
    # at most half a packet's worth per reply: gdb asks again for the rest
    assert r.ask(b"m0,40000") == pattern(7, 0, 0x2000).hex().encode()


@pytest.mark.parametrize("payload", [b"m", b"m100", b"m100,", b"m,8", b"m100,8,", b"mxyz,8",
                                     b"m100,0", b"m10000000000000000,1", b"m100;8"])
def test_malformed_reads(rsp, payload):
    r = rsp()
    assert r.ask(payload) == b"E01"
    assert r.ask(b"m100,2") == pattern(7, 0x100, 2).hex().encode()


def test_hex_writes(rsp):
    r = rsp()
    assert r.ask(b"M40,4:efbeadde") == b"OK"
    assert r.ask(b"m40,8") == b"efbeadde" + pattern(7, 0x44, 4).hex().encode()
    # refused whole when it runs past the end: nothing is written
    assert r.ask(b"M3fffc,8:1111111111111111") == b"E02"
    assert r.ask(b"m3fff8,8") == b"00" * 8
    for bad in [b"M40,4", b"M40,4:efbead", b"M40,4:efbeaddeff", b"M40,4:efbeadzz", b"M40:00"]:
        assert r.ask(bad) == b"E01", bad
    assert r.ask(b"m40,4") == b"efbeadde"


def test_binary_writes_undo_escapes(rsp):
    r = rsp()
    assert r.ask(b"X0,0:") == b"OK"           # gdb's probe for X
    data = bytes(range(256))
    assert r.ask(b"X1000,100:" + escape(data)) == b"OK"
    assert r.ask(b"m1000,100") == data.hex().encode()
    assert r.ask(b"X2000,2:}") == b"E01"            # a dangling escape
    assert r.ask(b"X2000,2:abc") == b"E01"          # length does not match
    assert r.ask(b"X3ffff,2:ab") == b"E02"
    assert r.ask(b"m2000,2") == pattern(7, 0x2000, 2).hex().encode()


def test_transfers_stop_where_the_backend_does(rsp):
    r = rsp("7", "0x1004")
    assert r.ask(b"m1000,10") == pattern(7, 0x1000, 4).hex().encode()
    assert r.ask(b"m1004,4") == b"E03"
    assert r.ask(b"M1000,8:0000000000000000") == b"E03"


def test_resuming_is_refused_with_a_reason(rsp):
    r = rsp()
    for payload in [b"c", b"s", b"C05", b"S05"]:
        r.send(packet(payload))
        assert r.read(1) == b"+"
        said = bytes.fromhex(r.reply()[1:].decode())
        assert said == b"iodbg-spu-stub: the SPU context runs on its own; it cannot be resumed, " \
                       b"stepped or stopped from here\n"
        assert r.reply() == b"E04"
    assert r.ask(b"Z0,100,1") == b"E04"     # no int3 written into a program that runs on
    assert r.ask(b"m100,1") == pattern(7, 0x100, 1).hex().encode()


def monitor(r, command):
    """The text 'monitor COMMAND' prints, and its final reply."""
    r.send(packet(b"qRcmd," + command.encode().hex().encode()))
    assert r.read(1) == b"+"
    text = b""
    while True:
        reply = r.reply()
        if not reply.startswith(b"O") or reply == b"OK":
            return text.decode(), reply
        text += bytes.fromhex(reply[1:].decode())


def test_monitor_commands(rsp):
    r = rsp()
    assert monitor(r, "info") == ("a local store in memory (spu-stub-mem), npc 0x00100\n", b"OK")
    text, reply = monitor(r, "help")
    assert reply == b"OK" and "monitor info" in text
    assert monitor(r, "frobnicate") == (
        'unknown monitor command "frobnicate"; "monitor help" lists them\n', b"OK")
    assert r.ask(b"qRcmd,zz") == b"E01"
    assert r.ask(b"qRcmd") == b"E01"


def test_detach_kill_and_hangup_end_the_stub_cleanly(rsp):
    r = rsp()
    assert r.ask(b"D") == b"OK"
    assert r.proc.wait(timeout=10) == 0
    r = rsp()
    assert r.ask(b"vKill;1") == b"OK"
    assert r.proc.wait(timeout=10) == 0
    r = rsp()
    r.send(packet(b"k"))
    assert r.read(1) == b"+"
    r.proc.stdin.close()
    assert r.proc.wait(timeout=10) == 0
    r = rsp()
    r.proc.stdin.close()
    assert r.proc.wait(timeout=10) == 0
    assert r.proc.stderr.read() == b""


# ---- the real gdb against it ----

def gdb_mem(mem_stub, *commands, args="7"):
    return gdb_batch(f"target remote | {mem_stub} {args}", *commands)


def test_gdb_reads_writes_and_finds(mem_stub, tmp_path):
    dump, blob = tmp_path / "dump", tmp_path / "blob"
    blob.write_bytes(bytes(range(256)) * 2)
    out = gdb_mem(mem_stub, "p/x $pc", "x/2gx 0x100", "set {int}0x40 = 5", "x/wx 0x40",
                  "set {char[6]}0x3000 = \"hello\"", "x/s 0x3000",
                  f"find /g 0, +{LS_SIZE:#x}, {word(7, 0x1230):#x}",
                  f"find 0, +{LS_SIZE:#x}, \"hello\"",
                  f"restore {blob} binary 0x8000", f"dump binary memory {dump} 0 {LS_SIZE:#x}",
                  "info registers rip", "info threads")
    assert "$1 = 0x100\n" in out, out
    assert f"0x100:\t{word(7, 0x100):#018x}\t{word(7, 0x108):#018x}\n" in out, out
    assert "0x40:\t0x00000005\n" in out, out
    assert '0x3000:\t"hello"\n' in out, out
    assert "0x1230\n1 pattern found.\n" in out, out
    assert "0x3000\n1 pattern found.\n" in out, out
    assert re.search(r"^rip +0x100 +0x100$", out, re.M), out
    assert re.search(r"^\* 1 +Thread 1 +0x0000000000000100 in \?\? \(\)$", out, re.M), out
    expect = bytearray(pattern(7, 0, COUNTER) + bytes(16))
    expect[0x40:0x44] = (5).to_bytes(4, "little")
    expect[0x3000:0x3006] = b"hello\0"
    expect[0x8000:0x8200] = blob.read_bytes()
    assert dump.read_bytes() == expect


def test_gdb_cannot_access_memory_past_the_local_store(mem_stub):
    out = gdb_mem(mem_stub, "x/3gx 0x3fff0", "x/gx 0x40000", "set {int}0x40000 = 1",
                  "set {long long}0x3fffc = 1")
    assert ("0x3fff0:\t0x0000000000000000\t0x0000000000000000\n"
            "0x40000:\tCannot access memory at address 0x40000\n") in out, out
    assert out.count("Cannot access memory at address 0x40000\n") == 3, out
    assert "Cannot access memory at address 0x3fffc\n" in out, out


def test_gdb_reads_up_to_where_the_backend_stops(mem_stub):
    out = gdb_mem(mem_stub, "x/4wx 0x1000", args="7 0x1008")
    # (the stub's stderr comes between gdb's words and its error)
    assert f"0x1000:\t{word(7, 0x1000) & 0xffffffff:#010x}\t{word(7, 0x1000) >> 32:#010x}\t" in out
    assert "spu-stub-mem: offset 0x1008 fails by request\n" in out, out
    assert "Cannot access memory at address 0x1008\n" in out, out


def test_gdb_continue_and_monitor(mem_stub):
    out = gdb_mem(mem_stub, "continue", "stepi", "monitor info", "x/gx 0x100")
    assert out.count("it cannot be resumed, stepped or stopped from here\n") == 2, out
    assert "a local store in memory (spu-stub-mem), npc 0x00100\n" in out, out
    assert f"0x100:\t{word(7, 0x100):#018x}\n" in out, out
    assert "Remote communication error" not in out, out


def test_two_local_stores_in_two_inferiors(mem_stub):
    out = gdb_batch(f"target remote | {mem_stub} 7", "add-inferior", "inferior 2",
                    f"target remote | {mem_stub} 9", "x/gx 0x100", "inferior 1", "x/gx 0x100")
    assert out.index(f"0x100:\t{word(9, 0x100):#018x}\n") < \
        out.index(f"0x100:\t{word(7, 0x100):#018x}\n"), out
