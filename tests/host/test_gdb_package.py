"""The GDB package on this machine, where the iodbg module is not loaded (it never is on the
host): the real gdb loads it, every command has help, ordinary memory is read and dumped
through libiodbg with the path named, and the device commands fail as GDB errors that say
why. tests/guest covers the commands against the reference drivers."""
import os
import re
import subprocess
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
OUT = Path(os.environ.get("IODBG_OUT", PROJECT / "out"))
LOADER = PROJECT / "gdb-python" / "iodbg.py"
ANON_MAP = OUT / "build" / "progs" / "anon_map"
COMMANDS = ["info spu", "info spu mailbox", "info spu signal", "info spu event", "info spu dma",
            "info spu-ls", "info spu-regs", "info gpu-objects", "info iodbg-maps",
            "iodbg dump", "set iodbg path", "set iodbg allow-mmio", "show iodbg", "spu attach"]


@pytest.fixture(scope="module", autouse=True)
def built():
    for needed in (ANON_MAP, OUT / "build" / "python" / "libiodbg_api.py",
                   OUT / "build" / "libiodbg" / "lib" / "libiodbg.so.0"):
        if not needed.exists():
            pytest.fail(f"{needed} is missing: run 'make build' first", pytrace=False)


@pytest.fixture
def anon():
    proc = subprocess.Popen([ANON_MAP, "4"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    m = re.match(r"ready pid=(\d+) addr=(0x[0-9a-f]+) size=(\d+)", proc.stdout.readline())
    yield int(m[1]), int(m[2], 16), int(m[3])
    proc.kill()
    proc.wait()


def gdb(*commands, pid=None):
    args = ["gdb", "-nx", "-batch"] + (["-p", str(pid)] if pid else [])
    for c in (f"source {LOADER}", *commands):
        args += ["-ex", c]
    env = dict(os.environ, IODBG_OUT=str(OUT))
    out = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         timeout=60, env=env).stdout
    assert "Traceback" not in out and "Python Exception" not in out, out
    return out


def test_every_command_has_help():
    out = gdb(*(f"help {c}" for c in COMMANDS))
    assert "Undefined" not in out and "not documented" not in out.lower(), out
    assert "Usage: info spu-ls[/FMT] [CTX [OFFSET [LENGTH]]]" in out
    assert "Usage: iodbg dump FILE CTX|HANDLE" in out
    assert "Usage: info iodbg-maps [--verbose]" in out


def test_settings():
    out = gdb("show iodbg", "set iodbg path proc_mem", "show iodbg path",
              "set iodbg allow-mmio on", "show iodbg allow-mmio", "set iodbg path nowhere")
    assert "The iodbg commands use path: auto." in out
    assert "The iodbg commands use path: proc_mem." in out
    assert "(MMIO through the generic fallback) are allowed: on." in out
    assert 'Undefined item: "nowhere".' in out


def test_dump_of_ordinary_memory_names_the_path(anon, tmp_path):
    pid, addr, size = anon
    path = tmp_path / "dump.bin"
    out = gdb(f"iodbg dump {path} {addr + 3:#x} {size - 3}", "set iodbg path proc_mem",
              f"iodbg dump {path}.2 {addr:#x} 16", pid=pid)
    expect = b"".join((8 * i).to_bytes(8, "little") for i in range(size // 8))
    assert f"Wrote {size - 3} bytes to {path} (read by: process_vm)." in out
    assert path.read_bytes() == expect[3:]
    assert "(read by: proc_mem)." in out and Path(f"{path}.2").read_bytes() == expect[:16]


def test_maps_without_the_module(anon):
    pid, addr, size = anon
    out = gdb("info iodbg-maps", pid=pid)
    row = next(line for line in out.splitlines() if line.startswith(f"{addr:#x}"))
    assert re.search(r"rw-p\s+ordinary\s+-\s+-\s+process_vm$", row), row


def test_device_commands_without_the_module(anon):
    pid, _, _ = anon
    out = gdb("info spu", "info gpu-objects", "info spu-ls", "iodbg dump /tmp/x 5", pid=pid)
    assert out.count("iodbg module not loaded") == 4, out


def test_not_running():
    out = gdb("info spu", "info spu-regs 1", "info iodbg-maps", "iodbg dump /tmp/x 1 2")
    assert out.count("The program is not being run.") == 4, out


def test_installed_package_loads_in_gdb(tmp_path, anon):
    """make install: the package, its generated modules, libiodbg and a gdbinit.d line that
    loads it, all found from where they were installed (no build tree in the environment)."""
    dest = tmp_path / "dest"
    res = subprocess.run(["make", "-s", "--no-print-directory", "-C", PROJECT, "install",
                          f"DESTDIR={dest}", "PREFIX=/usr", f"OUT={OUT}"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert res.returncode == 0, res.stdout
    gdbinit = dest / "etc" / "gdb" / "gdbinit.d" / "iodbg.py"
    assert '"/usr/share/iodbg/gdb-python/iodbg.py"' in gdbinit.read_text()
    assert (dest / "usr" / "bin" / "iodbg-spu-stub").exists()
    pid, addr, _ = anon
    env = {k: v for k, v in os.environ.items() if not k.startswith("IODBG_")}
    out = subprocess.run(["gdb", "-nx", "-batch", "-p", str(pid), "-ex",
                          f"source {dest}/usr/share/iodbg/gdb-python/iodbg.py", "-ex",
                          "python import iodbg_gdb.libiodbg as l; print(l.lib()._name)",
                          "-ex", f"iodbg dump {tmp_path}/d {addr:#x} 8"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         env=env, timeout=60).stdout
    assert f"{dest}/usr/lib/libiodbg.so.0" in out, out
    assert "(read by: process_vm)" in out, out


def test_gdbinit_loader_loads_the_package_while_it_is_there(tmp_path, anon):
    """The file make install puts in gdb's system gdbinit directory (iodbg.py, a Python file
    that gdb runs as it runs its own init files) gives gdb the commands while the package is
    installed, and once the package is gone (a Debian package removed but not purged keeps
    this conffile) gdb starts as if it were not there."""
    prefix, gdbinit_dir = tmp_path / "prefix", tmp_path / "gdbinit.d"
    res = subprocess.run(["make", "-s", "--no-print-directory", "-C", PROJECT, "install",
                          f"PREFIX={prefix}", f"GDBINIT_DIR={gdbinit_dir}", f"OUT={OUT}"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert res.returncode == 0, res.stdout
    pid, addr, _ = anon
    env = {k: v for k, v in os.environ.items() if not k.startswith("IODBG_")}

    def gdb_with_init(*commands):
        args = ["gdb", "-nx", "-batch", "-p", str(pid), "-x", str(gdbinit_dir / "iodbg.py")]
        for c in commands:
            args += ["-ex", c]
        return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, env=env, timeout=60).stdout

    out = gdb_with_init(f"iodbg dump {tmp_path}/d {addr:#x} 8", "echo done\\n")
    assert "(read by: process_vm)" in out and "Traceback" not in out, out
    subprocess.run(["rm", "-r", str(prefix)], check=True)
    out = gdb_with_init("echo done\\n")
    assert "done\n" in out and "iodbg" not in out and "Traceback" not in out, out
