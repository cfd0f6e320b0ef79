"""Memory a plain user can make the kernel allocate: every allocation of the reference drivers
is charged to the creator's memory cgroup (so the OOM killer finds who holds it) and bounded
by the creating user's RLIMIT_MEMLOCK, as io_uring bounds its rings."""
import os
import resource
import subprocess
import sys

import pytest

NOBODY = 65534
MiB = 1 << 20
CGROOT = "/sys/fs/cgroup"

# Runs as nobody, in the cgroup and with the memlock limit the parent set: makes COUNT objects
# of KIND ("gpu": 4 MiB buffer objects in system memory, "spu": SPU contexts), then prints
# "made N errno E" and waits for its stdin to close, holding them.
MAKER = r"""
import ctypes, fcntl, os, sys
sys.path[:0] = sys.argv[3].split(":")
import iodbg_test_uapi as uapi
kind, count = sys.argv[1], int(sys.argv[2])
held, made, err = [], 0, 0
dev = os.open("/dev/gpu_sim" if kind == "gpu" else "/dev/spu_sim", os.O_RDWR)
for _ in range(count):
    try:
        if kind == "gpu":
            c = uapi.gpu_sim_create(size=ctypes.sizeof(uapi.gpu_sim_create),
                                    placement=uapi.IODBG_PLACEMENT_SYSTEM, bo_size=4 << 20)
            fcntl.ioctl(dev, uapi.GPU_SIM_IOC_CREATE, c)
            held.append(c.fd)
        else:
            c = uapi.spu_sim_create(size=ctypes.sizeof(uapi.spu_sim_create))
            fcntl.ioctl(dev, uapi.SPU_SIM_IOC_CREATE, c)
            held += [c.ls_fd, c.regs_fd]
        made += 1
    except OSError as e:
        err = e.errno
        break
print("made", made, "errno", err, flush=True)
sys.stdin.read()
"""


@pytest.fixture(scope="module")
def cgroup():
    """A memory cgroup of its own under a cgroup2 hierarchy."""
    if not os.path.exists(f"{CGROOT}/cgroup.controllers"):
        subprocess.run(["mount", "-t", "cgroup2", "none", CGROOT], check=True)
    with open(f"{CGROOT}/cgroup.subtree_control", "w") as f:
        f.write("+memory")
    path = f"{CGROOT}/iodbg-accounting"
    os.makedirs(path, exist_ok=True)
    yield path
    os.rmdir(path)


def memory_current(cgroup):
    with open(f"{cgroup}/memory.current") as f:
        return int(f.read())


class Maker:
    """The MAKER program as user nobody, in @cgroup, with RLIMIT_MEMLOCK @memlock."""

    def __init__(self, kind, count, memlock, cgroup):
        def become_nobody():
            with open(f"{cgroup}/cgroup.procs", "w") as f:
                f.write(str(os.getpid()))
            resource.setrlimit(resource.RLIMIT_MEMLOCK, (memlock, memlock))
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)

        self.proc = subprocess.Popen([sys.executable, "-c", MAKER, kind, str(count),
                                      ":".join(sys.path)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, preexec_fn=become_nobody)
        words = self.proc.stdout.readline().split()
        assert words[:1] == ["made"], words
        self.made, self.errno = int(words[1]), int(words[3])

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


# What each object holds: a buffer object's pages; a context's saved local store and registers.
SPU_CTX = (256 << 10) + 4096


@pytest.mark.parametrize("kind,count,size", [("gpu", 8, 4 * MiB), ("spu", 16, SPU_CTX)])
def test_objects_are_charged_to_the_creators_memory_cgroup(cgroup, kind, count, size):
    before = memory_current(cgroup)
    maker = Maker(kind, count, 1 << 30, cgroup)
    try:
        assert (maker.made, maker.errno) == (count, 0)
        charged = memory_current(cgroup) - before
        assert charged >= count * size, f"{charged} bytes charged for {count * size}"
    finally:
        maker.close()
    assert memory_current(cgroup) - before < count * size   # and uncharged when freed


@pytest.mark.parametrize("kind,size", [("gpu", 4 * MiB), ("spu", SPU_CTX)])
def test_a_plain_user_holds_no_more_than_its_memlock_limit(cgroup, kind, size):
    limit = 16 * MiB
    maker = Maker(kind, 1000, limit, cgroup)
    try:
        assert maker.errno == 12                            # ENOMEM
        assert maker.made * size <= limit < (maker.made + 1) * size
        # The limit counts what the user holds: another process of the same user gets none.
        other = Maker(kind, 1, limit, cgroup)
        try:
            assert (other.made, other.errno) == (0, 12)
        finally:
            other.close()
    finally:
        maker.close()
    again = Maker(kind, 1, limit, cgroup)                   # freed: counted no more
    try:
        assert (again.made, again.errno) == (1, 0)
    finally:
        again.close()
