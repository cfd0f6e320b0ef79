"""What debian/ must agree on with the sources, checked without building the packages (the
package build checks the same against the built library: DPKG_GENSYMBOLS_CHECK_LEVEL=4)."""
import re
import subprocess
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
DEBIAN = PROJECT / "debian"
LIBIODBG = PROJECT / "libiodbg"


def version_nodes():
    """{node: [names]} of libiodbg.map, in the order of the script."""
    script = re.sub(r"/\*.*?\*/", "", (LIBIODBG / "libiodbg.map").read_text(), flags=re.S)
    return {node: re.findall(r"^\s*(iodbg_\w+);", body, re.M)
            for node, body in re.findall(r"^(LIBIODBG_[0-9.]+)\s*\{(.*?)\}", script, re.M | re.S)}


def test_the_symbols_file_is_the_version_script():
    """libiodbg0.symbols names each node and each name of libiodbg.map at its node, with the
    upstream version that added the node as the minimum version of libiodbg0."""
    lines = (DEBIAN / "libiodbg0.symbols").read_text().splitlines()
    assert lines[0] == "libiodbg.so.0 libiodbg0 #MINVER#"
    assert "* Build-Depends-Package: libiodbg-dev" in lines
    listed = sorted(line for line in lines if line.startswith(" "))
    expect = []
    for node, names in version_nodes().items():
        minver = node.removeprefix("LIBIODBG_") + ".0"
        expect += [f" {node}@{node} {minver}"] + [f" {n}@{node} {minver}" for n in names]
    assert listed == sorted(expect)


def test_the_package_version_is_the_library_version():
    """The upstream version of the newest changelog entry is libiodbg's VERSION: the library's
    file name and iodbg_version() say the version the packages carry."""
    package = subprocess.run(["dpkg-parsechangelog", "-l", str(DEBIAN / "changelog"), "-S",
                              "Version"], stdout=subprocess.PIPE, text=True, check=True).stdout
    library = re.search(r"^VERSION := (\S+)$", (LIBIODBG / "Makefile").read_text(), re.M)[1]
    assert package.strip().rsplit("-", 1)[0] == library
