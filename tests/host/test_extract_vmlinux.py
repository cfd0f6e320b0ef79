"""scripts/extract-vmlinux on bzImage-shaped inputs: a setup blob, a compressed ELF payload
(xz as in Debian's 6.1, zstd plus the appended size word as in 6.12) and trailing data."""
import lzma
import os
import subprocess
from pathlib import Path

import pytest

EXTRACT = Path(__file__).resolve().parents[2] / "scripts" / "extract-vmlinux"
# Any whole x86-64 ELF file stands in for the kernel.
ELF = Path("/usr/bin/true").read_bytes()


def compress(kind, data):
    if kind == "xz":
        return lzma.compress(data, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32)
    return subprocess.run(["zstd", "-q", "-c"], input=data, stdout=subprocess.PIPE,
                          check=True).stdout


def run_extract(tmp_path, image):
    src, dst = tmp_path / "bzImage", tmp_path / "vmlinux"
    src.write_bytes(image)
    res = subprocess.run([EXTRACT, src, dst], stderr=subprocess.PIPE, text=True)
    return res, dst


@pytest.mark.parametrize("kind", ["xz", "zstd"])
def test_extracts_payload(tmp_path, kind):
    # A false magic in the setup code must be skipped, as in real bzImages.
    decoy = b"\xfd7zXZ\x00garbage" if kind == "xz" else b"\x28\xb5\x2f\xfdgarbage"
    image = b"MZ" + os.urandom(4000) + decoy + compress(kind, ELF) + len(ELF).to_bytes(4, "little")
    res, dst = run_extract(tmp_path, image + os.urandom(100))
    assert res.returncode == 0, res.stderr
    assert dst.read_bytes() == ELF


def test_payload_that_is_not_elf_is_refused(tmp_path):
    res, dst = run_extract(tmp_path, b"MZ" + compress("xz", b"not a kernel" * 100))
    assert res.returncode != 0
    assert "no xz or zstd compressed ELF kernel" in res.stderr
    assert not dst.exists()


@pytest.mark.parametrize("kind", ["xz", "zstd"])
def test_truncated_payload_is_refused(tmp_path, kind):
    payload = compress(kind, ELF)
    res, dst = run_extract(tmp_path, b"MZ" + payload[:len(payload) // 2])
    assert res.returncode != 0
    assert not dst.exists()
