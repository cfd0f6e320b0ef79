"""gdb on the host, the program on a "remote board" (the test VM, through a port that vm-run
forwards): the iodbg GDB commands over 'target extended-remote 127.0.0.1:PORT' print what
they print on the board natively, 'spu attach' included, whose second connection goes
through the same port. The host has no iodbg module and none of the board's
processes, so only the remote backend can answer them. It runs once with iodbg-gdbserver as
built and once with its ASan and UBSan build."""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
OUT = Path(os.environ.get("IODBG_OUT", PROJECT / "out"))
GDB_PACKAGE = PROJECT / "gdb-python" / "iodbg.py"
GUEST_PORT = 2345
sys.path[:0] = [str(Path(__file__).resolve().parent), str(PROJECT / "tests" / "common")]

import gdbserver_ext_build  # noqa: E402
from commands import gpu_commands, spu_commands  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def between(out, first, last):
    lines = out.splitlines()
    start = lines.index(first)
    return lines[start:lines.index(last, start)]


@pytest.fixture(scope="session")
def build():
    """gdbserver-ext's build folder, with the ASan and UBSan build of iodbg-gdbserver."""
    return gdbserver_ext_build.build(OUT / "build" / "gdbserver-ext", "all", "asan")


@pytest.fixture(params=gdbserver_ext_build.PROXY_BUILDS)
def proxy(request, build):
    """iodbg-gdbserver as built, and built with ASan and UBSan: the board fails on any report
    of theirs, a leak at exit included."""
    return gdbserver_ext_build.proxy(build, request.param)


@pytest.fixture
def board(kernel, proxy):
    """The board running in the VM: (its board.json, the shared folder, the host port)."""
    folder = Path(tempfile.mkdtemp(prefix="remote-board-", dir=OUT))
    port = free_port()
    vm = subprocess.Popen([PROJECT / "scripts" / "vm-run", "--kernel", kernel, "--forward",
                           f"{port}:{GUEST_PORT}", "--timeout", "900", "--",
                           "/usr/bin/python3", "tests/remote/board.py", str(folder),
                           str(GUEST_PORT), str(proxy)],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 600
        while not (folder / "board.json").exists():
            if vm.poll() is not None or time.monotonic() > deadline:
                vm.kill()
                pytest.fail(f"the board did not come up: {vm.communicate()[0][-3000:]}")
            time.sleep(1)
        yield json.loads((folder / "board.json").read_text()), folder, port
        out = vm.communicate(timeout=300)[0]
        assert vm.returncode == 0, out[-3000:]
    finally:
        if vm.poll() is None:
            vm.kill()
            vm.wait()
        for f in folder.iterdir():
            f.unlink()
        folder.rmdir()


def test_host_gdb_gives_the_boards_native_output(board):
    data, folder, port = board
    spu_dump, gpu_dump = folder / "host-spu.bin", folder / "host-gpu.bin"
    commands = [f"target extended-remote 127.0.0.1:{port}",
                f"attach {data['spu']}", *spu_commands(data["ctx"], spu_dump), "detach",
                f"attach {data['gpu']}", *gpu_commands(data["handle"], gpu_dump), "detach"]
    args = ["gdb", "-nx", "-batch", "-iex", "set auto-solib-add off", "-iex",
            f"source {GDB_PACKAGE}", "-iex", "set sysroot /"]
    for c in commands:
        args += ["-ex", c]
    res = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         timeout=600)
    out = res.stdout
    assert "Traceback" not in out and "Python Exception" not in out, out
    native_spu, native_gpu = data["native_spu"], data["native_gpu"]
    # The host's gdb prints the dumps' own paths.
    host_spu = out.replace(str(spu_dump), str(folder / "spu.bin"))
    host_gpu = out.replace(str(gpu_dump), str(folder / "gpu.bin"))
    for first, last in (("<spu>", "<ls>"), ("<ls>", "<regs>"), ("<regs>", "<dump>"),
                        ("<dump>", "<attach>"), ("<attach>", "<x>"), ("<x>", "<back>")):
        assert between(host_spu, first, last) == between(native_spu, first, last), out
    # spu attach: the local store at address 0 of an inferior of its own, on both sides.
    assert len(between(native_spu, "<x>", "<back>")) == 1 + 2, native_spu
    assert "is inferior 2: address 0 is local store offset 0" in out, out
    for first, last in (("<gpu>", "<maps>"), ("<maps>", "<dump>")):
        assert between(host_gpu, first, last) == between(native_gpu, first, last), out
    gpu_part = host_gpu[host_gpu.index("<gpu>"):]
    assert between(gpu_part, "<dump>", "<end>") == between(native_gpu, "<dump>", "<end>"), out
    assert len(between(native_spu, "<spu>", "<ls>")) == 1 + 1 + 2, native_spu
    assert len(between(native_gpu, "<gpu>", "<maps>")) == 1 + 1 + 2, native_gpu
    assert spu_dump.read_bytes() == (folder / "spu.bin").read_bytes()
    assert gpu_dump.read_bytes() == (folder / "gpu.bin").read_bytes()
