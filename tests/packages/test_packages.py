"""iodbg's Debian packages (make deb), installed as a user installs them, on the kernel the
test VM runs: on a writable overlay of the host's root (its changes go to a tmpfs, so nothing
on the host changes), the kernel's linux-headers packages, then iodbg's packages with apt.
DKMS builds the modules, modprobe loads them, the iodbg command finds the module, a plain gdb
(no 'source') has the GDB commands and the library builds programs. A later version upgrades
the packages and DKMS builds the modules again; apt-get remove leaves only the gdbinit.d
conffile, which then loads nothing, and --purge leaves no file behind.

The tests build on each other, in file order, on the one system of the module's fixture.
Every command and its time go to OUT/packages/test-KVER.log.
"""
import glob
import os
import re
import shlex
import stat
import subprocess
import time

import pytest

from targets import SpuTarget, gdb_table, gdb_words, spu_pattern

OUT = os.environ.get("IODBG_OUT", "")
KVER = os.uname().release
KERNEL_ROOT = os.path.join(OUT, "kernels", KVER)
MODULES_DIR = f"/lib/modules/{KVER}"
PACKAGES = ["iodbg", "iodbg-dkms", "iodbg-sim-dkms", "libiodbg0", "libiodbg-dev"]
MODULES = ["iodbg", "gpu_sim", "spu_sim"]
LOG = os.path.join(OUT, "packages", f"test-{KVER}.log")
# What dpkg, apt, debconf and ldconfig keep of any package installed and removed, and DKMS's
# machine key, which it makes at its first build to sign modules: none of it is iodbg's.
BOOKKEEPING = ("/var/lib/dpkg/", "/var/log/", "/var/lib/apt/", "/var/cache/apt/",
               "/var/cache/debconf/", "/var/cache/ldconfig/", "/var/lib/dkms/mok.")
# Python's byte code of gdb's own modules, which any gdb run as root writes.
GDB_PYCACHE = re.compile(r"/usr/share/gdb/python/.*__pycache__")
# apt runs DKMS, which compiles under TCG, in the packages' postinst.
APT_TIMEOUT = 1800
ABI_LINE = "kernel: the iodbg module is loaded, ABI version 2"
NOBODY = 65534      # uid and gid (Debian's group is nogroup)


def debs(folder):
    """The packages built into folder, without the debug symbols."""
    found = sorted(d for d in glob.glob(os.path.join(folder, "*.deb")) if "-dbgsym_" not in d)
    assert found, f"no packages in {folder}: run 'make deb' and tests/packages/prepare"
    return found


def upstream_version(folder):
    """The upstream version of the packages in folder, which is DKMS's module version."""
    name = os.path.basename(next(d for d in debs(folder) if "/iodbg-dkms_" in d))
    return name.split("_")[1].rsplit("-", 1)[0]


def log(line):
    with open(LOG, "a") as f:
        f.write(line + "\n")


class System:
    """The host's root under a writable overlay whose upper layer is a tmpfs folder, with
    /proc, /sys, /dev and the output folder mounted in it, as a Debian machine that runs the
    VM's kernel: its modules' index files (what the kernel's image package installs, without
    the modules, which depmod would read over 9p under TCG after each DKMS build) and its
    headers packages are installed."""

    def __init__(self, base):
        self.upper, work, self.root = (os.path.join(base, d) for d in ("upper", "work", "root"))
        for d in (self.upper, work, self.root):
            os.mkdir(d)
        with open("/proc/filesystems") as f:
            if "overlay" not in f.read():
                # kmod's insmod, which reads the compressed modules of 6.12 too.
                check(["insmod", *glob.glob(f"{KERNEL_ROOT}{MODULES_DIR}/kernel/fs/overlayfs/"
                                            "overlay.ko*")])
        check(["mount", "-t", "overlay", "overlay", "-o",
               f"lowerdir=/,upperdir={self.upper},workdir={work}", self.root])
        for fstype, where in (("proc", "proc"), ("sysfs", "sys"), ("tmpfs", "tmp"),
                              ("tmpfs", "run")):
            check(["mount", "-t", fstype, fstype, self.path("/" + where)])
        check(["mount", "--rbind", "/dev", self.path("/dev")])
        os.makedirs(self.path(OUT), exist_ok=True)
        check(["mount", "--bind", OUT, self.path(OUT)])
        # What udev links on a booted system (DKMS uses bash's <(...)).
        if not os.path.lexists("/dev/fd"):
            os.symlink("/proc/self/fd", "/dev/fd")
        os.makedirs(self.path(MODULES_DIR))
        for name in ("modules.order", "modules.builtin", "modules.builtin.modinfo"):
            with open(f"{KERNEL_ROOT}{MODULES_DIR}/{name}", "rb") as src, \
                    open(self.path(f"{MODULES_DIR}/{name}"), "wb") as dst:
                dst.write(src.read())
        # dpkg reads the file list of every installed package at each run: over 9p under
        # TCG, half a minute each time. Opened for writing, each list is copied up into the
        # overlay's tmpfs once (with the host's content).
        for name in os.listdir(self.path("/var/lib/dpkg/info")):
            if name.endswith(".list"):
                os.close(os.open(self.path(f"/var/lib/dpkg/info/{name}"), os.O_WRONLY))
        # man-db's trigger indexes every manual page of the host over 9p, for minutes under
        # TCG; off, as the man-db/auto-update question of debconf turns it off.
        os.unlink(self.path("/var/lib/man-db/auto-update"))
        # dpkg -i in its two steps, each timed in the log.
        headers = debs(os.path.join(OUT, "packages", "kernel-debs", KVER))
        self.run("dpkg --unpack " + " ".join(headers), timeout=APT_TIMEOUT)
        self.run("dpkg --configure -a", timeout=APT_TIMEOUT)
        self.run(f"depmod -a {KVER}")
        self.files = set()      # every file iodbg's packages installed, from dpkg -L

    def path(self, path):
        """Where the system's @path is, seen from outside it."""
        return os.path.join(self.root, path.lstrip("/"))

    def run(self, cmd, user=None, timeout=300, check=True):
        """Run the shell command @cmd in the system (as @user if given), with a clean
        environment; returns its output (stdout and stderr)."""
        env = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", "TERM=dumb",
               "DEBIAN_FRONTEND=noninteractive", f"HOME={'/tmp' if user else '/root'}"]
        args = ["chroot", *([f"--userspec={user}:nogroup"] if user else []), self.root,
                "/usr/bin/env", "-i", *env, "/bin/sh", "-c", cmd]
        start = time.monotonic()
        res = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             timeout=timeout)
        log(f"[{time.monotonic() - start:6.1f} s] {'(' + user + ') ' if user else ''}{cmd}: "
            f"exit status {res.returncode}")
        if check:
            assert res.returncode == 0, f"{cmd}: exit status {res.returncode}\n{res.stdout}"
        return res.stdout

    def installed_files(self):
        """What dpkg -L lists of iodbg's packages."""
        out = self.run("dpkg -L " + " ".join(PACKAGES))
        return {line for line in out.splitlines() if line.startswith("/")}

    def changes(self):
        """(added, removed): the paths of the system that the host's root lacks, and the
        host's paths that the system deleted (whiteouts in the upper layer)."""
        added, removed = set(), set()
        for folder, dirs, files in os.walk(self.upper):
            for name in dirs + files:
                full = os.path.join(folder, name)
                path = "/" + os.path.relpath(full, self.upper)
                st = os.lstat(full)
                if stat.S_ISCHR(st.st_mode) and st.st_rdev == 0:
                    removed.add(path)
                elif not os.path.lexists(path):     # the host's root is this one's
                    added.add(path)
        return added, removed

    def module_files(self):
        return sorted(os.listdir(self.path(f"{MODULES_DIR}/updates/dkms")))

    def build_id(self, module):
        """The GNU build id of the file modprobe loads for @module."""
        path = self.run(f"modinfo -n {module}").strip()
        cat = "xzcat" if path.endswith(".xz") else "cat"
        out = self.run(f"{cat} {path} >/tmp/build-id.ko && readelf -n /tmp/build-id.ko")
        return re.search(r"Build ID: ([0-9a-f]+)", out)[1]

    def close(self):
        subprocess.run(["umount", "-R", "-l", self.root])


def loaded_build_id(module):
    """The GNU build id of the loaded @module, from its notes in sysfs."""
    with open(f"/sys/module/{module}/notes/.note.gnu.build-id", "rb") as f:
        note = f.read()
    namesz, descsz = int.from_bytes(note[0:4], "little"), int.from_bytes(note[4:8], "little")
    start = 12 + (namesz + 3) // 4 * 4
    return note[start:start + descsz].hex()


def check(args):
    res = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert res.returncode == 0, f"{shlex.join(args)}: {res.stdout}"


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    os.makedirs(os.path.dirname(LOG), exist_ok=True)
    with open(LOG, "w") as f:
        f.write(f"package test on {KVER}\n")
    start = time.monotonic()
    s = System(str(tmp_path_factory.mktemp("system")))
    log(f"[{time.monotonic() - start:6.1f} s] the system with the kernel's headers")
    s.before = s.changes()
    yield s
    s.close()


def test_apt_installs_the_packages_and_dkms_builds_the_modules(system):
    version = upstream_version(os.path.join(OUT, "deb"))
    system.run("apt-get install -y --no-install-recommends "
               + " ".join(debs(os.path.join(OUT, "deb"))), timeout=APT_TIMEOUT)
    status = system.run("dkms status")
    assert f"iodbg/{version}, {KVER}, x86_64: installed" in status, status
    assert f"iodbg-sim/{version}, {KVER}, x86_64: installed" in status, status
    assert [re.sub(r"\.ko(\.xz)?$", "", m) for m in system.module_files()] == sorted(MODULES)
    system.files |= system.installed_files()
    sources = [f for f in system.files if f.startswith("/usr/src/")]
    assert f"/usr/src/iodbg-{version}/dkms.conf" in sources
    assert f"/usr/src/iodbg-sim-{version}/dkms.conf" in sources
    assert not [f for f in sources if re.search(r"test|harness|patch", f)], \
        "the test modules and the kernel patches are not packaged"


def test_modprobe_loads_the_modules_dkms_built(system):
    system.run("modprobe spu_sim && modprobe gpu_sim")
    with open("/proc/modules") as f:
        loaded = {line.split()[0]: line.split()[3] for line in f}
    assert set(MODULES) <= set(loaded)
    assert set(loaded["iodbg"].strip(",").split(",")) == {"gpu_sim", "spu_sim"}, \
        "modprobe spu_sim loaded iodbg first, as depmod found"
    for m in MODULES:
        path = system.run(f"modinfo -n {m}").strip()
        assert re.fullmatch(re.escape(f"{MODULES_DIR}/updates/dkms/{m}") + r"\.ko(\.xz)?", path)
        assert loaded_build_id(m) == system.build_id(m), f"{m} is not the module DKMS built"


@pytest.mark.parametrize("user", [None, "nobody"])
def test_the_iodbg_command_finds_the_module(system, user):
    for program in ("iodbg", "iodbg-spu-stub"):
        assert system.run(f"command -v {program}", user=user) == f"/usr/bin/{program}\n"
    assert ABI_LINE in system.run("iodbg info", user=user)


def test_the_crash_handler_is_installed(system):
    """iodbg-coredump, for core_pattern, runs from the package with the installed libraries,
    its manual page beside it."""
    assert "core_pattern" in system.run("/usr/libexec/iodbg-coredump --help")
    assert os.path.exists(system.path("/usr/share/man/man8/iodbg-coredump.8.gz"))


def test_a_plain_gdb_has_the_gdb_commands(system):
    """gdb -p PID as user nobody, with no 'source': /etc/gdb/gdbinit.d/iodbg.py loads the
    package installed under /usr/lib/iodbg, which loads the installed libiodbg and starts
    the installed iodbg-spu-stub."""
    t = SpuTarget(2, user=NOBODY)
    ctx = t.ctxs[1]
    try:
        out = system.run(
            f"gdb -batch -p {t.pid} -ex 'info spu' -ex 'info spu-ls/gx {ctx['ls_id']} 0x100 16'"
            " -ex 'python import iodbg_gdb; print(iodbg_gdb.__file__)'"
            " -ex 'python print([l.split()[-1] for l in open(\"/proc/self/maps\")"
            " if \"libiodbg\" in l][0])'"
            f" -ex 'spu attach {ctx['ls_id']}' -ex 'x/2gx 0x100'", user="nobody")
    finally:
        t.close()
    rows = [r for r in gdb_table(out, "Id") if r[0].isdigit()]     # info spu-ls follows
    assert sorted(int(r[0]) for r in rows) == sorted(c["ls_id"] for c in t.ctxs), out
    expect = [int.from_bytes(spu_pattern(ctx["ls_id"], 0x100 + 8 * i, 8), "little")
              for i in range(2)]
    assert gdb_words(out) == expect + expect, out
    assert "(read by: object)" in out
    assert "/usr/lib/iodbg/gdb-python/iodbg_gdb/__init__.py\n" in out
    version = upstream_version(os.path.join(OUT, "deb"))     # libiodbg's (tests/host)
    assert f"/usr/lib/x86_64-linux-gnu/libiodbg.so.{version}\n" in out
    assert f"SPU context {ctx['ls_id']} of process {t.pid} is inferior 2" in out
    assert "Traceback" not in out and "Python Exception" not in out, out


PROGRAM = r"""#include <stdio.h>
#include <iodbg/iodbg.h>
#include <linux/iodbg.h>

int main(void)
{
	struct iodbg_kernel_info info;

	if (iodbg_kernel_info(&info) < 0)
		return 1;
	printf("libiodbg %s, module loaded %d, ABI %u of %d\n", iodbg_version(), info.loaded,
	       info.abi_version, IODBG_ABI_VERSION);
	return 0;
}
"""


def test_libiodbg_dev_builds_programs(system):
    """A program of <iodbg/iodbg.h> and <linux/iodbg.h>, built with pkg-config's flags
    against the shared library and against the static one."""
    with open(system.path("/tmp/prog.c"), "w") as f:
        f.write(PROGRAM)
    system.run("cc -Wall -Werror -o /tmp/prog /tmp/prog.c $(pkg-config --cflags --libs libiodbg)"
               " && cc -Wall -Werror -static -o /tmp/prog-static /tmp/prog.c"
               " $(pkg-config --cflags --static --libs libiodbg)", user="nobody")
    version = upstream_version(os.path.join(OUT, "deb"))     # libiodbg's (tests/host)
    expect = f"libiodbg {version}, module loaded 1, ABI 2 of 2\n"
    assert system.run("/tmp/prog", user="nobody") == expect
    assert system.run("/tmp/prog-static", user="nobody") == expect
    assert "/lib/x86_64-linux-gnu/libiodbg.so.0 " in system.run("ldd /tmp/prog")
    assert "not a dynamic executable" in system.run("ldd /tmp/prog-static", check=False)


def test_an_upgrade_builds_the_modules_again(system):
    old = upstream_version(os.path.join(OUT, "deb"))
    new = upstream_version(os.path.join(OUT, "packages", "upgrade"))
    assert new != old
    start = time.time()
    system.run("apt-get install -y --no-install-recommends "
               + " ".join(debs(os.path.join(OUT, "packages", "upgrade"))), timeout=APT_TIMEOUT)
    status = system.run("dkms status")
    assert f"iodbg/{new}, {KVER}, x86_64: installed" in status, status
    assert f"iodbg-sim/{new}, {KVER}, x86_64: installed" in status, status
    assert f"/{old}," not in status, status
    for gone in (f"/usr/src/iodbg-{old}", f"/usr/src/iodbg-sim-{old}",
                 f"/var/lib/dkms/iodbg/{old}", f"/var/lib/dkms/iodbg-sim/{old}"):
        assert not os.path.lexists(system.path(gone)), gone
    for m in system.module_files():
        built = os.stat(system.path(f"{MODULES_DIR}/updates/dkms/{m}")).st_mtime
        assert built >= start, f"{m} was not built again"
    system.files |= system.installed_files()
    system.run("rmmod gpu_sim spu_sim iodbg && modprobe spu_sim")
    assert loaded_build_id("iodbg") == system.build_id("iodbg")
    assert ABI_LINE in system.run("iodbg info")
    out = system.run("gdb -batch -ex 'help info spu'")
    assert out.startswith("SPU contexts of the program, or Cell-style details of one."), out


def test_remove_leaves_the_gdbinit_conffile_which_then_loads_nothing(system):
    system.run("apt-get remove -y " + " ".join(PACKAGES), timeout=APT_TIMEOUT)
    assert os.path.exists(system.path("/etc/gdb/gdbinit.d/iodbg.py"))
    assert not os.path.lexists(system.path("/usr/lib/iodbg"))
    assert system.run("gdb -batch -ex 'echo gdb-ok\\n'") == "gdb-ok\n"
    assert "iodbg" not in system.run("dkms status")


def test_purge_leaves_no_file_behind(system):
    """apt-get remove --purge of what remove left (iodbg's conffile): no file of the
    packages is left, and the system has no path more or less than before they came."""
    query = "dpkg-query -W -f '${db:Status-Abbrev} ${Package}\\n'"
    out = system.run(f"{query} {' '.join(PACKAGES)}", check=False)
    assert [p for p in PACKAGES if re.search(rf"^rc +{p}$", out, re.M)] == ["iodbg"], out
    system.run("apt-get remove --purge -y iodbg", timeout=APT_TIMEOUT)
    assert "iodbg" not in system.run(query)
    assert "iodbg" not in system.run("dkms status")
    left = sorted(f for f in system.files
                  if os.path.lexists(system.path(f)) and not os.path.lexists(f)
                  and f not in system.before[0])
    assert not left, "files of the packages left behind"
    added, removed = system.changes()
    added = sorted(p for p in added - system.before[0]
                   if not p.startswith(BOOKKEEPING) and not GDB_PYCACHE.match(p))
    removed = sorted(p for p in removed - system.before[1] if not p.startswith(BOOKKEEPING))
    assert not added and not removed, f"paths added: {added}\npaths deleted: {removed}"
