"""iodbg-gdbserver in front of the stock gdbserver, driven by the real gdb: device mappings that
gdbserver refuses (no ->access, or an ->access that refuses) read and written with gdb's own
x, dump, find and set; GPU objects across evictions; the monitor commands; and the same
sessions against the stock gdbserver alone, which cannot."""
import os
import pathlib
import re
import shutil
import subprocess
import tempfile

import pytest

import iodbg_test_uapi as uapi
from targets import (GDB_PACKAGE, PATCHED_KERNEL, PROGS, SLOWDOWN, GpuTarget, SpuTarget,
                     Target, assert_no_python_exception, gdb_batch, gdb_table, gdb_words,
                     gpu_pattern, scratch_pattern, spu_pattern)

PROXY = os.path.join(os.environ.get("IODBG_OUT", ""), "build", "gdbserver-ext",
                     "iodbg-gdbserver")
VRAM, SYSTEM = uapi.IODBG_PLACEMENT_DEVICE, uapi.IODBG_PLACEMENT_SYSTEM
PAGE = 4096
LS_SIZE = uapi.SPU_SIM_LS_SIZE
NOBODY = 65534


def remote_gdb(pid, *commands, stock=False, user=None):
    """gdb on 'target remote |' the proxy (or the stock gdbserver) attached to pid: its output."""
    server = "gdbserver" if stock else PROXY
    # The guest's files are the host's: gdb reads them here, not over the slow remote link.
    args = ["gdb", "-nx", "-batch", "-iex", "set auto-solib-add off", "-iex", "set sysroot /",
            "-ex", f"target remote | {server} --attach - {pid}"]
    for c in commands:
        args += ["-ex", c]
    args += ["-ex", "detach"]
    return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=120 * SLOWDOWN, user=user, group=user,
                          extra_groups=[] if user is not None else None).stdout


@pytest.fixture(autouse=True)
def proxy_built():
    if not os.access(PROXY, os.X_OK):
        pytest.fail(f"{PROXY} is missing: make -C gdbserver-ext (or make build)")


# On the patched kernel /proc/PID/mem reads the RAM of a mapping without ->access, so the
# stock gdbserver does too (tests/kernel-series): only the one whose ->access refuses is left.
REFUSED_VARIANTS = ["refuse"] if PATCHED_KERNEL else ["noaccess", "refuse"]


@pytest.fixture(params=REFUSED_VARIANTS)
def refused(request, start):
    """A mapping of RAM pages whose driver has no ->access, or one that refuses: ptrace,
    /proc/PID/mem and so gdbserver cannot read it."""
    return start(Target, "scratch_map", "4", request.param)


def test_stock_gdbserver_cannot_read_it(refused):
    out = remote_gdb(refused.pid, f"x/2gx {refused.addr:#x}", stock=True)
    assert f"Cannot access memory at address {refused.addr:#x}" in out


def test_x_reads_it_through_the_proxy(refused):
    out = remote_gdb(refused.pid, f"x/8gx {refused.addr + PAGE - 32:#x}")
    expect = scratch_pattern(PAGE - 32, 64)
    assert gdb_words(out) == [int.from_bytes(expect[i:i + 8], "little")
                              for i in range(0, 64, 8)], out


def test_dump_and_find_through_the_proxy(refused, tmp_path):
    path = tmp_path / "dump.bin"
    size = refused.size
    needle = int.from_bytes(scratch_pattern(3 * PAGE + 8, 8), "little")
    out = remote_gdb(refused.pid,
                     f"dump binary memory {path} {refused.addr:#x} {refused.addr + size:#x}",
                     f"find /g {refused.addr:#x}, +{size:#x}, {needle:#x}")
    assert path.read_bytes() == scratch_pattern(0, size), out
    assert f"{refused.addr + 3 * PAGE + 8:#x}" in out and "1 pattern found." in out, out


def test_set_writes_through_the_proxy(refused):
    out = remote_gdb(refused.pid, f"set {{long}}{refused.addr + 16:#x} = 0x1122334455667788",
                     f"x/1gx {refused.addr + 16:#x}")
    assert "Cannot access" not in out, out
    assert gdb_words(out) == [0x1122334455667788], out
    assert refused.read_own(16, 8) == (0x1122334455667788).to_bytes(8, "little")


def test_gpu_object_before_and_after_eviction(start):
    t = start(GpuTarget, 1, 4, VRAM)
    bo = t.bos[0]
    commands = (f"x/2gx {bo['addr'] + 0x1008:#x}", "monitor iodbg objects")
    before = remote_gdb(t.pid, *commands)
    t.move(0, SYSTEM)
    after = remote_gdb(t.pid, *commands)
    expect = [int.from_bytes(gpu_pattern(bo["id"], 0x1008 + 8 * i, 8), "little")
              for i in range(2)]
    for out, placement in ((before, "device"), (after, "system")):
        assert gdb_words(out) == expect, out
        row = next(line.split() for line in out.splitlines()
                   if line.split()[:2] == [str(bo["id"]), "gpu_bo"])
        assert row[3] == placement and int(row[4], 16) == bo["addr"], out


def test_monitor_commands(refused):
    out = remote_gdb(refused.pid, "monitor iodbg pid", f"monitor iodbg path {refused.addr:#x}",
                     "monitor iodbg maps", "monitor iodbg allow-mmio maybe",
                     "monitor iodbg nonsense", "monitor iodbg help")
    lines = out.splitlines()
    assert str(refused.pid) in lines, out
    assert f"{refused.addr:#x}: ioctl" in lines, out
    assert any(line.split()[:1] == [f"{refused.addr:#x}"] and line.split()[2] == "io"
               for line in lines), out
    assert 'error: allow-mmio takes on or off, not "maybe"' in lines, out
    assert 'error: unknown command "iodbg nonsense"; "monitor iodbg help" lists them' in lines
    assert out.count("Protocol error with Rcmd") == 2, out
    assert any(line.startswith("monitor iodbg objects") for line in lines), out


def test_as_a_plain_user(start):
    """nobody debugs its own program through the proxy, and reads its device mapping."""
    scope = "/proc/sys/kernel/yama/ptrace_scope"
    saved = open(scope).read() if os.path.exists(scope) else None
    if saved is not None:
        # gdbserver --attach is no ancestor of the program: Yama 1 would refuse it, as stock.
        open(scope, "w").write("0")
    try:
        t = start(Target, "scratch_map", "4", "refuse", user=NOBODY)
        out = remote_gdb(t.pid, f"x/2gx {t.addr:#x}", user=NOBODY)
        expect = scratch_pattern(0, 16)
        assert gdb_words(out) == [int.from_bytes(expect[:8], "little"),
                                  int.from_bytes(expect[8:], "little")], out
        stock = remote_gdb(t.pid, f"x/2gx {t.addr:#x}", stock=True, user=NOBODY)
        assert "Cannot access memory" in stock, stock
    finally:
        if saved is not None:
            open(scope, "w").write(saved)


def test_iodbg_attach_gives_gdb_and_the_iodbg_commands_every_mapping(start):
    """'iodbg attach': gdb's own x reads a mapping whose ->access refuses, and the package's
    commands give the same tables as over a native attach."""
    t = start(Target, "scratch_map", "4", "refuse")
    gpu = start(GpuTarget, 2, 1, VRAM)
    tables = ("info gpu-objects", "echo \\n", "info iodbg-maps", "echo \\n")
    native = gdb_batch(gpu.pid, *tables, iodbg=True)
    over_proxy = gdb_batch(None, f"iodbg attach {gpu.pid}", *tables, "detach", iodbg=True)
    assert gdb_table(over_proxy, "Handle") == gdb_table(native, "Handle"), over_proxy
    assert gdb_table(over_proxy, "Start") == gdb_table(native, "Start"), over_proxy
    out = gdb_batch(None, f"iodbg attach {t.pid}", f"x/2gx {t.addr:#x}", "detach", iodbg=True)
    expect = scratch_pattern(0, 16)
    assert gdb_words(out) == [int.from_bytes(expect[:8], "little"),
                              int.from_bytes(expect[8:], "little")], out
    assert "Cannot access memory" in gdb_batch(t.pid, f"x/2gx {t.addr:#x}"), \
        "a native attach reads it: the test shows nothing"
    err = gdb_batch(None, "iodbg attach", "iodbg attach 999999999", iodbg=True)
    assert "Usage: iodbg attach PID" in err and "No process 999999999." in err, err


class TcpProxy:
    """iodbg-gdbserver attached to pid, waiting for gdb on a TCP port of the loopback: to
    gdb a remote board (a TCP connection is never taken for this machine), whose pids the
    GDB package does not look up here."""

    def __init__(self, pid):
        self.proc = subprocess.Popen([PROXY, "--attach", "127.0.0.1:0", str(pid)],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        self.port = None
        for line in self.proc.stderr:
            if line.startswith("Listening on port "):
                self.port = int(line.split()[-1])
                break
        assert self.port, "iodbg-gdbserver did not listen"

    def gdb(self, *commands, user=None):
        return gdb_batch(None, "set sysroot /", f"target remote 127.0.0.1:{self.port}",
                         *commands, "detach", iodbg=True, user=user)

    def close(self):
        """Kill it unless it ended with gdb's session, as it should."""
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        self.proc.kill()
        self.proc.wait()
        self.proc.stderr.close()


def test_remote_backend_needs_the_proxy(start):
    """Over TCP to the stock gdbserver, the iodbg commands say what they need, and gdb's own
    memory commands go on working."""
    t = start(GpuTarget, 1, 1, VRAM)
    server = subprocess.Popen(["gdbserver", "--attach", "127.0.0.1:0", str(t.pid)],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        port = next(int(line.split()[-1]) for line in server.stderr
                    if line.startswith("Listening on port "))
        out = gdb_batch(None, "set sysroot /", f"target remote 127.0.0.1:{port}",
                        "info gpu-objects", "x/1gx $sp", "detach", iodbg=True)
    finally:
        server.kill()
        server.wait()
        server.stderr.close()
    assert "the iodbg commands need iodbg-gdbserver on the remote side, not gdbserver " \
        "alone" in out, out
    assert gdb_words(out), out


def between(out, first, last):
    """The lines of @out from the one that starts with @first up to the one before the line
    that starts with @last."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(first))
    end = next(i for i, line in enumerate(lines) if i > start and line.startswith(last))
    return lines[start:end]


@pytest.fixture
def shared_dir():
    """A folder that every user may write in (pytest's own are root's alone)."""
    path = tempfile.mkdtemp(prefix="iodbg-remote-")
    os.chmod(path, 0o777)
    yield pathlib.Path(path)
    shutil.rmtree(path)


def test_remote_backend_gives_the_native_spu_commands(start, shared_dir):
    """info spu, info spu-ls, info spu-regs and iodbg dump over 'target remote HOST:PORT' give
    what they give natively, though gdb runs as a user who may not read the program: the
    board's iodbg-gdbserver does the work."""
    t = start(SpuTarget, 2)
    for i in range(2):
        t.ok(f"stop {i}")   # registers and counters stay still between the two sessions
    ctx = t.ctxs[1]["ls_id"]
    dump = shared_dir / "ls.bin"
    commands = ("echo <spu>\\n", "info spu", "echo <ls>\\n", f"info spu-ls/gx {ctx} 0x100 48",
                "echo <regs>\\n", f"info spu-regs {ctx}", "echo <dump>\\n",
                f"iodbg dump {dump} {ctx}", "echo <end>\\n")
    native = gdb_batch(t.pid, *commands, iodbg=True)
    native_dump = dump.read_bytes()
    dump.unlink()
    proxy = TcpProxy(t.pid)
    try:
        remote = proxy.gdb(*commands, user=NOBODY)
    finally:
        proxy.close()
    for first, last in (("<spu>", "<ls>"), ("<ls>", "<regs>"), ("<regs>", "<dump>"),
                        ("<dump>", "<end>")):
        assert between(remote, first, last) == between(native, first, last), remote
    assert f"Wrote {LS_SIZE} bytes to {dump} (read by: object)." in remote, remote
    assert dump.read_bytes() == native_dump
    assert native_dump[:0x100] == spu_pattern(ctx, 0, 0x100)
    assert len(between(native, "<spu>", "<ls>")) == 2 + 2, native   # a header and 2 rows
    refused = gdb_batch(t.pid, "info spu", iodbg=True, user=NOBODY)
    assert "Traceback" not in refused and "Id " not in refused, \
        "nobody reads root's program natively: the test shows nothing"


def test_remote_backend_gives_the_native_gpu_and_maps_tables(start, shared_dir):
    t = start(GpuTarget, 2, 2, VRAM)
    scratch = start(Target, "scratch_map", "4", "noaccess")
    bo = t.bos[1]
    dump = shared_dir / "bo.bin"
    for target in (t, scratch):
        commands = ("info gpu-objects", "echo \\n", "info iodbg-maps --verbose", "echo \\n",
                    f"iodbg dump {dump} {bo['id']}" if target is t else
                    f"iodbg dump {dump} {scratch.addr:#x} {scratch.size:#x}")
        native = gdb_batch(target.pid, *commands, iodbg=True)
        native_dump = dump.read_bytes()
        dump.unlink()
        proxy = TcpProxy(target.pid)
        try:
            remote = proxy.gdb(*commands, user=NOBODY)
        finally:
            proxy.close()
        if target is t:
            assert gdb_table(remote, "Handle") == gdb_table(native, "Handle"), remote
            assert len(gdb_table(native, "Handle")) == 2, native
            assert native_dump == gpu_pattern(bo["id"], 0, len(native_dump))
        else:
            assert "No GPU objects." in remote and "No GPU objects." in native
            assert native_dump == scratch_pattern(0, scratch.size)
        assert between(remote, "Start", "Wrote") == between(native, "Start", "Wrote"), remote
        wrote = [line for line in native.splitlines() if line.startswith("Wrote")]
        assert wrote and wrote[0] in remote.splitlines(), remote
        assert dump.read_bytes() == native_dump


def test_memory_map_shows_the_device_regions(refused):
    """gdb reads the proxy's memory map: the device mapping is a region of its own in
    'info mem', uncached, and x reads it with the map in force."""
    out = remote_gdb(refused.pid, "info mem", f"x/2gx {refused.addr:#x}")
    assert "Using memory regions provided by the target." in out, out
    rows = [(int(lo, 16), int(hi, 16)) for lo, hi in
            re.findall(r"^\d+\s+y\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+rw nocache", out, re.M)]
    assert (refused.addr, refused.addr + refused.size) in rows, out
    assert rows[0][0] == 0 and rows[-1][1] == 2**64 - 1, out
    expect = scratch_pattern(0, 16)
    assert gdb_words(out) == [int.from_bytes(expect[:8], "little"),
                              int.from_bytes(expect[8:], "little")], out
    assert "There are no memory regions defined." in \
        remote_gdb(refused.pid, "info mem", stock=True)


WRAPPER = os.path.join(os.path.dirname(PROXY), "iodbg-gdb")


def run_gdb(gdb, *commands, args):
    """gdb (a command line) with iodbg's package, running @commands on the program @args."""
    cmd = [*gdb, "-nx", "-batch", "-iex", "set auto-solib-add off", "-iex",
           f"source {GDB_PACKAGE}"]
    for c in commands:
        cmd += ["-ex", c]
    res = subprocess.run([*cmd, "--args", *args], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
                         timeout=120 * SLOWDOWN)
    assert_no_python_exception(res.stdout)
    return res.stdout


def test_iodbg_gdb_runs_the_program_with_every_mapping(shared_dir):
    """iodbg-gdb PROG: gdb's own x, dump and find reach a mapping whose ->access refuses
    (on every kernel, patched or not) of the program it runs, which plain gdb cannot read;
    the iodbg commands work as natively."""
    args = (os.path.join(PROGS, "scratch_map"), "4", "refuse")
    path = shared_dir / "dump.bin"
    size = 4 * PAGE
    needle = int.from_bytes(scratch_pattern(2 * PAGE + 16, 8), "little")
    # The program's 'map' is optimised out: $map from the row of 'info iodbg-maps'.
    set_map = ("python gdb.set_convenience_variable('map', next(int(line.split()[0], 16) for "
               "line in gdb.execute('info iodbg-maps', to_string=True).splitlines() "
               "if 'iodbg:[scratch]' in line))")
    commands = ("break serve", "run", set_map, "x/2gx $map",
                f"dump binary memory {path} $map $map+{size}",
                f"find /g $map, +{size}, {needle:#x}", "info iodbg-maps", "info inferiors",
                "kill")
    out = run_gdb([WRAPPER], *commands, args=args)
    assert "extended-remote | " in out and "iodbg-gdbserver --multi -" in out, out
    expect = scratch_pattern(0, 16)
    assert gdb_words(out)[:2] == [int.from_bytes(expect[:8], "little"),
                                  int.from_bytes(expect[8:], "little")], out
    assert path.read_bytes() == scratch_pattern(0, size), out
    assert "1 pattern found." in out, out
    maps = gdb_table(out, "Start")
    assert any(row[3] == "io" and row[4].startswith("scratch") for row in maps), out
    native = run_gdb(["gdb"], *commands[:4], "kill", args=args)
    assert "Cannot access memory at address" in native, \
        "plain gdb reads it: the test shows nothing"


def test_iodbg_gdb_follows_the_program_across_fork_and_exec(shared_dir):
    """iodbg-gdb on a shell that forks (dash: vfork) and runs the program in the child: gdb
    follows the child across the fork and the exec, and the proxy, told only by the protocol
    (the fork event, gdb's switch to the child's thread, the exec event), reads the new
    program's mapping whose ->access refuses, where plain gdb cannot."""
    prog = os.path.join(PROGS, "scratch_map")
    args = ("/bin/sh", "-c", f"{prog} 4 refuse; exit 0")    # not the last command: a fork
    set_map = ("python gdb.set_convenience_variable('map', next(int(line.split()[0], 16) for "
               "line in gdb.execute('info iodbg-maps', to_string=True).splitlines() "
               "if 'iodbg:[scratch]' in line))")
    commands = ("set follow-fork-mode child", "set breakpoint pending on", "break serve",
                "run", "info inferiors", set_map, "x/2gx $map", "kill")
    out = run_gdb([WRAPPER], *commands, args=args)
    assert re.search(r"^\[Attaching after .* v?fork to child ", out, re.M), out
    assert "is executing new program: " + prog in out, out
    expect = scratch_pattern(0, 16)
    assert gdb_words(out) == [int.from_bytes(expect[:8], "little"),
                              int.from_bytes(expect[8:], "little")], out
    native = run_gdb(["gdb"], *commands, args=args)
    assert "is executing new program: " + prog in native, native
    assert "Cannot access memory at address" in native, \
        "plain gdb reads it: the test shows nothing"


@pytest.mark.parametrize("args,status,message", [
    ((), 2, "usage: iodbg-gdb PROG"), (("no-such-program-here",), 127, "not found"),
    (("-batch", "--args", "/no/such/file"), 127, "/no/such/file: no such file")])
def test_iodbg_gdb_bad_command_lines(args, status, message):
    res = subprocess.run([WRAPPER, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL, text=True, timeout=60)
    assert res.returncode == status and message in res.stdout, res.stdout
