"""Target processes for the guest tests and the ways a debugger reaches their memory."""
import contextlib
import ctypes
import os
import re
import select
import subprocess
import time

import pytest

import iodbg_test_uapi as uapi

OUT = os.environ.get("IODBG_OUT", "")
PROGS = os.path.join(OUT, "build", "progs")
# IODBG_LIBIODBG_O: another build of libiodbg and the command (an older one, to see a test fail).
LIBIODBG_O = os.environ.get("IODBG_LIBIODBG_O") or os.path.join(OUT, "build", "libiodbg")
IODBG = os.path.join(LIBIODBG_O, "bin", "iodbg")
GDB_PACKAGE = os.path.join(os.environ.get("IODBG_PROJECT", ""), "gdb-python", "iodbg.py")
# The scratch_map pattern: the 64-bit word at byte offset O holds SCRATCH_PATTERN + O.
SCRATCH_PATTERN = 0x10DB000000000000
# The gpu_bo and spu_ctx patterns: the 64-bit word at byte offset O of the object whose iodbg
# id is ID holds PATTERN | ID << 32 | O.
GPU_PATTERN = 0xB000000000000000
SPU_PATTERN = 0x5000000000000000
# A kernel with the series of kernel/patches/ ("-iodbg" in its release: the debug kernel):
# process_vm_readv/writev fall back to access_remote_vm() on VM_IO and VM_PFNMAP mappings, and
# access_remote_vm() (so /proc/PID/mem and ptrace) reads RAM in pfn mappings without ->access.
PATCHED_KERNEL = "-iodbg" in os.uname().release
# Under KASAN and lockdep on TCG (the debug kernel) each program start costs seconds: the
# timeouts of gdb, gdbserver and the iodbg command are this many times longer there.
SLOWDOWN = 4 if os.uname().release.endswith("-debug") else 1


def scratch_pattern(offset, length, base=SCRATCH_PATTERN):
    """The bytes scratch_map writes at [offset, offset + length) of its mapping: the 64-bit
    word at byte offset O holds base + O (with base IODBG_SCRATCH_HUGE_PATTERN, what the test
    module fills its huge mapping with)."""
    first, last = offset // 8, (offset + length + 7) // 8
    words = b"".join((base + 8 * i).to_bytes(8, "little") for i in range(first, last))
    return words[offset - 8 * first:][:length]


def object_pattern(pattern, obj_id, offset, length):
    """The bytes gpu_bo (GPU_PATTERN) or spu_ctx (SPU_PATTERN) writes at [offset, offset +
    length) of object obj_id."""
    first, last = offset // 8, (offset + length + 7) // 8
    words = b"".join((pattern | obj_id << 32 | 8 * i).to_bytes(8, "little")
                     for i in range(first, last))
    return words[offset - 8 * first:][:length]


def key_values(line):
    """'word a=1 b=0x2' -> {'a': 1, 'b': 2}"""
    return dict((k, int(v, 0)) for k, v in re.findall(r"(\w+)=(\S+)", line))


def gpu_pattern(bo_id, offset, length):
    return object_pattern(GPU_PATTERN, bo_id, offset, length)


def spu_pattern(ls_id, offset, length):
    return object_pattern(SPU_PATTERN, ls_id, offset, length)


def iodbg(*args, user=None):
    """Run the iodbg command, as @user if given; returns the CompletedProcess, its output as
    bytes."""
    return subprocess.run([IODBG, *map(str, args)], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=120 * SLOWDOWN, user=user, group=user,
                          extra_groups=[] if user is not None else None)


class Target:
    """A test program from tests/progs that prints 'ready pid=.. addr=.. size=..' and then
    answers commands on stdin."""

    def __init__(self, prog, *args, user=None):
        self.proc = subprocess.Popen([os.path.join(PROGS, prog), *args], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, user=user, group=user,
                                     extra_groups=[] if user is not None else None)
        self.lines = []     # what the program printed before 'ready'
        ready = self.proc.stdout.readline()
        while ready and not ready.startswith("ready"):
            self.lines.append(ready)
            ready = self.proc.stdout.readline()
        m = re.match(r"ready pid=(\d+) addr=(0x[0-9a-f]+) size=(\d+)", ready)
        if not m:
            self.close()
            raise RuntimeError(f"{prog} did not start: {ready!r}")
        self.pid, self.addr, self.size = int(m[1]), int(m[2], 16), int(m[3])

    def command(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def read_own(self, offset, length):
        """The bytes the target itself sees at offset in its mapping."""
        return bytes.fromhex(self.command(f"read {offset} {length}"))

    def close(self):
        self.proc.kill()
        self.proc.wait()


class GpuTarget(Target):
    """tests/progs/gpu_bo: COUNT buffer objects of PAGES pages each, created in PLACEMENT."""

    def __init__(self, count, pages, placement, flags=0, **kw):
        super().__init__("gpu_bo", str(count), str(pages), str(placement), str(flags), **kw)
        self.bos = [key_values(line) for line in self.lines if line.startswith("bo ")]

    def move(self, index, placement):
        assert self.command(f"move {index} {placement}") == "ok"

    def read_bo(self, index, offset, length):
        return bytes.fromhex(self.command(f"read {index} {offset} {length}"))


class SpuTarget(Target):
    """tests/progs/spu_ctx: COUNT SPU contexts, each local store filled with SPU_PATTERN."""

    def __init__(self, count, **kw):
        super().__init__("spu_ctx", str(count), **kw)
        self.ctxs = [key_values(line) for line in self.lines if line.startswith("ctx ")]
        # A buffer of ordinary memory the size of a local store: the word at offset O holds O.
        self.ordinary = next(key_values(line) for line in self.lines
                             if line.startswith("ordinary "))

    def ok(self, line):
        assert self.command(line) == "ok", line

    def own_ls(self, i, offset, length):
        """The bytes context i's local store mapping shows the target itself."""
        return bytes.fromhex(self.command(f"read {i} {offset} {length}"))

    def mem_regs(self, i):
        """Context i's registers as /proc/PID/mem shows them (the kernel's ->access: the saved
        copy while the context is off the SPEs, without waiting)."""
        regs = uapi.spu_sim_regs
        return regs.from_buffer_copy(proc_mem_read(self.pid, self.ctxs[i]["regs"],
                                                   ctypes.sizeof(regs)))


def smaps(pid):
    """Every mapping of @pid as /proc/PID/smaps shows it: [(start, end, set of VmFlags
    words)], in address order; the kernel's own account of which mappings are VM_IO
    ("io"), VM_PFNMAP ("pf"), VM_MIXEDMAP ("mm") or VM_DONTDUMP ("dd")."""
    found = []
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            m = re.match(r"([0-9a-f]+)-([0-9a-f]+) ", line)
            if m:
                found.append([int(m[1], 16), int(m[2], 16), set()])
            elif line.startswith("VmFlags:"):
                found[-1][2] = set(line.split()[1:])
    return [tuple(m) for m in found]


def proc_mem_read(pid, addr, length):
    fd = os.open(f"/proc/{pid}/mem", os.O_RDONLY)
    try:
        return os.pread(fd, length, addr)
    finally:
        os.close(fd)


def proc_mem_write(pid, addr, data):
    fd = os.open(f"/proc/{pid}/mem", os.O_RDWR)
    try:
        return os.pwrite(fd, data, addr)
    finally:
        os.close(fd)


libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.restype = ctypes.c_long
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                      ctypes.c_long]
libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
MAP_FAILED = ctypes.c_void_p(-1).value
MAP_FIXED = 0x10    # <sys/mman.h>; Python's mmap module does not name it


def expect_errno(code, fn, *args, **kw):
    """Call fn, which must raise OSError with errno @code."""
    with pytest.raises(OSError) as err:
        fn(*args, **kw)
    assert err.value.errno == code, err.value
PTRACE_PEEKDATA, PTRACE_POKEDATA, PTRACE_ATTACH, PTRACE_DETACH = 2, 5, 16, 17


class Ptrace:
    """PTRACE_ATTACH for the duration of a with-block."""

    def __init__(self, pid):
        self.pid = pid

    def __enter__(self):
        if libc.ptrace(PTRACE_ATTACH, self.pid, None, None) != 0:
            raise OSError(ctypes.get_errno(), "PTRACE_ATTACH")
        os.waitpid(self.pid, 0)
        return self

    def __exit__(self, *exc):
        libc.ptrace(PTRACE_DETACH, self.pid, None, None)

    def peek(self, addr):
        ctypes.set_errno(0)
        word = libc.ptrace(PTRACE_PEEKDATA, self.pid, addr, None)
        if ctypes.get_errno():
            raise OSError(ctypes.get_errno(), "PTRACE_PEEKDATA")
        return word & 0xFFFFFFFFFFFFFFFF

    def poke(self, addr, word):
        if libc.ptrace(PTRACE_POKEDATA, self.pid, addr, word) != 0:
            raise OSError(ctypes.get_errno(), "PTRACE_POKEDATA")


class IoVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


libc.process_vm_readv.restype = ctypes.c_ssize_t


def process_vm_readv(pid, addr, length):
    buf = ctypes.create_string_buffer(length)
    local, remote = IoVec(ctypes.addressof(buf), length), IoVec(addr, length)
    n = libc.process_vm_readv(pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
    if n < 0:
        raise OSError(ctypes.get_errno(), "process_vm_readv")
    return buf.raw[:n]


def gdb_words(output):
    """The words of gdb's 'x' output lines ('0xADDR:  0xWORD ...'), as integers."""
    lines = re.findall(r"^0x[0-9a-f]+(?: <[^>]*>)?:\s+(.*)$", output, re.M)
    return [int(w, 16) for line in lines for w in line.split()]


def gdb_batch(pid, *commands, iodbg=False, user=None):
    """Run gdb attached to pid (none if pid is None) with the given commands, after loading
    iodbg's GDB package if asked; returns its stdout and stderr together. With the package,
    whatever the commands do, no Python exception may reach the user."""
    args = ["gdb", "-nx", "-batch"]
    if iodbg:
        # The shared libraries' symbols take seconds to load under TCG; no iodbg test needs them.
        args += ["-iex", "set auto-solib-add off"]
        commands = (f"source {GDB_PACKAGE}", *commands)
    args += ["-p", str(pid)] if pid is not None else []
    for c in commands:
        args += ["-ex", c]
    res = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         timeout=120 * SLOWDOWN, user=user, group=user,
                         extra_groups=[] if user is not None else None)
    if iodbg:
        assert_no_python_exception(res.stdout)
    return res.stdout


def assert_no_python_exception(gdb_output):
    """Whatever a command of iodbg's GDB package does, no Python exception reaches the user."""
    assert "Traceback" not in gdb_output and "Python Exception" not in gdb_output, gdb_output


def iodbg_gdb(pid, *commands):
    return gdb_batch(pid, *commands, iodbg=True)


class GdbSession:
    """One gdb reading commands from a pipe, so that its commands and a program's interleave
    in one session (each gdb start costs seconds under TCG): run as @user if given, with
    @args after its own options; with @iodbg, iodbg's GDB package loaded and every batch of
    commands checked for Python exceptions, as gdb_batch() checks."""
    MARK = "@@iodbg-gdb-test@@"

    def __init__(self, *args, user=None, iodbg=False):
        cmd = ["gdb", "-nx", "-q"]
        if iodbg:
            # The shared libraries' symbols take seconds to load under TCG; no iodbg test
            # needs them.
            cmd += ["-iex", "set auto-solib-add off", "-ex", f"source {GDB_PACKAGE}"]
        self.iodbg = iodbg
        self.proc = subprocess.Popen([*cmd, *args], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     user=user, group=user,
                                     extra_groups=[] if user is not None else None)
        self.pending = b""

    def send(self, *commands):
        """Send the commands without waiting for them (gdb may be running the program)."""
        self.proc.stdin.write("".join(c + "\n" for c in commands).encode())
        self.proc.stdin.flush()

    def __call__(self, *commands, timeout=120 * SLOWDOWN):
        """Run the commands; what gdb printed, prompts taken out."""
        mark = self.MARK.encode() + b"\n"
        self.send(*commands, f"echo {self.MARK}\\n")
        deadline = time.monotonic() + timeout
        while mark not in self.pending:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                pytest.fail(f"gdb did not finish {commands}: {self.pending.decode()}")
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                pytest.fail(f"gdb exited during {commands}: {self.pending.decode()}")
            self.pending += chunk
        out, _, self.pending = self.pending.partition(mark)
        out = out.decode().replace("(gdb) ", "")
        if self.iodbg:
            assert_no_python_exception(out)
        return out

    def close(self):
        """Kill whatever program gdb runs, and gdb."""
        try:
            self.proc.communicate(b"kill\nquit\n", timeout=60)
        finally:
            self.proc.kill()
            self.proc.wait()


def gdb_table(out, first_header):
    """The rows under the header line that starts with first_header, split on runs of two
    or more spaces."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(first_header))
    rows = []
    for line in lines[start + 1:]:
        if not line.strip() or line[0] in "([":     # gdb's own lines and our notes
            break
        rows.append(re.split(r"\s{2,}", line.strip()))
    return rows


def gdb_mi(pid, *commands):
    """Run gdb's MI interpreter attached to pid with iodbg's package loaded; returns the
    result records ('^done,...' or '^error,...') of the given MI commands, in order."""
    script = f'-interpreter-exec console "source {GDB_PACKAGE}"\n'
    script += "".join(f"{c}\n" for c in commands) + "-gdb-exit\n"
    res = subprocess.run(["gdb", "-nx", "-q", "--interpreter=mi3", "-p", str(pid)],
                         input=script, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, timeout=120 * SLOWDOWN)
    records = re.findall(r"^\^(?:done|error).*$", res.stdout, re.M)
    # The first record answers the 'source'.
    return records[1:1 + len(commands)]


def module_loaded(name):
    return os.path.exists(f"/sys/module/{name}")


def rmmod(name):
    """Objects of targets that just exited may still be on their way out: try for a while."""
    for _ in range(50):
        if subprocess.run(["rmmod", name], stderr=subprocess.DEVNULL).returncode == 0:
            return
        time.sleep(0.1)
    subprocess.run(["rmmod", name], check=True)


def insmod_missing():
    """Load again, in the runner's order and with its parameters, what a test unloaded."""
    with open(os.path.join(os.environ["IODBG_RUN"], "modules")) as f:
        for line in f:
            path, *params = line.split()
            if not module_loaded(os.path.basename(path)[:-len(".ko")]):
                subprocess.run(["insmod", path, *params], check=True)


@contextlib.contextmanager
def iodbg_unloaded():
    """The iodbg core and the drivers built on it unloaded for the with-block, then loaded
    again."""
    try:
        for holder in os.listdir("/sys/module/iodbg/holders"):
            rmmod(holder)
        rmmod("iodbg")
        yield
    finally:
        insmod_missing()
