"""ctypes bindings of libiodbg for the tests, the target program they debug, and the expected
bytes of its regions. The structures and constants are generated from include/iodbg/iodbg.h
(libiodbg_api); test_libiodbg_build checks them against the C compiler's layout too."""
import ctypes
import errno
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

_HERE = Path(__file__).resolve()
# (A copy of this file elsewhere, as the test run as nobody makes, has no project around it.)
PROJECT = _HERE.parents[3] if len(_HERE.parents) > 3 else _HERE.parent
LIBIODBG = PROJECT / "libiodbg"
# The library's version, as its header says (the build, the pkg-config file and the command
# must agree with it); None in a copy of this module run away from the source tree.
_HEADER = LIBIODBG / "include" / "iodbg" / "iodbg.h"
VERSION = re.search(r'#define IODBG_VERSION_STRING "([^"]+)"',
                    _HEADER.read_text()).group(1) if _HEADER.exists() else None
O = Path(os.environ.get("IODBG_LIBIODBG_O") or
         Path(os.environ.get("IODBG_OUT") or PROJECT / "out") / "build" / "libiodbg")
ASAN_O = O / "asan"
FIXTURES = _HERE.parent / "fixtures"
GENERATED_API = Path(os.environ.get("IODBG_OUT") or PROJECT / "out") / "build" / "python" / \
    "libiodbg_api.py"

PATH_NONE, PATH_AUTO, PATH_PROCESS_VM, PATH_PROC_MEM, PATH_PTRACE, PATH_IOCTL, PATH_OBJECT = \
    -1, 0, 1, 2, 3, 4, 5
PATHS = {"auto": PATH_AUTO, "process_vm": PATH_PROCESS_VM, "proc_mem": PATH_PROC_MEM,
         "ptrace": PATH_PTRACE, "ioctl": PATH_IOCTL, "object": PATH_OBJECT}
SSIZE_MAX = 2**63 - 1
NOBODY = 65534
# Under the sanitizer test this process has libasan preloaded; its children need not.
SANITIZER_PRELOAD = os.environ.pop("LD_PRELOAD", "") if os.environ.get("IODBG_LIBIODBG_SO") else ""


def _generated_api():
    """libiodbg_api: the ctypes view of iodbg.h that scripts/gen-uapi-python generates (and
    checks against the C compiler), made here if the build has not made it yet. A copy of this
    file elsewhere finds its copy beside it."""
    path = GENERATED_API
    header = LIBIODBG / "include" / "iodbg" / "iodbg.h"
    if (_HERE.parent / path.name).exists():
        path = _HERE.parent / path.name
    elif not path.exists() or path.stat().st_mtime < header.stat().st_mtime:
        subprocess.run([PROJECT / "scripts" / "gen-uapi-python", header, path], check=True)
    spec = importlib.util.spec_from_file_location("libiodbg_api", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


api = _generated_api()
MAP_READ, MAP_WRITE, MAP_EXEC, MAP_SHARED = (api.IODBG_MAP_READ, api.IODBG_MAP_WRITE,
                                             api.IODBG_MAP_EXEC, api.IODBG_MAP_SHARED)
MAP_VMFLAGS, MAP_IO, MAP_PFNMAP, MAP_MIXEDMAP, MAP_DONTDUMP, MAP_DELETED = (
    api.IODBG_MAP_VMFLAGS, api.IODBG_MAP_IO, api.IODBG_MAP_PFNMAP, api.IODBG_MAP_MIXEDMAP,
    api.IODBG_MAP_DONTDUMP, api.IODBG_MAP_DELETED)
ATTEMPT_SKIPPED = api.IODBG_ATTEMPT_SKIPPED
Object, Map, Attempt, Segment, KernelInfo = (api.iodbg_object, api.iodbg_map, api.iodbg_attempt,
                                             api.iodbg_segment, api.iodbg_kernel_info)


def _protos(lib):
    P, c = ctypes.POINTER, ctypes
    for name, res, args in [
        ("iodbg_version", c.c_char_p, []),
        ("iodbg_path_name", c.c_char_p, [c.c_int]),
        ("iodbg_path_from_name", c.c_int, [c.c_char_p]),
        ("iodbg_kernel_info", c.c_int, [P(KernelInfo)]),
        ("iodbg_errmsg", c.c_char_p, [c.c_void_p]),
        ("iodbg_open", c.c_int, [c.c_int, c.c_uint, P(c.c_void_p)]),
        ("iodbg_open_pidfd", c.c_int, [c.c_int, c.c_uint, P(c.c_void_p)]),
        ("iodbg_close", None, [c.c_void_p]),
        ("iodbg_target_pid", c.c_int, [c.c_void_p]),
        ("iodbg_set_path", c.c_int, [c.c_void_p, c.c_int]),
        ("iodbg_set_allow_mmio", c.c_int, [c.c_void_p, c.c_int]),
        ("iodbg_set_mmio_width", c.c_int, [c.c_void_p, c.c_uint]),
        ("iodbg_objects", c.c_int, [c.c_void_p, P(c.c_void_p)]),
        ("iodbg_objects_count", c.c_size_t, [c.c_void_p]),
        ("iodbg_objects_get", P(Object), [c.c_void_p, c.c_size_t]),
        ("iodbg_objects_find", P(Object), [c.c_void_p, c.c_uint64]),
        ("iodbg_objects_free", None, [c.c_void_p]),
        ("iodbg_object_kind_name", c.c_char_p, [c.c_uint32]),
        ("iodbg_placement_name", c.c_char_p, [c.c_uint32]),
        ("iodbg_map_kind", c.c_char_p, [P(Map)]),
        ("iodbg_maps_read", c.c_int, [c.c_void_p, P(c.c_void_p)]),
        ("iodbg_maps_parse", c.c_int, [c.c_char_p, c.c_size_t, P(c.c_void_p)]),
        ("iodbg_maps_count", c.c_size_t, [c.c_void_p]),
        ("iodbg_maps_get", P(Map), [c.c_void_p, c.c_size_t]),
        ("iodbg_maps_find", P(Map), [c.c_void_p, c.c_uint64]),
        ("iodbg_maps_truncated", c.c_int, [c.c_void_p]),
        ("iodbg_maps_free", None, [c.c_void_p]),
        ("iodbg_report_new", c.c_void_p, []),
        ("iodbg_report_free", None, [c.c_void_p]),
        ("iodbg_report_count", c.c_size_t, [c.c_void_p]),
        ("iodbg_report_get", P(Segment), [c.c_void_p, c.c_size_t]),
        ("iodbg_read", c.c_ssize_t, [c.c_void_p, c.c_uint64, c.c_void_p, c.c_size_t,
                                     c.c_void_p]),
        ("iodbg_write", c.c_ssize_t, [c.c_void_p, c.c_uint64, c.c_void_p, c.c_size_t,
                                      c.c_void_p]),
        ("iodbg_object_read", c.c_ssize_t, [c.c_void_p, c.c_uint64, c.c_uint64, c.c_void_p,
                                            c.c_size_t, c.c_void_p]),
        ("iodbg_object_write", c.c_ssize_t, [c.c_void_p, c.c_uint64, c.c_uint64, c.c_void_p,
                                             c.c_size_t, c.c_void_p]),
        ("iodbg_probe", c.c_int, [c.c_void_p, P(c.c_uint64), c.c_size_t, P(c.c_int),
                                  P(c.c_int)]),
    ]:
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = res, args


class Lib:
    """The library, with Pythonic wrappers that keep the C return values."""

    def __init__(self, path):
        self.c = ctypes.CDLL(str(path))
        _protos(self.c)

    def errmsg(self, target=None):
        return self.c.iodbg_errmsg(target).decode()

    def open(self, pid):
        """(error, Target or None)"""
        h = ctypes.c_void_p()
        err = self.c.iodbg_open(pid, 0, ctypes.byref(h))
        return err, (Target(self, h.value) if err == 0 else None)

    def open_pidfd(self, pidfd):
        """(error, Target or None)"""
        h = ctypes.c_void_p()
        err = self.c.iodbg_open_pidfd(pidfd, 0, ctypes.byref(h))
        return err, (Target(self, h.value) if err == 0 else None)

    def parse(self, text):
        """(error, list of map dicts, truncated)"""
        if isinstance(text, str):
            text = text.encode()
        h = ctypes.c_void_p()
        err = self.c.iodbg_maps_parse(text, len(text), ctypes.byref(h))
        if err:
            assert not h.value
            return err, None, None
        try:
            return 0, maps_list(self, h), bool(self.c.iodbg_maps_truncated(h))
        finally:
            self.c.iodbg_maps_free(h)

    def kernel_info(self):
        info = KernelInfo()
        err = self.c.iodbg_kernel_info(ctypes.byref(info))
        return err, info


def map_dict(lib, m):
    return {"start": m.start, "end": m.end, "offset": m.offset, "inode": m.inode,
            "dev": (m.dev_major, m.dev_minor), "flags": m.flags, "path": m.path,
            "kind": lib.c.iodbg_map_kind(ctypes.byref(m)).decode()}


def maps_list(lib, h):
    return [map_dict(lib, lib.c.iodbg_maps_get(h, i).contents)
            for i in range(lib.c.iodbg_maps_count(h))]


class Target:
    def __init__(self, lib, handle):
        self.lib, self.h = lib, handle

    def close(self):
        if self.h:
            self.lib.c.iodbg_close(self.h)
            self.h = None

    def errmsg(self):
        return self.lib.errmsg(self.h)

    def set_path(self, path):
        return self.lib.c.iodbg_set_path(self.h, PATHS.get(path, path))

    def maps(self):
        h = ctypes.c_void_p()
        err = self.lib.c.iodbg_maps_read(self.h, ctypes.byref(h))
        if err:
            return err, None
        try:
            return 0, maps_list(self.lib, h)
        finally:
            self.lib.c.iodbg_maps_free(h)

    def _xfer(self, fn, addr, buf, length, report):
        rep = self.lib.c.iodbg_report_new() if report else None
        try:
            n = fn(self.h, addr, buf, length, rep)
            return n, (read_report(self.lib, rep) if report else None)
        finally:
            if rep:
                self.lib.c.iodbg_report_free(rep)

    def read(self, addr, length, report=False, fill=0xAA):
        """(return value, the whole buffer, report): the buffer starts as @fill bytes so
        that a test can see what the call did not touch."""
        buf = ctypes.create_string_buffer(bytes([fill]) * length, length)
        n, rep = self._xfer(self.lib.c.iodbg_read, addr, buf, length, report)
        return n, buf.raw, rep

    def write(self, addr, data, report=False):
        buf = ctypes.create_string_buffer(bytes(data), len(data))
        return self._xfer(self.lib.c.iodbg_write, addr, buf, len(data), report)

    def probe(self, addrs):
        """(return value, [(path, error) per address]) of iodbg_probe()."""
        n = len(addrs)
        paths, errors = (ctypes.c_int * max(n, 1))(), (ctypes.c_int * max(n, 1))()
        err = self.lib.c.iodbg_probe(self.h, (ctypes.c_uint64 * max(n, 1))(*addrs), n, paths,
                                     errors)
        return err, list(zip(paths[:n], errors[:n]))

    def object_read(self, obj, offset, length, report=False, fill=0xAA):
        """iodbg_object_read(), as read()."""
        buf = ctypes.create_string_buffer(bytes([fill]) * length, length)
        n, rep = self._xfer(lambda h, off, b, ln, r: self.lib.c.iodbg_object_read(
            h, obj, off, b, ln, r), offset, buf, length, report)
        return n, buf.raw, rep

    def object_write(self, obj, offset, data, report=False):
        buf = ctypes.create_string_buffer(bytes(data), len(data))
        return self._xfer(lambda h, off, b, ln, r: self.lib.c.iodbg_object_write(
            h, obj, off, b, ln, r), offset, buf, len(data), report)


def read_report(lib, rep):
    segs = []
    for i in range(lib.c.iodbg_report_count(rep)):
        s = lib.c.iodbg_report_get(rep, i).contents
        attempts = [{"path": a.path, "error": a.error, "skipped": bool(a.flags & ATTEMPT_SKIPPED),
                     "why": a.why.decode()} for a in s.attempts[:s.nattempts]]
        segs.append({"addr": s.addr, "len": s.len, "path": s.path, "error": s.error,
                     "why": s.why.decode(), "attempts": attempts})
    return segs


def pattern(region, offset, length):
    """The bytes the target put at [offset, offset + length) of region number @region:
    byte i holds (37 region + 7 i + (i >> 8)) & 0xff. Built 256 bytes at a time, as the
    pattern is a rotation of one block."""
    base = bytes((7 * j) & 0xFF for j in range(256))
    tables = [bytes((x + c) & 0xFF for x in range(256)) for c in range(256)]
    first, last = offset >> 8, (offset + length + 255) >> 8
    data = b"".join(base.translate(tables[(37 * region + 1793 * k) & 0xFF])
                    for k in range(first, last))
    return data[offset - (first << 8):][:length]


REGIONS = ["two", "guard", "hole", "big", "file"]


class TargetProc:
    """libiodbg/tests/progs/target: prints its regions, then answers 'peek ADDR LEN'."""

    def __init__(self, exe, tmpdir, **popen):
        self.proc = subprocess.Popen([str(exe), str(tmpdir)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, **popen)
        ready = self.proc.stdout.readline()
        m = re.match(r"ready pid=(\d+)", ready)
        if not m:
            self.close()
            raise RuntimeError(f"target did not start: {ready!r}")
        self.pid = int(m[1])
        self.tracee = None
        self.regions = {}
        for line in iter(self.proc.stdout.readline, "end\n"):
            _, name, addr, size = line.split()
            self.regions[name] = (int(addr, 16), int(size))

    def die(self, reap):
        """Kill the target and leave it a zombie, or reaped (reap=True)."""
        self.proc.kill()
        if reap:
            self.proc.wait()
        else:
            os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOWAIT)

    def addr(self, name, offset=0):
        return self.regions[name][0] + offset

    def expect(self, name, offset, length):
        return pattern(REGIONS.index(name), offset, length)

    def peek(self, addr, length):
        """What the target itself sees; a target stopped under our ptrace runs for it."""
        if self.tracee:
            self.tracee.cont()
        self.proc.stdin.write(f"peek {addr:x} {length}\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if self.tracee:
            self.tracee.stop()
        return bytes.fromhex(line.strip())

    def command(self, line):
        """Send a command that answers one line ("ok"), and return that line."""
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def errname(err):
    return errno.errorcode.get(-err, str(err))


libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.restype = ctypes.c_long
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
PTRACE_CONT, PTRACE_DETACH, PTRACE_SEIZE, PTRACE_INTERRUPT = 7, 17, 0x4206, 0x4207
PTRACE_EVENT_STOP = 128


class Tracee:
    """This test process traces the target (PTRACE_SEIZE), stopped or running."""

    def __init__(self, pid):
        self.pid = pid
        if libc.ptrace(PTRACE_SEIZE, pid, None, None):
            raise OSError(ctypes.get_errno(), "PTRACE_SEIZE")

    def stop(self):
        if libc.ptrace(PTRACE_INTERRUPT, self.pid, None, None):
            raise OSError(ctypes.get_errno(), "PTRACE_INTERRUPT")
        _, status = os.waitpid(self.pid, 0x40000000)  # __WALL
        assert os.WIFSTOPPED(status) and status >> 16 == PTRACE_EVENT_STOP, hex(status)

    def cont(self):
        if libc.ptrace(PTRACE_CONT, self.pid, None, None):
            raise OSError(ctypes.get_errno(), "PTRACE_CONT")

    def detach(self):
        libc.ptrace(PTRACE_DETACH, self.pid, None, None)


def run_in_pid_namespace(code, *args):
    """Python @code as pid 1 of a new pid namespace (with its own /proc), where it can make
    the kernel give a pid it chooses (ns_last_pid) without touching this machine's pids."""
    return subprocess.run(
        ["unshare", "--pid", "--fork", "--mount-proc", sys.executable, "-c",
         f"import sys; sys.path.insert(0, {str(_HERE.parent)!r})\n" + code, *map(str, args)],
        env=dict(os.environ, LD_PRELOAD=SANITIZER_PRELOAD), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, timeout=120)


def run_as_nobody(code):
    """Python @code as user nobody, with the library at a path nobody can read."""
    lib_so = os.environ.get("IODBG_LIBIODBG_SO")
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        src = Path(lib_so) if lib_so else O / "lib" / "libiodbg.so.0"
        shutil.copy(src, tmp)
        shutil.copy(_HERE, tmp)
        shutil.copy(GENERATED_API, tmp)
        return subprocess.run(
            [sys.executable, "-c", f"import sys; sys.path.insert(0, {tmp!r})\n" + code,
             os.path.join(tmp, src.name)],
            env=dict(os.environ, LD_PRELOAD=SANITIZER_PRELOAD), user=NOBODY, group=NOBODY,
            extra_groups=[], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, cwd=tmp)
