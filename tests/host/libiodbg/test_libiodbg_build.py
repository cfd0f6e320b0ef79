"""What libiodbg's Makefile delivers: the SONAME, a version script that exports exactly the
API, a static library that takes no names from its users, `make install DESTDIR= PREFIX=`
with a pkg-config file a program can build against, a header that stands alone in C and C++,
man pages that match the code, and a source folder left clean."""
import ctypes
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from libiodbg_py import LIBIODBG, O, VERSION, Attempt, KernelInfo, Map, Object, Segment

HEADER = LIBIODBG / "include" / "iodbg" / "iodbg.h"


def out(*cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          check=True, **kw).stdout


def api_functions():
    return sorted(set(re.findall(r"\b(iodbg_\w+)\(", HEADER.read_text())))


def test_soname(build):
    dynamic = out("readelf", "-d", build / "lib" / f"libiodbg.so.{VERSION}")
    assert "Library soname: [libiodbg.so.0]" in dynamic
    assert os.readlink(build / "lib" / "libiodbg.so.0") == f"libiodbg.so.{VERSION}"
    assert os.readlink(build / "lib" / "libiodbg.so") == "libiodbg.so.0"


# The names each version node of libiodbg.map added; every other API name is LIBIODBG_0.1's.
VERSION_NODES = {"LIBIODBG_0.2": ["iodbg_maps_objects_error", "iodbg_open_pidfd",
                                  "iodbg_set_mmio_width"],
                 "LIBIODBG_0.3": ["iodbg_probe"],
                 "LIBIODBG_0.4": ["iodbg_core_close", "iodbg_core_objects", "iodbg_core_open",
                                  "iodbg_core_pid", "iodbg_core_read", "iodbg_object_fd"],
                 "LIBIODBG_0.5": ["iodbg_core_object_read"]}


def test_exports_exactly_the_api_at_its_version(build):
    symbols = out("nm", "-D", "--defined-only", build / "lib" / "libiodbg.so.0")
    exported = dict(re.findall(r" T (\w+)@@(LIBIODBG_[0-9.]+)$", symbols, re.M))
    assert sorted(exported) == api_functions()
    later = {name: node for node, names in VERSION_NODES.items() for name in names}
    assert exported == {name: later.get(name, "LIBIODBG_0.1") for name in api_functions()}
    others = [line for line in symbols.splitlines()
              if not re.search(r" T \w+@@LIBIODBG_[0-9.]+$| A LIBIODBG_[0-9.]+$", line)]
    assert others == []
    script = (LIBIODBG / "libiodbg.map").read_text()
    assert sorted(re.findall(r"^\t\t(iodbg_\w+);", script, re.M)) == api_functions()
    for node in ["LIBIODBG_0.1", "LIBIODBG_0.2", "LIBIODBG_0.3"]:   # each inherits
        assert "} " + node + ";" in script


def test_static_library_namespace(build):
    """Every global name of the archive is the API or starts with iodbg__."""
    symbols = out("nm", "-g", "--defined-only", build / "lib" / "libiodbg.a")
    names = re.findall(r"^[0-9a-f]+ [A-Z] (\S+)$", symbols, re.M)
    assert names and all(n.startswith("iodbg_") for n in names)
    assert sorted(n for n in names if not n.startswith("iodbg__")) == api_functions()


@pytest.mark.parametrize("compiler, flags", [
    ("cc", ["-std=c99", "-pedantic", "-x", "c"]),
    ("c++", ["-std=c++11", "-pedantic", "-x", "c++"]),
])
def test_header_stands_alone(tmp_path, compiler, flags):
    if not shutil.which(compiler):
        pytest.skip(f"no {compiler}")
    src = tmp_path / "h.c"
    src.write_text("#include <iodbg/iodbg.h>\nint main(void) { struct iodbg_target *t = 0; "
                   "return iodbg_open(1, 0, &t) + (int)IODBG_PATH_PTRACE; }\n")
    subprocess.run([compiler, *flags, "-Wall", "-Wextra", "-Werror", f"-I{LIBIODBG}/include",
                    "-fsyntax-only", src], check=True)


def test_ctypes_mirrors_match_the_compiler(tmp_path):
    """The tests' ctypes structures are the C layout: else every other test lies."""
    checks = {"iodbg_map": Map, "iodbg_attempt": Attempt, "iodbg_segment": Segment,
              "iodbg_kernel_info": KernelInfo, "iodbg_object": Object}
    lines = []
    for cname, cls in checks.items():
        lines.append(f'printf("{cname} %zu\\n", sizeof(struct {cname}));')
        for field, _ in cls._fields_:
            lines.append(f'printf("{cname}.{field} %zu\\n", offsetof(struct {cname}, {field}));')
    src = tmp_path / "layout.c"
    src.write_text("#include <stddef.h>\n#include <stdio.h>\n#include <iodbg/iodbg.h>\n"
                   "int main(void) {\n" + "\n".join(lines) + "\nreturn 0; }\n")
    subprocess.run(["cc", f"-I{LIBIODBG}/include", "-o", tmp_path / "layout", src], check=True)
    got = dict(line.split() for line in out(tmp_path / "layout").splitlines())
    for cname, cls in checks.items():
        assert int(got[cname]) == ctypes.sizeof(cls), cname
        for field, _ in cls._fields_:
            assert int(got[f"{cname}.{field}"]) == getattr(cls, field).offset, (cname, field)


def test_install_and_build_against_it(build, tmp_path):
    dest = tmp_path / "dest"
    res = subprocess.run(["make", "--no-print-directory", "-C", LIBIODBG, f"O={O}", "install",
                          f"DESTDIR={dest}", "PREFIX=/usr"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    assert res.returncode == 0, res.stdout
    files = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if not p.is_dir())
    assert files == ["usr/bin/iodbg", "usr/include/iodbg/iodbg.h",
                     "usr/include/iodbg/uapi/linux/iodbg.h", "usr/lib/libiodbg.a",
                     "usr/lib/libiodbg.so", "usr/lib/libiodbg.so.0",
                     f"usr/lib/libiodbg.so.{VERSION}",
                     "usr/lib/pkgconfig/libiodbg.pc", "usr/libexec/iodbg-coredump",
                     "usr/share/man/man1/iodbg.1", "usr/share/man/man3/iodbg.3",
                     "usr/share/man/man8/iodbg-coredump.8"]
    pc = (dest / "usr/lib/pkgconfig/libiodbg.pc").read_text()
    assert "prefix=/usr\n" in pc and "libdir=/usr/lib\n" in pc and f"Version: {VERSION}\n" in pc
    assert "@" not in pc

    if not shutil.which("pkg-config"):
        pytest.skip("no pkg-config")
    env = dict(os.environ, PKG_CONFIG_SYSROOT_DIR=str(dest),
               PKG_CONFIG_LIBDIR=str(dest / "usr/lib/pkgconfig"))
    flags = out("pkg-config", "--cflags", "--libs", "libiodbg", env=env).split()
    src = tmp_path / "user.c"
    # The API's kinds, placements and flags are <linux/iodbg.h>'s, which installs with it.
    src.write_text('#include <stdio.h>\n#include <unistd.h>\n#include <iodbg/iodbg.h>\n'
                   '#include <linux/iodbg.h>\n'
                   'int main(void) {\n'
                   '\tstruct iodbg_target *t;\n\tchar buf[4];\n'
                   '\tif (iodbg_open(getpid(), 0, &t)) return 1;\n'
                   '\tssize_t n = iodbg_read(t, (uintptr_t)"abc", buf, 4, NULL);\n'
                   '\tprintf("%s %zd %s %s\\n", iodbg_version(), n, buf,\n'
                   '\t       iodbg_object_kind_name(IODBG_KIND_GPU_BO));\n'
                   '\tiodbg_close(t);\n\treturn 0;\n}\n')
    for kind, extra in [("shared", []), ("static", ["-static"])]:
        exe = tmp_path / f"user-{kind}"
        subprocess.run(["cc", "-Wall", "-Werror", "-o", exe, src, *flags, *extra], check=True)
        run_env = dict(os.environ, LD_LIBRARY_PATH=str(dest / "usr/lib"))
        assert out(exe, env=run_env) == f"{VERSION} 4 abc gpu_bo\n"
    assert "libiodbg.so.0 =>" in out("ldd", tmp_path / "user-shared",
                                     env=dict(os.environ, LD_LIBRARY_PATH=str(dest / "usr/lib")))


def test_source_folder_stays_clean():
    built = [p for p in LIBIODBG.rglob("*")
             if p.suffix in (".o", ".a", ".d", ".so") or ".so." in p.name
             or (p.is_file() and os.access(p, os.X_OK))]
    assert built == []


def test_man_pages_match_the_code(iodbg):
    """Every option of every command is in iodbg(1); every API function in iodbg(3)."""
    man1 = (LIBIODBG / "man" / "iodbg.1").read_text().replace("\\-", "-")
    for cmd in ["maps", "read", "write", "objects", "info", "core", "stacks"]:
        help_text = subprocess.run([iodbg, cmd, "--help"], stdout=subprocess.PIPE,
                                   text=True).stdout
        for opt in re.findall(r"(--[a-z]+)", help_text):
            assert opt in man1, (cmd, opt)
        assert f".B {cmd}" in man1 or f"\\fB{cmd}\\fR" in man1, cmd
    for status in ["0", "1", "2", "3"]:
        assert f".B {status}\n" in man1
    man3 = (LIBIODBG / "man" / "iodbg.3").read_text()
    for fn in api_functions():
        assert fn in man3, fn
    man8 = (LIBIODBG / "man" / "iodbg-coredump.8").read_text().replace("\\-", "-")
    help_text = subprocess.run([str(Path(iodbg).parent / "iodbg-coredump"), "--help"],
                               stdout=subprocess.PIPE, text=True).stdout
    for opt in re.findall(r"(--[a-z]+)", help_text):
        assert opt in man8, opt
    if shutil.which("man"):
        for page in ["iodbg.1", "iodbg.3", "iodbg-coredump.8"]:
            res = subprocess.run(["man", "--warnings", "-l", "-Tutf8", LIBIODBG / "man" / page],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 env=dict(os.environ, MANWIDTH="80"))
            assert res.returncode == 0 and res.stderr == "", res.stderr
