"""The kernel patch series (kernel/patches/) applies to Debian's linux-source-6.12 patch by
patch, passes checkpatch --strict and builds at W=1 after each patch."""
import difflib
import os
import subprocess
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
CHECK = PROJECT / "scripts" / "check-kernel-patches"
SERIES = PROJECT / "kernel" / "patches"


def check(*args):
    return subprocess.run([CHECK, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, cwd=PROJECT)


def test_series_is_clean():
    res = check()
    assert res.returncode == 0, res.stdout
    patches = [p.name for p in sorted(SERIES.glob("[0-9]*.patch"))]
    for patch in patches[1:]:
        for name in ("applies", "checkpatch", "build-W=1"):
            assert f"ok    {name:<12} {patch}" in res.stdout, res.stdout


def test_cover_letter_names_every_patch():
    cover = (SERIES / "0000-cover-letter.patch").read_text()
    assert "*** SUBJECT HERE ***" not in cover and "*** BLURB HERE ***" not in cover
    for patch in sorted(SERIES.glob("[0-9]*.patch")):
        if patch.name.startswith("0000"):
            continue
        subject = next(line for line in patch.read_text().splitlines()
                       if line.startswith("Subject: "))
        title = subject.split("] ", 1)[1]
        assert title in cover, f"{patch.name}: {title!r} missing from the cover letter"


def pristine(path):
    """A file of the source as Debian ships it, from the tree the check unpacked."""
    tree = Path(os.environ.get("IODBG_OUT", PROJECT / "out")) / "kernel-series" / "linux"
    if not (tree / ".git").exists():
        check()
    return subprocess.run(["git", "-C", tree, "show",
                           f"pristine:{path}"], stdout=subprocess.PIPE, text=True,
                          check=True).stdout


def test_check_reports_a_bad_patch(tmp_path):
    """The check must be able to fail: a patch with a style error and a W=1 warning."""
    path = "mm/process_vm_access.c"
    old = pristine(path).splitlines(keepends=True)
    new = old + ["\n", "static int iodbg_unused(void){ return 0; }  \n"]
    diff = "".join(difflib.unified_diff(old, new, f"a/{path}", f"b/{path}"))
    (tmp_path / "0001-bad.patch").write_text(
        "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
        "From: Test <test@localhost>\nDate: Sun, 6 Dec 2026 00:00:00 +0000\n"
        "Subject: [PATCH] mm: a bad patch\n\nA patch the check must refuse.\n\n"
        "Signed-off-by: Test <test@localhost>\n---\n" + diff + "-- \n2.39.5\n\n")
    res = check("--series", str(tmp_path))
    assert res.returncode == 1, res.stdout
    assert "ok    applies      0001-bad.patch" in res.stdout, res.stdout
    assert "FAIL  checkpatch   0001-bad.patch" in res.stdout, res.stdout
    assert "FAIL  build-W=1    0001-bad.patch" in res.stdout, res.stdout
    assert "TRAILING_WHITESPACE" in res.stdout or "trailing whitespace" in res.stdout
    assert "iodbg_unused" in res.stdout
