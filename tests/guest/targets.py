"""Target processes for the guest tests and the ways a debugger reaches their memory."""
import ctypes
import os
import re
import subprocess

PROGS = os.path.join(os.environ.get("IODBG_OUT", ""), "build", "progs")
# The scratch_map pattern: the 64-bit word at byte offset O holds SCRATCH_PATTERN + O.
SCRATCH_PATTERN = 0x10DB000000000000


def scratch_pattern(offset, length):
    """The bytes scratch_map writes at [offset, offset + length) of its mapping."""
    first, last = offset // 8, (offset + length + 7) // 8
    words = b"".join((SCRATCH_PATTERN + 8 * i).to_bytes(8, "little") for i in range(first, last))
    return words[offset - 8 * first:][:length]


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


def gdb_batch(pid, *commands):
    """Run gdb attached to pid with the given commands; returns its stdout and stderr."""
    args = ["gdb", "-nx", "-batch", "-p", str(pid)]
    for c in commands:
        args += ["-ex", c]
    res = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         timeout=120)
    return res.stdout
