"""The Python view of the uapi header is generated, not retyped: check it against the C
compiler's own reading of the header."""
import ctypes
import importlib.util
import subprocess
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
HEADER = PROJECT / "include" / "uapi" / "linux" / "iodbg.h"


@pytest.fixture(scope="module")
def uapi(tmp_path_factory):
    out = tmp_path_factory.mktemp("uapi") / "iodbg_uapi.py"
    subprocess.run([PROJECT / "scripts" / "gen-uapi-python", HEADER, out], check=True)
    spec = importlib.util.spec_from_file_location("iodbg_uapi", out)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def c_value(expr, tmp_path, header=HEADER):
    src, exe = tmp_path / "v.c", tmp_path / "v"
    src.write_text(f'#include <stdio.h>\n#include "{header}"\n'
                   f'int main(void) {{ printf("%llu", (unsigned long long)({expr})); }}\n')
    subprocess.run(["gcc", "-o", exe, src], check=True)
    return int(subprocess.run([exe], stdout=subprocess.PIPE, check=True, text=True).stdout)


def test_ioctl_numbers_are_the_compilers(uapi, tmp_path):
    assert uapi.IODBG_IOC_VERSION == c_value("IODBG_IOC_VERSION", tmp_path)
    # _IOWR: direction read|write (3) in bits 30-31, the argument size in bits 16-29.
    assert uapi.IODBG_IOC_VERSION >> 30 == 3
    assert (uapi.IODBG_IOC_VERSION >> 16) & 0x3FFF == ctypes.sizeof(uapi.iodbg_version)


def test_struct_layout_is_the_compilers(uapi, tmp_path):
    assert ctypes.sizeof(uapi.iodbg_version) == c_value("sizeof(struct iodbg_version)", tmp_path)
    assert uapi.iodbg_version.reserved.offset == c_value(
        "__builtin_offsetof(struct iodbg_version, reserved)", tmp_path)


def test_string_constants(uapi):
    assert uapi.IODBG_DEVICE_NAME == "iodbg"


def test_mismatching_header_is_refused(tmp_path):
    """A field type the generator does not know must stop it, not produce a wrong layout."""
    header = tmp_path / "linux" / "bad.h"
    header.parent.mkdir()
    header.write_text("#include <linux/types.h>\nstruct iodbg_bad {\n\tlong x;\n\t__u32 y;\n};\n")
    res = subprocess.run([PROJECT / "scripts" / "gen-uapi-python", header, tmp_path / "o.py"],
                         stderr=subprocess.PIPE, text=True)
    assert res.returncode != 0
    assert not (tmp_path / "o.py").exists()


def test_libiodbg_header_gives_the_ctypes_binding_its_structures(tmp_path):
    """The same generator reads libiodbg's public header for the GDB package: pointers to
    strings and to other structures included, each layout checked against the compiler."""
    header = PROJECT / "libiodbg" / "include" / "iodbg" / "iodbg.h"
    out = tmp_path / "libiodbg_api.py"
    subprocess.run([PROJECT / "scripts" / "gen-uapi-python", header, out], check=True)
    spec = importlib.util.spec_from_file_location("libiodbg_api", out)
    api = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(api)
    fields = dict(api.iodbg_segment._fields_)
    assert fields["why"] is ctypes.c_char_p
    assert fields["attempts"] is ctypes.POINTER(api.iodbg_attempt)
    assert dict(api.iodbg_map._fields_)["object"] is ctypes.POINTER(api.iodbg_object)
    assert ctypes.sizeof(api.iodbg_object) == c_value("sizeof(struct iodbg_object)", tmp_path,
                                                      header)
    assert api.IODBG_MAP_PFNMAP == c_value("IODBG_MAP_PFNMAP", tmp_path, header)
    # Enumerators, negative ones included.
    assert api.IODBG_PATH_NONE == -1
    assert api.IODBG_PATH_IOCTL == c_value("IODBG_PATH_IOCTL", tmp_path, header)
