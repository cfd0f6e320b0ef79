"""iodbg-gdbserver on the host, in front of the real gdbserver: ordinary memory exactly as the
stock gdbserver gives it (in packets far larger than gdbserver's), its command line, and its
packet layer byte by byte under malformed, garbled, oversized and interrupting input, built
plain and with ASan and UBSan. There is no iodbg module here: the guest suite
(tests/guest/test_gdbserver_proxy.py) has the device memory."""
import errno
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from spu_stub_rsp import Rsp, gdb_batch, packet

PROJECT = Path(__file__).resolve().parents[3]
PROXY_PACKET_SIZE = 0x40000
MAP_EXEC = 0x4      # IODBG_MAP_EXEC, in the flags of 'monitor iodbg maps --json'
SLEEP = "/bin/sleep"


@pytest.fixture
def session(proxy):
    """The proxy on a pipe with gdbserver behind it running sleep: start(*args) -> Rsp."""
    started = []

    def start(*args):
        started.append(Rsp([proxy, *args, "-", SLEEP, "600"]))
        return started[-1]
    yield start
    for r in started:
        r.close()


def remote(proxy, *commands, server_args=()):
    return gdb_batch("set sysroot /",
                     f"target remote | {proxy} {' '.join(server_args)} - {SLEEP} 600",
                     *commands, "kill")


# ---- with the real gdb ----

def test_reads_as_the_stock_gdbserver_in_larger_packets(proxy, tmp_path):
    """Ordinary memory through the proxy is byte for byte what gdbserver alone gives, and gdb
    gets it in the proxy's packet size, which libiodbg reads in one call rather than
    gdbserver in pieces of its own size."""
    window = "$pc-0x8000 $pc+0x8000"      # ld.so's text around its entry: 64 KiB
    stock = gdb_batch("set sysroot /", f"target remote | gdbserver - {SLEEP} 600",
                      f"dump binary memory {tmp_path}/stock.bin {window}", "kill")
    out = remote(proxy, f"dump binary memory {tmp_path}/proxy.bin {window}",
                 "show remote memory-read-packet-size", server_args=["--iodbg-debug"])
    assert (tmp_path / "stock.bin").read_bytes() == (tmp_path / "proxy.bin").read_bytes(), \
        stock + out
    assert len((tmp_path / "proxy.bin").read_bytes()) == 0x10000
    assert f"gdbserver's packet size 0x47ff, gdb's {PROXY_PACKET_SIZE:#x}" in out, out
    assert re.search(r"read 0x[0-9a-f]+\+65536 through libiodbg: 65536\n", out), out


def read_memory(r, addr, length):
    """The bytes of an 'm' request, its reply's run-length encoding undone."""
    reply, text = r.ask(b"m%x,%x" % (addr, length)), b""
    i = 0
    while i < len(reply):
        if reply[i:i + 1] == b"*":
            text += text[-1:] * (reply[i + 1] - 29)
            i += 2
        else:
            text += reply[i:i + 1]
            i += 1
    return bytes.fromhex(text.decode())


def test_memory_replies_are_run_length_encoded(session):
    """As gdbserver's are: gdb reads fewer characters (the stack's lowest page is zeros)."""
    r = session()
    assert stopped(r.ask(b"?"))
    stack = next(m for m in json_monitor(r, "iodbg maps --json")["maps"]
                 if m["path"] == "[stack]")
    base = stack["start"]
    reply = r.ask(b"m%x,100" % base)
    assert len(reply) < 20 and b"*" in reply, reply
    assert read_memory(r, base, 0x100) == bytes(0x100)
    # Runs of '0' of every length from 1 to 201, the counts '#' and '$' stand for among them.
    for k in range(100):
        data = b"\x10" + bytes(k) + b"\x11" + bytes(k) + b"\x11"
        assert r.ask(b"M%x,%x:%s" % (base, len(data), data.hex().encode())) == b"OK"
        reply = r.ask(b"m%x,%x" % (base, len(data)))
        assert b"#" not in reply and b"$" not in reply, reply
        assert read_memory(r, base, len(data)) == data, (k, reply)


def test_reads_never_show_an_inserted_breakpoint(session):
    """gdbserver hides the trap instruction of a breakpoint it inserted from reads; the
    proxy's reads, which go around gdbserver, hide it too: near a breakpoint, gdbserver
    reads."""
    r = session()
    assert stopped(r.ask(b"?"))
    pid = int(monitor(r, "iodbg pid")[0])
    text = next(m for m in json_monitor(r, "iodbg maps --json")["maps"]
                if m["flags"] & MAP_EXEC)
    addr = text["start"] + 0x40
    before = read_memory(r, addr, 0x40)
    assert r.ask(b"Z0,%x,1" % (addr + 4)) == b"OK"
    with open(f"/proc/{pid}/mem", "rb") as mem:
        mem.seek(addr + 4)
        assert mem.read(1) == b"\xcc"     # the trap is in the program's memory
    assert read_memory(r, addr, 0x40) == before
    assert read_memory(r, addr + 4, 1) == before[4:5]
    assert read_memory(r, addr, 4) == before[:4]     # beside it: libiodbg reads
    assert r.ask(b"z0,%x,1" % (addr + 4)) == b"OK"
    assert read_memory(r, addr, 0x40) == before


def test_large_writes_are_split_and_read_back(proxy, tmp_path):
    data = os.urandom(0x10000)
    (tmp_path / "in.bin").write_bytes(data)
    # Below the stack pointer at the program's first instruction: stack nobody uses yet.
    out = remote(proxy, "set $base = ((unsigned long)$sp - 0x18000) & ~0xfff",
                 f"restore {tmp_path}/in.bin binary $base",
                 f"dump binary memory {tmp_path}/out.bin $base $base+0x10000",
                 f"find /b $base, +0x10000, {data[0x9000]}, {data[0x9001]}, {data[0x9002]}, "
                 f"{data[0x9003]}, {data[0x9004]}, {data[0x9005]}")
    assert (tmp_path / "out.bin").read_bytes() == data, out
    assert "pattern" in out and "Pattern not found" not in out, out


def test_monitor_commands_of_gdbserver_pass_through(proxy):
    out = remote(proxy, "monitor help", "monitor iodbg pid", "monitor iodbg path $sp")
    assert "The following monitor commands are supported" in out, out     # gdbserver's
    pid = int(re.search(r"^(\d+)$", out, re.M)[1])
    assert f"(process {pid}) killed" in out, out
    assert 'error: path takes an address, not "$sp"' in out, out


def test_tcp_listen_and_attach(proxy):
    target = subprocess.Popen([SLEEP, "600"])
    server = subprocess.Popen([proxy, "--attach", ":0", str(target.pid)],
                              stderr=subprocess.PIPE, text=True)
    try:
        line = server.stderr.readline()
        while line and not line.startswith("Listening on port"):
            line = server.stderr.readline()
        port = int(line.split()[-1])
        out = gdb_batch("set sysroot /", f"target remote :{port}", "monitor iodbg pid",
                        "x/2gx $sp", "detach")
        assert f"{target.pid}\n" in out and "Cannot access" not in out, out
        assert server.wait(timeout=30) == 0
        assert target.poll() is None, "detached, the program must live on"
    finally:
        server.kill()
        target.kill()
        target.wait()


def tcp_ask(sock, payload):
    """Send one packet on @sock and read the reply packet's payload (acks skipped)."""
    sock.sendall(packet(payload))
    data = b""
    while not re.search(rb"\$([^#]*)#..", data):
        chunk = sock.recv(4096)
        assert chunk, data
        data += chunk
    sock.sendall(b"+")
    return re.search(rb"\$([^#]*)#..", data).group(1)


def test_other_connections_are_refused_while_a_session_runs(proxy):
    """The proxy keeps its port open for 'monitor iodbg spu-serve' alone: any other
    connection is closed at once, not left waiting, and the session goes on."""
    server = subprocess.Popen([proxy, ":0", SLEEP, "600"], stderr=subprocess.PIPE, text=True)
    try:
        line = server.stderr.readline()
        while line and not line.startswith("Listening on port"):
            line = server.stderr.readline()
        port = int(line.split()[-1])
        with socket.create_connection(("127.0.0.1", port)) as gdb:
            assert stopped(tcp_ask(gdb, b"?"))
            with socket.create_connection(("127.0.0.1", port), timeout=10) as other:
                assert other.recv(1) == b""
            assert stopped(tcp_ask(gdb, b"?"))
    finally:
        server.kill()
        server.wait()


# ---- the command line ----

@pytest.mark.parametrize("args,message", [
    ([], "no COMM"),
    (["/dev/ttyS0", SLEEP], 'COMM "/dev/ttyS0": a serial device is not supported'),
    (["--attach", "-", "x1"], 'bad process id "x1"'),
    (["--connect=localhost:1", "-", SLEEP], "--connect takes no gdbserver arguments"),
])
def test_bad_command_lines(proxy, args, message):
    res = subprocess.run([proxy, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, timeout=30)
    assert res.returncode == 2 and message in res.stderr, res.stderr
    assert "usage: iodbg-gdbserver" in res.stderr


def test_gdbserver_that_cannot_start(proxy):
    res = subprocess.run([proxy, "--gdbserver=/nonexistent/gdbserver", ":0", SLEEP],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
    assert res.returncode == 127, res.stderr
    assert "cannot run /nonexistent/gdbserver" in res.stderr
    assert "gdbserver ended before gdb connected" in res.stderr


def test_program_that_cannot_start(proxy):
    res = subprocess.run([proxy, ":0", "/nonexistent/program"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, timeout=30)
    assert res.returncode != 0 and "gdbserver ended before gdb connected" in res.stderr


# ---- the packet layer, byte by byte ----

def stopped(reply):
    return reply.startswith(b"T") and b"thread:" in reply


def test_garbled_packets_are_refused_and_the_session_goes_on(session):
    r = session()
    assert stopped(r.ask(b"?"))
    r.send(b"$?#00")                            # bad checksum
    assert r.read(1) == b"-"
    r.send(b"$?#zz")                            # not hex
    assert r.read(1) == b"-"
    r.send(b"noise+\x00\xff$gar$?#3f")          # noise, and a packet begun over
    assert r.read(1) == b"+" and stopped(r.reply())
    r.send(packet(b"m" + b"0" * (PROXY_PACKET_SIZE + 16)))    # longer than the proxy takes
    assert r.read(1) == b"-"
    assert stopped(r.ask(b"?"))


@pytest.mark.parametrize("payload", [b"m", b"mzz,4", b"m10", b"m10,", b"M10,2:zz",
                                     b"M10,4:00", b"X10,4:\x01", b"X10,1:}",
                                     b"m1,ffffffffffffffffff", b"mffffffffffffffff,10",
                                     b"qSearch:memory:10;4", b"qSearch:memory:10;4;}",
                                     b"qRcmd,6", b"qRcmd,zz", b"qRcmd,696f64626700"])
def test_malformed_requests_get_errors(session, payload):
    r = session()
    reply = r.ask(payload)
    while reply.startswith(b"O") and reply != b"OK":    # console output of a monitor command
        reply = r.reply()
    assert reply.startswith(b"E") or reply == b"", reply
    assert stopped(r.ask(b"?"))


def test_unreadable_memory_is_gdbservers_error(session):
    r = session()
    assert r.ask(b"m0,10") == b"E01"
    assert r.ask(b"M0,1:00") == b"E01"
    assert r.ask(b"qSearch:memory:0;100;" + b"ab") == b"E01"


def test_interrupt_stops_the_running_program(session):
    r = session()
    r.ask(b"?")
    r.send(packet(b"vCont;c"))
    assert r.read(1) == b"+"
    assert r.quiet(0.5)
    r.send(b"\x03")
    reply = r.reply()
    assert reply.startswith(b"T02"), reply


def test_no_ack_mode(session):
    r = session()
    assert r.ask(b"QStartNoAckMode") == b"OK"
    r.send(packet(b"?"))                        # no '+' comes any more
    assert r.read(1) == b"$"
    reply = b""
    while not reply.endswith(b"#"):
        reply += r.read(1)
    r.read(2)
    assert stopped(reply[:-1])


def test_gdb_going_away_ends_gdbserver_and_its_program(proxy):
    r = Rsp([proxy, "-", SLEEP, "600"])
    try:
        reply = r.ask(b"qC")
        pid = int(re.match(rb"QC(?:p([0-9a-f]+)\.)?([0-9a-f]+)", reply)[2], 16)
        r.proc.stdin.close()
        assert r.proc.wait(timeout=30) == 0
        for _ in range(100):
            if not os.path.exists(f"/proc/{pid}"):
                break
            time.sleep(0.1)
        assert not os.path.exists(f"/proc/{pid}"), "gdbserver kills the program it started"
    finally:
        r.close()


def test_gdbserver_dying_ends_the_session(proxy):
    r = Rsp([proxy, "-", SLEEP, "600"])
    try:
        r.ask(b"?")
        gdbserver = int(subprocess.run(["pgrep", "-P", str(r.proc.pid), "gdbserver"],
                                       stdout=subprocess.PIPE, text=True).stdout.split()[0])
        os.kill(gdbserver, signal.SIGKILL)
        assert r.proc.wait(timeout=30) == 128 + signal.SIGKILL
        assert r.proc.stdout.read() == b""
    finally:
        r.close()


# ---- the fuzzer ----

def test_fuzz_the_packet_layer(build, tmp_path):
    """libFuzzer on the framer and the run-length expansion, for IODBG_FUZZ_SECONDS (20)."""
    if not (shutil.which("clang-14") or shutil.which("clang")):
        pytest.skip("no clang: install clang-14 and libclang-rt-14-dev for the fuzzer")
    res = subprocess.run(["make", "--no-print-directory", "-C", str(PROJECT / "gdbserver-ext"),
                          f"O={build}", "fuzz"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    assert res.returncode == 0, res.stdout
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "session").write_bytes(b"\x00\x3f$qSupported:multiprocess+#c9+$?#3f-\x03"
                                     b"%Stop:T05thread:p1.1;#00$m10,4#fb}")
    (corpus / "rle").write_bytes(b"\x01" + b"0*\"12*#")
    seconds = int(os.environ.get("IODBG_FUZZ_SECONDS", "20"))
    res = subprocess.run(
        [str(build / "fuzz" / "framer_fuzz"), f"-max_total_time={seconds}", "-timeout=10",
         "-max_len=4096", f"-artifact_prefix={tmp_path}/", "-print_final_stats=1", corpus],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=dict(os.environ, ASAN_OPTIONS="detect_leaks=1", UBSAN_OPTIONS="halt_on_error=1"))
    assert res.returncode == 0, res.stdout[-4000:]
    runs = re.search(r"stat::number_of_executed_units: (\d+)", res.stdout)
    assert runs and int(runs[1]) > 1000, res.stdout[-2000:]
    print(f"framer_fuzz: {runs[1]} executions in {seconds} s")
    assert not list(tmp_path.glob("crash-*")) and not list(tmp_path.glob("leak-*"))


def monitor(r, line):
    """The console output of 'monitor LINE' and its final answer."""
    reply, text = r.ask(b"qRcmd," + line.encode().hex().encode()), b""
    while reply.startswith(b"O") and reply != b"OK":
        text += bytes.fromhex(reply[1:].decode())
        reply = r.reply()
    return text.decode(), reply


def test_packet_starting_with_nul_is_no_memory_write(session):
    """A NUL where the packet's letter goes is an unknown packet, as gdbserver sees it, not an
    X write to the address that follows."""
    r = session()
    assert r.ask(b"\x0010,4:abcd") == b""
    assert stopped(r.ask(b"?"))


@pytest.mark.parametrize("arg,answer", [("010", "0xa: "), ("0x10", "0x10: "), ("16", "0x10: "),
                                        ("-1", "error: "), ("0x", "error: "), ("1e3", "error: ")])
def test_monitor_path_takes_hex_or_decimal(session, arg, answer):
    r = session()
    r.ask(b"?")
    text, reply = monitor(r, f"iodbg path {arg}")
    assert text.startswith(answer), text
    assert reply == (b"E01" if answer == "error: " else b"OK")


def json_monitor(r, line):
    """The JSON document that 'monitor LINE' prints, after an OK."""
    text, reply = monitor(r, line)
    assert reply == b"OK", (text, reply)
    doc = json.loads(text)
    assert doc["iodbg-json"] == 1
    return doc


def test_json_documents(proxy, tmp_path):
    """The machine-readable monitor output that the GDB package's remote backend reads: the
    mappings (with a path of hostile bytes, which comes back byte for byte), reads and probes
    with the paths that served them, and errors as errno and message."""
    program = tmp_path / 'sl"e\\ep\n\x7f\u00e9'
    shutil.copy(SLEEP, program)
    r = Rsp([proxy, "-", str(program), "600"])
    try:
        assert stopped(r.ask(b"?"))
        pid = int(monitor(r, "iodbg pid")[0])
        maps = json_monitor(r, "iodbg maps --json")
        assert maps["pid"] == pid
        # As the kernel prints it in /proc/PID/maps, which escapes the newline.
        shown = os.fsencode(program).replace(b"\n", b"\\012")
        mine = [m for m in maps["maps"] if m["path"].encode("latin-1") == shown]
        assert mine, [m["path"] for m in maps["maps"]]
        assert all(m["kind"] == "ordinary" and m["object"] is None for m in mine), maps
        start = mine[0]["start"]
        doc = json_monitor(r, f"iodbg read --json --pid {pid} {start:#x} 64")
        assert doc["result"] == 64 and doc["message"] == ""
        assert bytes.fromhex(doc["data"]) == read_memory(r, start, 0x40)
        assert bytes.fromhex(doc["data"])[:4] == b"\x7fELF"
        assert [(s["addr"], s["len"], s["errno"]) for s in doc["segments"]] == [(start, 64, 0)]
        assert doc["segments"][0]["path"] == "process_vm"
        doc = json_monitor(r, f"iodbg read --json --path proc_mem {start:#x} 8")
        assert doc["segments"][0]["path"] == "proc_mem"
        doc = json_monitor(r, f"iodbg probe --json {start:#x} 0")
        assert doc["paths"] == ["process_vm", None] and doc["errors"][0] == 0, doc
        assert doc["errors"][1] > 0
        doc = json_monitor(r, "iodbg read --json 0 16")
        assert doc["result"] < 0 and doc["message"] and doc["data"] == "", doc
        # No iodbg module on the host: an error document, not a failed command.
        doc = json_monitor(r, "iodbg objects --json")
        assert doc["error"]["errno"] == errno.ENODEV and doc["error"]["message"], doc
        doc = json_monitor(r, "iodbg maps --json --pid 999999999")
        assert doc["error"]["errno"] == errno.ESRCH, doc
        assert monitor(r, "iodbg objects")[1] == b"E01"      # the human form fails
        assert stopped(r.ask(b"?"))
    finally:
        r.close()


@pytest.mark.parametrize("line,message", [
    ("read --json", "ADDR LENGTH expected"), ("read --json 0 0", "the length must be"),
    ("read --json 0 0x100001", "the length must be"), ("read 0 zz", "not a number"),
    ("read --object 1 2", "--object takes ID OFFSET LENGTH"),
    ("read --path nowhere 0 1", 'no such path "nowhere"'),
    ("read --allow-mmio maybe 0 1", '--allow-mmio takes on or off, not "maybe"'),
    ("read --pid", "--pid takes a value"), ("probe --pid 0 1", "--pid takes a process id"),
    ("probe", "no address"), ("probe 1 zz", '"zz" is no address'),
    ("probe " + "1 " * 5000, "more than 4096 arguments"),
    ("objects --bogus", 'unknown option "--bogus"'), ("maps extra", 'unexpected "extra"'),
    ("objects --object", 'unknown option "--object"'),
    ("spu-serve", "an SPU local store's object id expected"),
    ("spu-serve 0", "an SPU local store's object id expected"),
    ("spu-serve 5", "not on standard input and output")])
def test_bad_monitor_requests_get_an_error_and_the_session_goes_on(session, line, message):
    r = session()
    assert stopped(r.ask(b"?"))
    text, reply = monitor(r, "iodbg " + line)
    assert reply == b"E01" and text.startswith("error: ") and message in text, text
    assert stopped(r.ask(b"?"))


MAP_PREFIX = b"qXfer:memory-map:read::"


def memory_map(r, piece):
    """The memory map, read @piece bytes at a time."""
    xml = b""
    while True:
        reply = r.ask(MAP_PREFIX + b"%x,%x" % (len(xml), piece))
        assert reply[:1] in (b"m", b"l") and len(reply) <= piece + 1, reply
        xml += reply[1:]
        if reply[:1] == b"l":
            return xml.decode()


def regions(xml):
    return [(int(a, 16), int(b, 16)) for a, b in
            re.findall(r'<memory type="ram" start="(0x[0-9a-f]+)" length="(0x[0-9a-f]+)"/>',
                       xml)]


def test_memory_map_covers_the_whole_address_space(session):
    """The proxy offers gdb a memory map (the stock gdbserver has none); read in pieces of any
    size it is one document, whose regions follow one another from 0 to the top, so that gdb
    refuses no address it would read without a map."""
    r = session()
    features = r.ask(b"qSupported:multiprocess+;xmlRegisters=i386").split(b";")
    assert b"qXfer:memory-map:read+" in features
    assert stopped(r.ask(b"?"))
    whole = memory_map(r, 0x10000)
    assert memory_map(r, 7) == whole and memory_map(r, 1) == whole
    assert whole.startswith("<?xml") and whole.rstrip().endswith("</memory-map>")
    spans = regions(whole)
    assert spans and spans[0][0] == 0
    for (start, length), (after, _) in zip(spans, spans[1:]):
        assert start + length == after
    assert spans[-1][0] + spans[-1][1] == 2**64 - 1
    for bad in (b"zz,10", b"0,", b"0,0", b"0", b"0,10;x", b"1" * 20 + b",1"):
        assert r.ask(MAP_PREFIX + bad).startswith(b"E"), bad
    assert r.ask(MAP_PREFIX + b"%x,10" % (len(whole) + 100)) == b"l"
    assert stopped(r.ask(b"?"))


def test_gdb_uses_the_memory_map(proxy):
    out = remote(proxy, "info mem", "x/2gx $sp")
    assert "Using memory regions provided by the target." in out, out
    rows = re.findall(r"^\d+\s+y\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+rw nocache", out, re.M)
    assert rows and int(rows[0][0], 16) == 0 and int(rows[-1][1], 16) == 2**64 - 1, out
    assert "Cannot access memory" not in out, out
    stock = gdb_batch("set sysroot /", f"target remote | gdbserver - {SLEEP} 600", "info mem",
                      "kill")
    assert "There are no memory regions defined." in stock, stock
