"""The unprivileged debugger of the permission tests.

The test (as root) starts this program under the debugger's uid and gid, with no
supplementary groups, and keeps it for the whole run, so that a target may name it with
PR_SET_PTRACER and every front end it starts (iodbg, gdb, iodbg-spu-stub) is its descendant,
as the tools a user starts from one shell are. It answers requests, one JSON object a line on
stdin, with one JSON line on stdout:

  {"op": "hello"}                    -> {"pid": PID, "uid": UID, "gid": GID, "groups": [...]}
  {"op": "spawn", "args": [...]}     start perm_target as our own child -> its "ready" info
  {"op": "target", "line": "..."}    a command to that child -> its answer
  {"op": "probe", "target": INFO}    every path and front end on the target -> observations

Each probe starts with PTRACE_ATTACH, from this process and from a child of it (where the front
ends stand), the kernel's own answer the paths are judged against. Beyond that it only
observes: what each path returned, the bytes it gave, the errno, the buffer after a
refusal, a command's exit status and output. test_permissions.py judges those as root, where
it also knows what the target itself sees.
"""
import ctypes
import errno
import fcntl
import json
import os
import re
import select
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.environ["IODBG_OUT"]
sys.path[:0] = [os.path.join(OUT, "build", "python")]

import iodbg_test_uapi as uapi  # noqa: E402

BUILD = os.path.join(OUT, "build")
IODBG = os.path.join(BUILD, "libiodbg", "bin", "iodbg")
STUB = os.path.join(BUILD, "gdbserver-ext", "iodbg-spu-stub")
PERM_TARGET = os.path.join(BUILD, "progs", "perm_target")
GDB_PACKAGE = os.path.join(os.environ["IODBG_PROJECT"], "gdb-python", "iodbg.py")

# What a buffer holds before a call that may fail: whatever is there afterwards and is not
# this was written by the kernel.
FILL = 0xEE
READ_LEN = 32
LS_OFFSET = 0x100        # where in the local store the reads start
GDB_TIMEOUT = 60

libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.restype = ctypes.c_long
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
PTRACE_ATTACH, PTRACE_DETACH = 16, 17
SYS_pidfd_getfd = 438
WALL = 0x40000000


def errno_name(code):
    return errno.errorcode.get(code, str(code))


def ioctl_rw(request, fd, pid, addr, length_or_data, flags=0):
    """IODBG_IOC_RW_ADDR or RW_OBJECT from a buffer filled with FILL (a read) or holding the
    data (a write): {"errno", "done", "buf"} with the buffer as it is afterwards."""
    write = isinstance(length_or_data, bytes)
    if write:
        buf = ctypes.create_string_buffer(length_or_data, len(length_or_data))
    else:
        buf = ctypes.create_string_buffer(bytes([FILL]) * length_or_data, length_or_data)
    args = uapi.iodbg_rw(size=ctypes.sizeof(uapi.iodbg_rw), pid=pid, addr=addr,
                         buf=ctypes.addressof(buf), len=len(buf),
                         flags=flags | (uapi.IODBG_RW_WRITE if write else 0))
    try:
        fcntl.ioctl(fd, request, args)
        err = None
    except OSError as e:
        err = errno_name(e.errno)
    return {"errno": err, "done": args.done, "buf": buf.raw.hex()}


def on_control(fn):
    """fn(fd of /dev/iodbg), or the errno of its open (the device's mode may keep us out)."""
    try:
        fd = os.open("/dev/iodbg", os.O_RDWR)
    except OSError as e:
        return {"errno": errno_name(e.errno), "open": "/dev/iodbg", "buf": None}
    try:
        return fn(fd)
    finally:
        os.close(fd)


def rw_addr(pid, addr, length_or_data, flags=0):
    return on_control(lambda fd: ioctl_rw(uapi.IODBG_IOC_RW_ADDR, fd, pid, addr,
                                          length_or_data, flags))


def _listing(request, args_type, entry_type, pointer_field, pid, room, **fields):
    """One listing ioctl with @room entries of FILL: its errno, count, entries and whether the
    buffer was left untouched."""
    def call(fd):
        entry = ctypes.sizeof(entry_type)
        entries = ctypes.create_string_buffer(bytes([FILL]) * (room * entry), room * entry)
        args = args_type(size=ctypes.sizeof(args_type), pid=pid, count=room, entry_size=entry,
                         **{pointer_field: ctypes.addressof(entries)}, **fields)
        try:
            fcntl.ioctl(fd, request, args)
            err = None
        except OSError as e:
            err = errno_name(e.errno)
        infos = [entry_type.from_buffer_copy(entries.raw, i * entry)
                 for i in range(min(args.count, room))] if err is None else []
        return {"errno": err, "count": args.count, "entries": infos,
                "untouched": entries.raw == bytes([FILL]) * len(entries.raw)}
    return on_control(call)


def list_objects(pid, room=16):
    r = _listing(uapi.IODBG_IOC_LIST_OBJECTS, uapi.iodbg_list_objects, uapi.iodbg_object_info,
                 "objects", pid, room)
    r["ids"] = [i.id for i in r.pop("entries", [])]
    return r


def list_vmas(pid, room=64):
    """IODBG_IOC_LIST_VMAS; "ids": the objects of the device mappings it listed."""
    r = _listing(uapi.IODBG_IOC_LIST_VMAS, uapi.iodbg_list_vmas, uapi.iodbg_vma_info, "vmas",
                 pid, room, match=uapi.IODBG_VMA_FLAGS)
    r["ids"] = [i.object for i in r.pop("entries", []) if i.object]
    return r


def ptrace_attach(pid):
    """Whether the kernel lets us PTRACE_ATTACH: None (it does; detached again) or the errno."""
    if libc.ptrace(PTRACE_ATTACH, pid, None, None) != 0:
        return errno_name(ctypes.get_errno())
    os.waitpid(pid, WALL)
    libc.ptrace(PTRACE_DETACH, pid, None, None)
    return None


def ptrace_attach_from_child(pid):
    """ptrace_attach() from a child of ours, where the front ends we start stand: Yama's
    scope 1 lets a process attach to its own descendants, and a front end is a sibling of
    our child target, never its ancestor."""
    child = os.fork()
    if child == 0:
        err = ptrace_attach(pid)
        os._exit(0 if err is None else getattr(errno, err, 255))
    code = os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])
    return None if code == 0 else errno_name(code)


def getfd_rw_object(pid, fd, offset, length):
    """pidfd_getfd() of the target's object file, then IODBG_IOC_RW_OBJECT on the copy."""
    pidfd = os.pidfd_open(pid)
    try:
        copy = libc.syscall(SYS_pidfd_getfd, pidfd, fd, 0)
        if copy < 0:
            return {"errno": errno_name(ctypes.get_errno()), "step": "pidfd_getfd",
                    "buf": None}
    finally:
        os.close(pidfd)
    try:
        return dict(ioctl_rw(uapi.IODBG_IOC_RW_OBJECT, copy, 0, offset, length), step="rw")
    finally:
        os.close(copy)


def proc_mem(pid, addr, length):
    try:
        fd = os.open(f"/proc/{pid}/mem", os.O_RDONLY)
    except OSError as e:
        return {"errno": errno_name(e.errno), "step": "open", "buf": None}
    try:
        return {"errno": None, "buf": os.pread(fd, length, addr).hex()}
    except OSError as e:
        return {"errno": errno_name(e.errno), "step": "pread", "buf": None}
    finally:
        os.close(fd)


def run(*args, stdin=None):
    res = subprocess.run(args, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         timeout=60)
    return {"rc": res.returncode, "out": res.stdout.decode(errors="replace"),
            "err": res.stderr.decode(errors="replace")}


def rsp_packet(payload):
    return f"${payload}#{sum(payload.encode()) & 0xFF:02x}".encode()


def spu_stub(pid, ls_id, offset, length):
    """iodbg-spu-stub PID CTX, as 'target remote |' runs it, asked one 'm' packet."""
    res = run(STUB, str(pid), str(ls_id), stdin=rsp_packet(f"m{offset:x},{length:x}"))
    replies = re.findall(r"\$([^#]*)#", res["out"])
    res["reply"] = replies[0] if replies else None
    return res


class Gdb:
    """One gdb session for the whole run: the package loaded once, a target attached, probed
    and detached per request. Each command goes through gdb_probe.perm_run, which answers with
    one JSON line; anything else gdb prints is kept as noise (errors printed outside a
    command, a Python traceback)."""

    def __init__(self):
        # gdb gives a remote stub 2 s to answer by default, which iodbg-spu-stub's start can
        # take under TCG on a loaded machine; gdb then reads the late answer as the reply to
        # its next packet and 'spu attach' fails ("Remote replied unexpectedly").
        self.proc = subprocess.Popen(
            ["gdb", "-nx", "-q", "-iex", "set auto-solib-add off", "-iex", "set confirm off",
             "-iex", "set pagination off", "-iex", "set height 0", "-iex", "set width 0",
             "-iex", "set remotetimeout 30",
             "-ex", f"source {GDB_PACKAGE}", "-ex", f"source {os.path.join(HERE, 'gdb_probe.py')}"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.buffer = b""
        self.noise = []

    def _line(self, deadline):
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                raise TimeoutError("gdb did not answer")
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                raise EOFError("gdb exited")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode(errors="replace")

    def command(self, tag, command):
        """Run one gdb command: {"out", "err"}."""
        self.proc.stdin.write(f"python perm_run({tag!r}, {command!r})\n".encode())
        self.proc.stdin.flush()
        deadline = time.monotonic() + GDB_TIMEOUT
        while True:
            line = self._line(deadline)
            m = re.search(r"@@JSON (.*)$", line)
            if m:
                answer = json.loads(m[1])
                if answer["tag"] == tag:
                    return {"out": answer["out"], "err": answer["err"]}
            elif line.strip() and line.strip() != "(gdb)":
                self.noise.append(line)

    def probe(self, t):
        self.noise = []
        pid, ls_id = t["pid"], t["ls"]["id"]
        res = {"attach": self.command("attach", f"attach {pid}")}
        res["info gpu-objects"] = self.command("gpu", "info gpu-objects")
        res["info spu-ls"] = self.command("spu-ls", f"info spu-ls {ls_id} {LS_OFFSET:#x} "
                                          f"{READ_LEN}")
        res["x"] = self.command("x", f"x/{READ_LEN // 8}gx {t['bo']['addr']:#x}")
        spu = self.command("spu attach", f"spu attach {ls_id}")
        m = re.search(r"is inferior (\d+)", spu["out"])
        spu["x"] = self.command("spu x", f"x/{READ_LEN // 8}gx {LS_OFFSET:#x}")
        res["spu attach"] = spu
        if m:       # leave the stub's inferior: detach ends the stub
            self.command("spu detach", "detach")
            self.command("back", "inferior 1")
            self.command("remove", f"remove-inferiors {m[1]}")
        self.command("detach", "detach")
        res["noise"] = self.noise
        return res


class Debugger:
    def __init__(self):
        self.gdb = None
        self.child = None

    def hello(self, req):
        return {"pid": os.getpid(), "uid": os.getuid(), "euid": os.geteuid(),
                "gid": os.getgid(), "groups": os.getgroups()}

    def spawn(self, req):
        self.child = subprocess.Popen([PERM_TARGET, *req["args"]], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, text=True)
        lines = []
        while True:
            line = self.child.stdout.readline()
            if not line:
                return {"error": "perm_target exited", "lines": lines}
            lines.append(line)
            if line.startswith("ready"):
                return {"lines": lines}

    def target(self, req):
        self.child.stdin.write(req["line"] + "\n")
        self.child.stdin.flush()
        return {"answer": self.child.stdout.readline().strip()}

    def probe(self, req):
        t = req["target"]
        pid, bo, ls, scratch = t["pid"], t["bo"], t["ls"], t["scratch"]
        writes = req["writes"]          # path -> [area, offset, hex]
        area_addr = {"bo": bo["addr"], "ls": ls["addr"], "scratch": scratch["addr"]}
        mmio = uapi.IODBG_RW_GENERIC | uapi.IODBG_RW_ALLOW_MMIO
        obs = {"ptrace": ptrace_attach(pid),
               "ptrace from a child": ptrace_attach_from_child(pid)}
        obs["rw_addr"] = {
            "bo": rw_addr(pid, bo["addr"], READ_LEN),
            "ls": rw_addr(pid, ls["addr"] + LS_OFFSET, READ_LEN),
            "scratch": rw_addr(pid, scratch["addr"], READ_LEN)}
        area, off, data = writes["rw_addr write"]
        obs["rw_addr write"] = rw_addr(pid, area_addr[area] + off, bytes.fromhex(data))
        # The MMIO consent keeps the generic fallback's own EPERM (VRAM is MMIO to it) out of
        # the way: an EPERM here is the permission check's.
        obs["generic"] = {"bo": rw_addr(pid, bo["addr"], READ_LEN, mmio),
                          "ls": rw_addr(pid, ls["addr"] + LS_OFFSET, READ_LEN, mmio)}
        obs["list"] = list_objects(pid)
        obs["list vmas"] = list_vmas(pid)
        obs["getfd+rw_object"] = {"bo": getfd_rw_object(pid, bo["fd"], 0, READ_LEN),
                                  "ls": getfd_rw_object(pid, ls["fd"], LS_OFFSET, READ_LEN)}
        obs["proc_mem"] = {"bo": proc_mem(pid, bo["addr"], READ_LEN),
                           "ls": proc_mem(pid, ls["addr"] + LS_OFFSET, READ_LEN)}
        obs["iodbg read"] = {
            "bo": run(IODBG, "read", str(pid), hex(bo["addr"]), str(READ_LEN)),
            "scratch": run(IODBG, "read", str(pid), hex(scratch["addr"]), str(READ_LEN)),
            "ls by object": run(IODBG, "read", f"--object={ls['id']}", str(pid),
                                hex(LS_OFFSET), str(READ_LEN))}
        area, off, data = writes["iodbg write"]
        obs["iodbg write"] = run(IODBG, "write", str(pid), hex(area_addr[area] + off), data)
        obs["iodbg objects"] = run(IODBG, "objects", str(pid))
        obs["iodbg maps"] = run(IODBG, "maps", str(pid))
        if self.gdb is None:
            self.gdb = Gdb()
        obs["gdb"] = self.gdb.probe(t)
        obs["spu-stub"] = spu_stub(pid, ls["id"], LS_OFFSET, READ_LEN)
        return obs


def main():
    debugger = Debugger()
    for line in sys.stdin:
        req = json.loads(line)
        try:
            answer = getattr(debugger, req["op"])(req)
        except Exception as e:      # noqa: BLE001  (the test shows it; we keep serving)
            answer = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
