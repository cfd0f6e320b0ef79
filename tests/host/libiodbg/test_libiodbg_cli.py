"""The iodbg command: its output formats, exit codes, options and messages, against the same
target process."""
import json
import os
import pty
import re
import shutil
import subprocess

import pytest

from libiodbg_py import VERSION

PAGE = 4096
COMMANDS = ["maps", "read", "write", "info"]


def run(iodbg, *args, input=None, **kw):
    return subprocess.run([iodbg, *map(str, args)], input=input, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, **kw)


def hexaddr(addr):
    return f"{addr:x}"


def test_help(iodbg):
    res = run(iodbg, "--help")
    assert res.returncode == 0 and res.stdout.startswith(b"usage: iodbg")
    assert b"Exit status: 0 success; 1 failure" in res.stdout
    for cmd in COMMANDS:
        res = run(iodbg, cmd, "--help")
        assert res.returncode == 0, cmd
        assert res.stdout.startswith(f"usage: iodbg {cmd}".encode())
    assert run(iodbg, "--version").stdout == f"iodbg {VERSION}\n".encode()


@pytest.mark.parametrize("args, message", [
    ([], b"usage: iodbg"),
    (["frobnicate"], b"iodbg: no command 'frobnicate'"),
    (["read", "1"], b"usage: iodbg read"),
    (["read", "--bogus", "1", "0", "1"], b"usage: iodbg read"),
    (["read", "abc", "1000", "16"], b"iodbg: bad PID 'abc'"),
    (["read", "0", "1000", "16"], b"iodbg: bad PID '0'"),
    (["read", "1", "xyz", "16"], b"iodbg: bad ADDR 'xyz'"),
    (["read", "--", "1", "-1000", "16"], b"iodbg: bad ADDR '-1000'"),
    (["read", "1", "10000000000000000", "16"], b"iodbg: bad ADDR"),
    (["read", "1", "1000", "0"], b"iodbg: bad LEN '0' (at least 1)"),
    (["read", "--", "1", "1000", "-5"], b"iodbg: bad LEN '-5'"),
    (["read", "1", "1000", "-5"], b"read: invalid option -- '5'"),
    (["read", "1", "1000", "17179869184G"], b"iodbg: bad LEN"),
    (["read", "1", "fffffffffffffff0", "32"], b"passes the end of the address space"),
    (["read", "--path=generic", "1", "1000", "16"], b'iodbg: no path named "generic"'),
    (["read", "--path=object", "1", "1000", "16"], b"iodbg: --path=object needs --object=ID"),
    (["read", "--object=x", "1", "0", "16"], b"iodbg: bad object ID 'x' (decimal)"),
    (["read", "--object=-1", "1", "0", "16"], b"iodbg: bad object ID '-1'"),
    (["read", "--object", "1", "1", "x", "16"], b"iodbg: bad OFFSET 'x' (hexadecimal)"),
    (["read", "--object=1", "1", "ffffffffffffff00", "1k"],
     b"passes the end of the 64-bit offsets"),
    (["write", "--object=1", "1", "0"], b"HEX or from -f FILE, and got neither"),
    (["write", "--object=1", "1", "x", "00"], b"iodbg: bad OFFSET 'x'"),
    (["read", "--width=3", "1", "1000", "16"], b"iodbg: bad --width '3' (1, 2, 4 or 8)"),
    (["write", "--width=16", "1", "1000", "00"], b"iodbg: bad --width '16'"),
    (["objects"], b"usage: iodbg objects"),
    (["objects", "x"], b"iodbg: bad PID 'x'"),
    (["write", "1"], b"usage: iodbg write"),
    (["write", "1", "1000"], b"HEX or from -f FILE, and got neither"),
    (["write", "1", "1000", "abc"], b"iodbg: bad HEX 'abc'"),
    (["write", "1", "1000", "zz"], b"iodbg: bad HEX 'zz'"),
    (["write", "-f", "/dev/null", "1", "1000"], b"/dev/null is empty: nothing to write"),
    (["write", "-f", "/dev/null", "1", "1000", "00"], b"not both"),
    (["maps", "1", "2"], b"usage: iodbg maps"),
    (["info", "extra"], b"usage: iodbg info"),
])
def test_usage_errors(iodbg, args, message):
    res = run(iodbg, *args)
    assert res.returncode == 2, res
    assert message in res.stderr, res.stderr


@pytest.mark.skipif(os.path.exists("/dev/iodbg"), reason="the iodbg module is loaded")
def test_objects_without_the_module(iodbg, target):
    res = run(iodbg, "objects", target.pid)
    assert res.returncode == 1
    assert res.stderr == b"iodbg: iodbg module not loaded (/dev/iodbg missing)\n"
    res = run(iodbg, "objects", "--json", target.pid)
    assert res.returncode == 1 and res.stdout == b""


@pytest.mark.skipif(os.path.exists("/dev/iodbg"), reason="the iodbg module is loaded")
def test_forced_ioctl_without_the_module(iodbg, target):
    res = run(iodbg, "read", "--path=ioctl", "--allow-mmio", target.pid,
              hexaddr(target.addr("big")), 16)
    assert res.returncode == 1
    assert b"ioctl skipped: iodbg module not loaded (/dev/iodbg missing)" in res.stderr


def test_no_process(iodbg):
    res = run(iodbg, "read", 2**31 - 1, "1000", 16)
    assert res.returncode == 1
    assert res.stderr == f"iodbg: no process {2**31 - 1}\n".encode()


def test_read_hexdump_is_xxds(iodbg, target, tmp_path):
    """The hexdump is byte for byte what xxd -o ADDR prints of the same bytes."""
    addr = target.addr("big", 5)
    res = run(iodbg, "read", target.pid, hexaddr(addr), 100)
    assert res.returncode == 0, res.stderr
    raw = target.expect("big", 5, 100)
    if not shutil.which("xxd"):
        pytest.skip("no xxd")
    xxd = subprocess.run(["xxd", "-o", hex(addr)], input=raw, stdout=subprocess.PIPE)
    assert res.stdout == xxd.stdout


def test_read_raw_to_a_file(iodbg, target, tmp_path):
    out = tmp_path / "raw"
    addr, size = target.regions["big"]
    res = run(iodbg, "read", "-o", out, target.pid, "0x" + hexaddr(addr + 7), "3M")
    assert res.returncode == 0 and res.stdout == b"" and res.stderr == b""
    assert out.read_bytes() == target.expect("big", 7, 3 << 20)
    res = run(iodbg, "read", "--output=-", target.pid, hexaddr(addr), "0x10")
    assert res.stdout == target.expect("big", 0, 16)


def test_partial_read_exit_3(iodbg, target):
    start = target.addr("hole", PAGE - 16)
    res = run(iodbg, "read", "-o", "-", target.pid, hexaddr(start), 64)
    assert res.returncode == 3
    assert res.stdout == target.expect("hole", PAGE - 16, 16)
    assert re.match(rb"iodbg: read of 64 bytes at 0x%x stopped at 0x%x after 16 bytes: "
                    rb"nothing is mapped there \[process_vm EFAULT" % (start, start + 16),
                    res.stderr), res.stderr


def test_huge_length_streams_until_the_first_hole(iodbg, target):
    res = run(iodbg, "read", "-o", "/dev/null", target.pid, hexaddr(target.addr("big")), "1G")
    assert res.returncode == 3
    assert b"stopped at 0x" in res.stderr


def test_vm_io_read_fails_with_the_reason(iodbg, target):
    vvar = next(line for line in open(f"/proc/{target.pid}/maps") if "[vvar]" in line)
    res = run(iodbg, "read", target.pid, vvar.split("-")[0], 8)
    assert res.returncode == 1 and res.stdout == b""
    assert b"VM_IO mapping [vvar]: the kernel's ordinary paths cannot read it without a " \
           b"driver ->access; load iodbg for the debug ioctl" in res.stderr


def test_report_text(iodbg, target):
    start = target.addr("guard", PAGE - 8)
    res = run(iodbg, "read", "--report", "-o", "/dev/null", target.pid, hexaddr(start), PAGE + 16)
    assert res.returncode == 0
    lines = res.stderr.decode().splitlines()
    assert lines == [
        f"{start:x}-{start + 8:x} 8 bytes: process_vm",
        f"{start + 8:x}-{start + 8 + PAGE:x} 4096 bytes: proc_mem (process_vm EFAULT: no page "
        f"it can read at 0x{start + 8:x})",
        f"{start + 8 + PAGE:x}-{start + 16 + PAGE:x} 8 bytes: process_vm",
    ]


def test_report_merges_chunks_not_mappings(iodbg, target):
    """3 MiB go in 1 MiB chunks but are one line; the two mappings of 'two' stay two."""
    addr, _ = target.regions["big"]
    res = run(iodbg, "read", "--report", "-o", "/dev/null", target.pid, hexaddr(addr), "3M")
    assert res.stderr.decode().splitlines() == [f"{addr:x}-{addr + (3 << 20):x} 3145728 bytes: "
                                                "process_vm"]
    res = run(iodbg, "read", "--report", "-o", "/dev/null", target.pid,
              hexaddr(target.addr("two")), 2 * PAGE)
    assert len(res.stderr.splitlines()) == 2


def test_report_json(iodbg, target):
    start = target.addr("hole", PAGE - 8)
    res = run(iodbg, "read", "--report", "--json", "-o", "/dev/null", target.pid,
              hexaddr(start), 16)
    assert res.returncode == 3
    report_text, message = res.stderr.decode().split("]\n", 1)
    report = json.loads(report_text + "]")
    assert report[0] == {"addr": hex(start), "len": 8, "path": "process_vm", "error": None,
                         "why": "", "attempts": [{"path": "process_vm", "result": "served",
                                                  "error": None, "why": ""}]}
    assert report[1]["path"] is None and report[1]["error"] == "EFAULT"
    assert [a["result"] for a in report[1]["attempts"]] == [
        "failed", "failed", "skipped", "skipped" if not os.path.exists("/dev/iodbg") else "failed"]
    assert report[1]["attempts"][3]["path"] == "ioctl"
    assert message.startswith("iodbg: read of 16 bytes")


def test_maps_text_and_json(iodbg, target):
    res = run(iodbg, "maps", target.pid)
    assert res.returncode == 0
    text = res.stdout.decode()
    assert text.startswith("ADDRESS")
    assert re.search(r"\[vvar\]\n", text) and " io       io,pfnmap,dontdump " in text
    assert text.endswith("io, pfnmap: the kernel's ordinary paths reach these only through a "
                         "driver ->access; load iodbg for the debug ioctl\n")
    assert re.search(r" rw-s ordinary deleted .* /\S+/iodbg target file \w{6} \(deleted\)\n",
                     text)
    maps = json.loads(run(iodbg, "maps", "--json", target.pid).stdout)
    by_start = {int(m["start"], 16): m for m in maps}
    f = by_start[target.addr("file")]
    assert f["perms"] == "rw-s" and f["flags"] == ["deleted"] and f["kind"] == "ordinary"
    assert re.fullmatch(r"/.*/iodbg target file \w{6}", f["path"])
    vvar = next(m for m in maps if m["path"] == "[vvar]")
    assert vvar["kind"] == "io" and vvar["flags"] == ["io", "pfnmap", "dontdump"]
    assert len(maps) == sum(1 for _ in open(f"/proc/{target.pid}/maps"))


def test_maps_json_escapes_paths(iodbg, tmp_path):
    """A file name with a quote, a backslash, a tab and bytes that are not UTF-8."""
    name = tmp_path / b'q"b\\t\tx\xff\xc3\xa9.bin'.decode("utf-8", "surrogateescape")
    name.write_bytes(b"\0" * PAGE)
    proc = subprocess.Popen(["/usr/bin/python3", "-c",
                             "import mmap, sys; f = open(sys.argv[1], 'rb'); "
                             "m = mmap.mmap(f.fileno(), 4096, prot=mmap.PROT_READ); "
                             "print('ok', flush=True); sys.stdin.read()", name],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        proc.stdout.readline()
        maps = json.loads(run(iodbg, "maps", "--json", proc.pid).stdout)
        assert any(m["path"].endswith('q"b\\t\tx\u00ff\u00e9.bin') for m in maps)
    finally:
        proc.kill()
        proc.wait()


def test_write_hex_and_files(iodbg, target, tmp_path):
    addr = target.addr("big", 1001)
    assert run(iodbg, "write", target.pid, hexaddr(addr), "de:ad be ef").returncode == 0
    assert target.peek(addr, 4) == b"\xde\xad\xbe\xef"
    data = os.urandom(5000)
    (tmp_path / "data").write_bytes(data)
    res = run(iodbg, "write", "-f", tmp_path / "data", target.pid, hexaddr(addr))
    assert res.returncode == 0 and res.stdout == b"" and res.stderr == b""
    assert target.peek(addr, 5000) == data
    res = run(iodbg, "write", "--file=-", target.pid, hexaddr(addr + 1), input=b"stdin!")
    assert res.returncode == 0
    assert target.peek(addr, 8) == data[:1] + b"stdin!" + data[7:8]


def test_write_partial_and_report(iodbg, target):
    start = target.addr("hole", PAGE - 2)
    res = run(iodbg, "write", "--report", target.pid, hexaddr(start), "0102030405")
    assert res.returncode == 3
    lines = res.stderr.decode().splitlines()
    assert lines[0] == f"{start:x}-{start + 2:x} 2 bytes: process_vm"
    assert lines[1].startswith(f"{start + 2:x}-{start + 5:x} 3 bytes: not served, EFAULT: "
                               "nothing is mapped there (process_vm EFAULT")
    assert lines[2].startswith("iodbg: write of 5 bytes at")
    assert target.peek(start, 2) == b"\x01\x02"


def test_ptrace_path_needs_attach(iodbg, target):
    addr = hexaddr(target.addr("big", 3))
    res = run(iodbg, "read", "--path=ptrace", "-o", "-", target.pid, addr, 13)
    assert res.returncode == 1
    assert b"ptrace skipped: process %d is not our tracee" % target.pid in res.stderr
    res = run(iodbg, "read", "--path=ptrace", "--attach", "--report", "-o", "-", target.pid,
              addr, 13)
    assert res.returncode == 0, res.stderr
    assert res.stdout == target.expect("big", 3, 13)
    assert res.stderr.endswith(b" 13 bytes: ptrace\n")
    res = run(iodbg, "write", "--path=ptrace", "--attach", target.pid, addr, "aabbccdd")
    assert res.returncode == 0, res.stderr
    # Detached again: the target runs and answers.
    assert target.peek(target.addr("big", 3), 4) == b"\xaa\xbb\xcc\xdd"


@pytest.mark.parametrize("path", ["process_vm", "proc_mem"])
def test_forced_paths(iodbg, target, path):
    addr = hexaddr(target.addr("guard", PAGE - 4))
    res = run(iodbg, "read", f"--path={path}", "-o", "-", target.pid, addr, 8)
    if path == "process_vm":  # it stops at the PROT_NONE page
        assert res.returncode == 3 and res.stdout == target.expect("guard", PAGE - 4, 4)
    else:
        assert res.returncode == 0 and res.stdout == target.expect("guard", PAGE - 4, 8)


def test_info(iodbg):
    res = run(iodbg, "info")
    assert res.returncode == 0
    assert res.stdout.decode().splitlines()[:2] == [f"libiodbg {VERSION}",
                                                    "paths: process_vm proc_mem ptrace ioctl "
                                                    "object"]
    info = json.loads(run(iodbg, "info", "--json").stdout)
    assert info["version"] == VERSION and info["paths"] == ["process_vm", "proc_mem", "ptrace",
                                                           "ioctl", "object"]
    if not os.path.exists("/dev/iodbg"):
        assert info["kernel"] == {"loaded": False, "abi_version": 0, "features": [],
                                  "message": "the iodbg module is not loaded (no /dev/iodbg)"}


def test_progress_bar_on_a_terminal(iodbg, target):
    """Only when stderr is a terminal, and gone from the line at the end."""
    addr, size = target.regions["big"]
    master, slave = pty.openpty()
    try:
        res = subprocess.run([iodbg, "read", "-o", "/dev/null", str(target.pid), hexaddr(addr),
                              str(size)], stderr=slave)
        os.close(slave)
        slave = None
        out = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    finally:
        if slave is not None:
            os.close(slave)
        os.close(master)
    assert res.returncode == 0
    assert b"\riodbg: read  12% (1/8 MiB)" in out and out.endswith(b"\r\x1b[K")
    res = run(iodbg, "read", "-o", "/dev/null", target.pid, hexaddr(addr), size)
    assert res.stderr == b""


def smaps_opens(iodbg, tmp_path, *args):
    log = tmp_path / "strace.log"
    res = subprocess.run(["strace", "-f", "-qq", "-e", "trace=openat", "-o", log, iodbg,
                          *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return res, log.read_text().count("\"smaps\"")


@pytest.mark.skipif(not shutil.which("strace"), reason="no strace")
def test_smaps_read_once_per_command(iodbg, target, tmp_path):
    """/proc/PID/smaps walks the target's page tables: a dump with a report reads it once,
    not once per 1 MiB chunk; a miss (the hole at the end) reads it once more."""
    big = target.addr("big")
    res, opens = smaps_opens(iodbg, tmp_path, "read", "--report", "-o", "/dev/null", target.pid,
                             hexaddr(big), "8M")
    assert res.returncode == 0, res.stderr
    assert res.stderr.decode().count("process_vm") == 1 and opens == 1
    res, opens = smaps_opens(iodbg, tmp_path, "read", "-o", "/dev/null", target.pid,
                             hexaddr(big), "9M")
    assert res.returncode == 3 and opens == 1


def report_and_message(stderr):
    text, _, message = stderr.decode().partition("]\n")
    return json.loads(text + "]"), message


def test_read_to_a_full_disk_stops_at_once(iodbg, target):
    """A write error on the output ends the read at the chunk that hit it."""
    big = target.addr("big")
    res = run(iodbg, "read", "--report", "--json", "-o", "/dev/full", target.pid, hexaddr(big),
              "8M")
    report, message = report_and_message(res.stderr)
    assert res.returncode == 1
    assert message == "iodbg: cannot write /dev/full: No space left on device\n"
    assert sum(s["len"] for s in report) <= 1 << 20
    with open("/dev/full", "wb") as full:
        res = subprocess.run([iodbg, "read", "--report", "--json", str(target.pid), hexaddr(big),
                              "8M"], stdout=full, stderr=subprocess.PIPE)
    report, message = report_and_message(res.stderr)
    assert res.returncode == 1
    assert message == "iodbg: cannot write the output: No space left on device\n"
    assert sum(s["len"] for s in report) <= 1 << 20


def test_range_that_ends_at_2_to_the_64(iodbg, target):
    res = run(iodbg, "read", target.pid, "ffffffffffffffff", 1)
    assert res.returncode == 1
    assert res.stderr.startswith(b"iodbg: cannot read 1 bytes at 0xffffffffffffffff: ")


MANY_MAPPINGS = """
import mmap, sys
keep = [mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | (mmap.PROT_WRITE if i % 2 else 0))
        for i in range(int(sys.argv[1]))]
print("ready", flush=True)
sys.stdin.read()
"""


def test_maps_of_a_text_read_in_many_pieces(iodbg):
    """smaps of 3,000 mappings runs to megabytes and is parsed as it is read, a piece at a
    time: every mapping comes out once, in order, lines cut at the pieces' edges included."""
    proc = subprocess.Popen(["/usr/bin/python3", "-c", MANY_MAPPINGS, "3000"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline() == "ready\n"
        with open(f"/proc/{proc.pid}/smaps") as f:
            assert len(f.read()) > 1 << 20
        res = run(iodbg, "maps", "--json", str(proc.pid))
        assert res.returncode == 0, res.stderr
        with open(f"/proc/{proc.pid}/maps") as f:
            expected = [(*(int(a, 16) for a in line.split()[0].split("-")), line.split()[1])
                        for line in f]
        got = [(int(m["start"], 16), int(m["end"], 16), m["perms"])
               for m in json.loads(res.stdout)]
        assert len(got) > 3000
        assert got == expected
    finally:
        proc.stdin.close()
        proc.wait()
