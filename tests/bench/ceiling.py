"""The two sides of a fraction of the ceiling, each timed inside its own process
(tests/bench/README.md says why): a target program's copy of its own mapping (the "time"
command, tests/progs/timecopy.h) and a debugger path's transfer of the same range
(tests/progs/bench_rw.c). Both make one call per chunk, time each call, and give the sum
over the chunks of each one's fastest call over their passes."""
import os
import subprocess

from targets import PROGS

MIB = 1 << 20


def chunk_for(size):
    """The chunk of a transfer of @size bytes: iodbg read's, 1 MiB, or the whole."""
    return min(size, MIB)


def repeat_for(size):
    """Timed passes per call: enough that each chunk has a call nothing interrupted."""
    return max(3, min(64, 4 * MIB // size))


def _seconds(reply, what):
    if not reply.startswith("ns "):
        raise RuntimeError(f"{what}: {reply}")
    return int(reply.split()[1]) / 1e9


def own_time(target, prefix, offset, size, write=False, chunk=None, repeat=None):
    """Seconds of @target's fastest pass copying @size bytes at @offset of its own mapping
    (@prefix: the mapping's index and a space, for the programs with several)."""
    line = (f"time {prefix}{offset} {size} {chunk or chunk_for(size)} "
            f"{repeat or repeat_for(size)} {'write' if write else 'read'}")
    return _seconds(target.command(line), line)


class Debugger:
    """tests/progs/bench_rw serving one target process."""

    def __init__(self, pid):
        self.proc = subprocess.Popen([os.path.join(PROGS, "bench_rw"), str(pid)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def time(self, path, addr, size, write=False, first=None, chunk=None, repeat=None):
        """Seconds of the fastest pass moving @size bytes at @addr through @path (bench_rw's
        PATH); the bytes read are checked against the pattern whose word at offset O holds
        @first + O, when given."""
        line = (f"time {path} {addr:#x} {size} {chunk or chunk_for(size)} "
                f"{repeat or repeat_for(size)} {'write' if write else 'read'}")
        if first is not None:
            line += f" {first:#x}"
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return _seconds(self.proc.stdout.readline().strip(), line)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def once(pid, path, addr, size, prog=os.path.join(PROGS, "bench_rw")):
    """The argv of a bench_rw (@prog) that reads the range once and exits: the least
    command."""
    return [prog, "--once", str(pid), path, hex(addr), str(size), str(chunk_for(size))]
