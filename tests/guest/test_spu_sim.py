"""spu_sim contexts: a local store and a register page each, time-sliced on and off fewer SPEs
than there are contexts, read and written by debuggers wherever they are now."""
import ctypes
import errno
import fcntl
import mmap
import os
import random
import select
import signal
import subprocess
import time

import pytest

import iodbg_test_uapi as uapi
from iodbg_ioctl import list_objects, pidfd_getfd, rw_addr, rw_object
import targets
from targets import SPU_PATTERN, Ptrace, proc_mem_read, proc_mem_write, spu_pattern

PAGE = mmap.PAGESIZE
LS_SIZE = uapi.SPU_SIM_LS_SIZE
COUNTER, MBOX_SUM = uapi.SPU_SIM_LS_COUNTER, uapi.SPU_SIM_LS_MBOX_SUM
DEVICE, SAVED = uapi.IODBG_PLACEMENT_DEVICE, uapi.IODBG_PLACEMENT_SAVED
RUNNING, STOPPED = uapi.SPU_SIM_STATUS_RUNNING, uapi.SPU_SIM_STATUS_STOPPED
REGS_SIZE = ctypes.sizeof(uapi.spu_sim_regs)
PARAMS = "/sys/module/spu_sim/parameters"


def regs_field(name):
    return getattr(uapi.spu_sim_regs, name).offset


def nr_spes():
    with open(f"{PARAMS}/nr_spes") as f:
        return int(f.read())


def wait_for(condition, timeout=5.0, what="condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.01)


class SpuTarget(targets.SpuTarget):
    def mem_ls(self, i, offset, length):
        return proc_mem_read(self.pid, self.ctxs[i]["ls"] + offset, length)

    def counter(self, i):
        return int.from_bytes(self.mem_ls(i, COUNTER, 8), "little")

    def placements(self, i):
        """(placement, unit) of context i's local store and of its registers."""
        listed = {o.id: (o.placement, o.unit) for o in list_objects(self.pid)}
        return listed[self.ctxs[i]["ls_id"]], listed[self.ctxs[i]["regs_id"]]

    def running(self, i):
        ls, regs = self.placements(i)
        return ls[0] == DEVICE and regs[0] == DEVICE

    def readline_within(self, timeout):
        """The next line the target prints within timeout seconds, or None."""
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        return self.proc.stdout.readline().strip() if ready else None

    def total_loads(self):
        return sum(self.mem_regs(i).loads for i in range(len(self.ctxs)))


@pytest.fixture(autouse=True)
def spu_sim_loaded():
    if not os.path.exists(f"/dev/{uapi.SPU_SIM_DEVICE_NAME}"):
        pytest.fail("spu_sim is not loaded: scripts/vm-run -m iodbg -m gpu_sim -m spu_sim ...")


@pytest.fixture
def spu():
    started = []

    def start(count, **kw):
        started.append(SpuTarget(count, **kw))
        return started[-1]
    yield start
    for t in started:
        t.close()


@pytest.fixture
def slice_ms():
    """Set spu_sim's time slice for one test."""
    path = f"{PARAMS}/slice_ms"
    with open(path) as f:
        saved = f.read().strip()

    def set_slice(ms):
        with open(path, "w") as f:
            f.write(str(ms))
    yield set_slice
    set_slice(saved)


def test_a_context_is_a_paired_local_store_and_register_page(spu):
    t = spu(1)
    ctx = t.ctxs[0]
    wait_for(lambda: t.running(0), what="the context to run")
    ls, regs = sorted(list_objects(t.pid), key=lambda o: o.kind)
    assert (ls.id, ls.kind, ls.size, ls.flags, ls.owner, ls.start, ls.length) == \
        (ctx["ls_id"], uapi.IODBG_KIND_SPU_LS, LS_SIZE, 0, ctx["regs_id"], ctx["ls"], LS_SIZE)
    assert (regs.id, regs.kind, regs.size, regs.flags, regs.owner, regs.start) == \
        (ctx["regs_id"], uapi.IODBG_KIND_SPU_REGS, PAGE, uapi.IODBG_OBJECT_REGISTERS,
         ctx["ls_id"], ctx["regs"])
    assert ls.unit == regs.unit and 0 <= ls.unit < nr_spes()
    r = t.mem_regs(0)
    assert r.size == REGS_SIZE and r.status == RUNNING and r.loads >= 1


def test_placement_follows_the_scheduler(spu):
    """More contexts than SPEs: each one is seen on an SPE and saved, never two on one SPE."""
    n = nr_spes() + 1
    t = spu(n)
    ids = [c["ls_id"] for c in t.ctxs]
    seen = {i: set() for i in ids}
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not all(len(s) == 2 for s in seen.values()):
        listed = [o for o in list_objects(t.pid) if o.kind == uapi.IODBG_KIND_SPU_LS]
        units = [o.unit for o in listed if o.placement == DEVICE]
        assert len(units) == len(set(units)) <= nr_spes()
        assert all(0 <= u < nr_spes() for u in units)
        assert all(o.unit == -1 for o in listed if o.placement == SAVED)
        for o in listed:
            seen[o.id].add(o.placement)
        time.sleep(0.005)
    assert all(s == {DEVICE, SAVED} for s in seen.values()), seen

    t.ok("stop 0")
    assert t.placements(0) == ((SAVED, -1), (SAVED, -1))
    time.sleep(0.1)
    assert t.placements(0) == ((SAVED, -1), (SAVED, -1))
    t.ok("start 0")
    wait_for(lambda: t.running(0), what="context 0 to run again")


def page_tables_read(t, i, offset, length):
    """Context i's local store bytes as the generic fallback reads them, by the target's page
    tables (so it sees what a stale PTE maps). The fallback never faults a page in: the target
    touches the pages first, and again when a context switch zapped them before the read."""
    for _ in range(100):
        t.own_ls(i, offset, length)
        try:
            return rw_addr(t.pid, t.ctxs[i]["ls"] + offset, length, uapi.IODBG_RW_GENERIC)[0]
        except OSError as e:
            if e.errno != errno.ENOENT:
                raise
    raise AssertionError("the pages were zapped before every one of 100 reads")


def read_views(t, i, offset, length):
    """Context i's local store bytes as each reader sees them: the target through its own
    mapping, /proc/PID/mem, the ioctl, and the generic fallback."""
    addr = t.ctxs[i]["ls"] + offset
    return {"own mapping": t.own_ls(i, offset, length),
            "/proc/PID/mem": proc_mem_read(t.pid, addr, length),
            "ioctl": rw_addr(t.pid, addr, length)[0],
            "page tables": page_tables_read(t, i, offset, length)}


def test_local_store_reads_never_show_another_context(spu):
    """The seed's bug: once another context took the SPE a context ran on, a reader of the
    first context's local store must still see the first context, never the newcomer."""
    n = nr_spes() + 1
    t = spu(n)
    for i in range(1, n):
        t.ok(f"stop {i}")
    wait_for(lambda: t.running(0), what="context 0 to run alone")
    offsets = (0, 5 * PAGE + 8, COUNTER - 64)
    for offset in offsets:      # the target maps these pages of the SPE's local store
        assert t.own_ls(0, offset, 64) == spu_pattern(t.ctxs[0]["ls_id"], offset, 64)
    spe = t.placements(0)[0][1]

    t.ok("stop 0")
    for i in range(1, n):       # every SPE, context 0's too, now holds another context
        t.ok(f"start {i}")
    wait_for(lambda: all(t.running(i) for i in range(1, n)), what="the others to run")
    assert spe in [t.placements(i)[0][1] for i in range(1, n)]
    for offset in offsets:
        for view, data in read_views(t, 0, offset, 64).items():
            assert data == spu_pattern(t.ctxs[0]["ls_id"], offset, 64), view
    with Ptrace(t.pid) as p:
        assert p.peek(t.ctxs[0]["ls"] + 8) == SPU_PATTERN | t.ctxs[0]["ls_id"] << 32 | 8

    # And back: context 0 returns to an SPE; a debugger's write lands where it lives now.
    t.ok("start 0")
    t.ok("stop 1")
    wait_for(lambda: t.running(0), what="context 0 to run again")
    assert rw_addr(t.pid, t.ctxs[0]["ls"] + 5 * PAGE + 8, b"on an SPE again") == 15
    for view, data in read_views(t, 0, 5 * PAGE + 8, 15).items():
        assert data == b"on an SPE again", view


def test_reads_race_context_switches(spu):
    """Reads of every context through every path while the scheduler and the target switch
    contexts as fast as they can: each reader always sees the context it asked for."""
    n = nr_spes() + 1
    t = spu(n)
    loads = t.total_loads()
    rng = random.Random(3)
    rounds = 0
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        t.ok(f"yield {rounds % n}")
        for i, ctx in enumerate(t.ctxs):
            offset = rng.choice((0, 8 * PAGE + 16, 8 * rng.randrange(0, COUNTER // 8 - 8)))
            for view, data in read_views(t, i, offset, 64).items():
                assert data == spu_pattern(ctx["ls_id"], offset, 64), (view, i, offset)
            assert t.mem_ls(i, 0, COUNTER) == spu_pattern(ctx["ls_id"], 0, COUNTER)
        if rounds % 8 == 0:
            with Ptrace(t.pid) as p:
                for ctx in t.ctxs:
                    offset = 8 * rng.randrange(0, COUNTER // 8)
                    assert p.peek(ctx["ls"] + offset) == \
                        SPU_PATTERN | ctx["ls_id"] << 32 | offset
        rounds += 1
    # The reads raced real switches.
    assert t.total_loads() - loads >= 3 * n, (loads, t.total_loads())


def test_debugger_writes_persist_across_switches(spu):
    n = nr_spes() + 1
    t = spu(n)
    ctx = t.ctxs[0]
    ls, regs = ctx["ls"], ctx["regs"]
    signal1, signal2 = regs_field("signal1"), regs_field("signal2")

    t.ok("stop 0")          # saved: the writes go to the backing store
    assert proc_mem_write(t.pid, ls + PAGE - 5, b"saved, /proc/PID/mem") == 20
    assert rw_addr(t.pid, ls + 3 * PAGE + 1, b"saved, ioctl") == 12
    assert proc_mem_write(t.pid, regs + signal1, (0x51).to_bytes(4, "little")) == 4
    t.ok("start 0")
    wait_for(lambda: t.running(0), what="context 0 to run")
    # Probably on an SPE: the writes go to the SPE or, if it just left, the backing store.
    assert proc_mem_write(t.pid, ls + 7 * PAGE - 3, b"running, /proc/PID/mem") == 22
    assert rw_addr(t.pid, ls + 9 * PAGE, b"running, ioctl") == 14
    assert rw_addr(t.pid, regs + signal2, (0x52).to_bytes(4, "little")) == 4
    with Ptrace(t.pid) as p:
        p.poke(ls + 11 * PAGE, 0x0123456789ABCDEF)

    loads = t.mem_regs(0).loads
    for _ in range(15):
        for i in range(n):
            t.ok(f"yield {i}")
    assert t.mem_regs(0).loads - loads >= 5

    expected = {PAGE - 5: b"saved, /proc/PID/mem", 3 * PAGE + 1: b"saved, ioctl",
                7 * PAGE - 3: b"running, /proc/PID/mem", 9 * PAGE: b"running, ioctl",
                11 * PAGE: (0x0123456789ABCDEF).to_bytes(8, "little")}
    for offset, data in expected.items():
        assert t.mem_ls(0, offset, len(data)) == data
        assert rw_addr(t.pid, ls + offset, len(data))[0] == data
        assert t.own_ls(0, offset, len(data)) == data
    assert t.mem_ls(0, 0, PAGE - 5) == spu_pattern(ctx["ls_id"], 0, PAGE - 5)
    assert t.mem_ls(0, 12 * PAGE, 4 * PAGE) == spu_pattern(ctx["ls_id"], 12 * PAGE, 4 * PAGE)
    r = t.mem_regs(0)
    assert (r.signal1, r.signal2) == (0x51, 0x52)


def test_the_program_works_only_while_on_an_spe(spu):
    t = spu(1)
    wait_for(lambda: t.running(0), what="the context to run")
    before, regs_before = t.counter(0), t.mem_regs(0)
    wait_for(lambda: t.counter(0) >= before + 5, what="the counter to advance")
    regs_after = t.mem_regs(0)
    assert regs_after.run_ticks > regs_before.run_ticks
    assert regs_after.npc != regs_before.npc

    t.ok("stop 0")
    stopped, regs = t.counter(0), t.mem_regs(0)
    assert regs.status == STOPPED
    # The saved state is one consistent snapshot of the program.
    assert regs.run_ticks == stopped and regs.npc == (4 * stopped) % LS_SIZE
    time.sleep(0.3)
    assert t.counter(0) == stopped and bytes(t.mem_regs(0)) == bytes(regs)
    t.ok("start 0")
    wait_for(lambda: t.counter(0) > stopped, what="the counter to advance again")


def test_slice_ms_sets_the_time_slice(spu, slice_ms):
    n = nr_spes() + 1
    slice_ms(60000)
    t = spu(n)
    wait_for(lambda: sum(t.running(i) for i in range(n)) == nr_spes(), what="full SPEs")
    switches = [t.mem_regs(i).invol_switches for i in range(n)]
    time.sleep(0.5)
    assert [t.mem_regs(i).invol_switches for i in range(n)] == switches
    slice_ms(5)
    wait_for(lambda: sum(t.mem_regs(i).invol_switches for i in range(n)) >= sum(switches) + 10,
             what="the scheduler to switch contexts")


def test_mailbox_reads_have_no_side_effects(spu):
    t = spu(1)
    depth = uapi.SPU_SIM_OUT_MBOX_DEPTH
    wait_for(lambda: t.mem_regs(0).out_mbox_count == depth, what="a full outbound mailbox")
    t.ok("stop 0")
    r = t.mem_regs(0)
    regs = t.ctxs[0]["regs"]
    fd = pidfd_getfd(t.pid, t.ctxs[0]["regs_fd"])
    try:
        for _ in range(3):
            assert proc_mem_read(t.pid, regs, PAGE)[:REGS_SIZE] == bytes(r)
            assert rw_addr(t.pid, regs, REGS_SIZE)[0] == bytes(r)
            assert rw_object(fd, 0, REGS_SIZE)[0] == bytes(r)
    finally:
        os.close(fd)
    # The program posts its counter each step, until the mailbox is full.
    assert [r.out_mbox[(r.out_mbox_head + k) % depth] for k in range(depth)] == [1, 2, 3, 4]
    # The read that has side effects, as on a real SPU: the ioctl takes the oldest entry.
    assert t.command("mbox 0") == f"mbox 1 {depth - 1}"
    assert t.mem_regs(0).out_mbox_count == depth - 1
    assert [t.command("mbox 0") for _ in range(depth)] == \
        ["mbox 2 2", "mbox 3 1", "mbox 4 0", f"error {errno.EAGAIN}"]
    t.ok("start 0")
    wait_for(lambda: t.mem_regs(0).out_mbox_count == depth, what="new mailbox entries")
    t.ok("stop 0")
    values = [int(t.command("mbox 0").split()[1]) for _ in range(depth)]
    assert values[0] > 4 and values == list(range(values[0], values[0] + depth))


def test_the_program_takes_inbound_mailbox_entries(spu):
    t = spu(1)
    t.ok("stop 0")
    assert [t.command(f"wbox 0 {v}") for v in (5, 7, 11, 13, 17)] == \
        ["ok 1", "ok 2", "ok 3", "ok 4", f"error {errno.EAGAIN}"]
    r = t.mem_regs(0)
    assert r.in_mbox_count == 4
    assert [r.in_mbox[(r.in_mbox_head + k) % 4] for k in range(4)] == [5, 7, 11, 13]
    sum_before = int.from_bytes(t.mem_ls(0, MBOX_SUM, 8), "little")
    t.ok("start 0")
    wait_for(lambda: t.mem_regs(0).in_mbox_count == 0, what="the program to take the entries")
    assert int.from_bytes(t.mem_ls(0, MBOX_SUM, 8), "little") == sum_before + 36


def waits_in_a_fault(pid):
    """Whether the process sleeps interruptibly outside any system call: in a page fault."""
    with open(f"/proc/{pid}/syscall") as f:
        in_syscall = f.read().split()[0] != "-1"
    with open(f"/proc/{pid}/stat") as f:
        state = f.read().rsplit(")", 1)[1].split()[0]
    return state == "S" and not in_syscall


def start_register_touch(t):
    """Make the target touch context 0's registers while the context is stopped: it must wait
    in the fault, interruptibly, and print nothing."""
    t.ok("stop 0")
    t.proc.stdin.write("regs 0 0 8\n")
    t.proc.stdin.flush()
    wait_for(lambda: waits_in_a_fault(t.pid), what="the target to wait in the register fault")
    assert t.readline_within(0.2) is None


def test_a_task_waiting_for_registers_runs_its_signal_handler(spu):
    t = spu(1)
    start_register_touch(t)
    # A debugger reads the registers of the stopped context at once, from the saved state.
    began = time.monotonic()
    r = t.mem_regs(0)
    assert time.monotonic() - began < 0.5
    assert (r.size, r.status) == (REGS_SIZE, STOPPED)

    os.kill(t.pid, signal.SIGUSR1)
    assert t.readline_within(5) == "sigusr1"
    # The handler returned to the touch, which waits again.
    wait_for(lambda: waits_in_a_fault(t.pid), what="the target to wait again")
    assert t.readline_within(0.2) is None
    fd = pidfd_getfd(t.pid, t.ctxs[0]["ls_fd"])
    try:
        fcntl.ioctl(fd, uapi.SPU_SIM_IOC_START, 0)
    finally:
        os.close(fd)
    line = t.readline_within(5)
    assert line == (REGS_SIZE.to_bytes(4, "little") + RUNNING.to_bytes(4, "little")).hex()


def test_sigkill_ends_a_task_waiting_for_registers(spu):
    t = spu(1)
    start_register_touch(t)
    began = time.monotonic()
    t.proc.kill()
    t.proc.wait(timeout=5)
    assert time.monotonic() - began < 1


def module_refs():
    with open("/sys/module/spu_sim/refcnt") as f:
        return int(f.read())


def test_a_context_lives_until_its_files_and_mappings_are_gone(spu):
    base = module_refs()
    t = spu(2)
    assert module_refs() == base + 4            # each object pins the driver
    t.ok("close 0")                             # the mappings keep the context
    assert module_refs() == base + 4
    counter = t.counter(0)
    wait_for(lambda: t.counter(0) > counter, what="context 0 to keep running")
    t.ok("unmap 0")
    assert module_refs() == base + 2
    assert {o.id for o in list_objects(t.pid)} == {t.ctxs[1]["ls_id"], t.ctxs[1]["regs_id"]}
    assert t.command("quit") == ""
    t.proc.wait(timeout=5)
    assert module_refs() == base


def test_unloading_spu_sim_is_refused_while_contexts_exist(spu):
    t = spu(1)
    res = subprocess.run(["rmmod", "spu_sim"], stderr=subprocess.PIPE, text=True)
    assert res.returncode != 0 and "in use" in res.stderr
    counter = t.counter(0)
    wait_for(lambda: t.counter(0) > counter, what="the context to keep running")


def create(**fields):
    args = uapi.spu_sim_create(size=ctypes.sizeof(uapi.spu_sim_create))
    for name, value in fields.items():
        if name == "reserved":
            args.reserved[1] = value
        else:
            setattr(args, name, value)
    fd = os.open(f"/dev/{uapi.SPU_SIM_DEVICE_NAME}", os.O_RDWR)
    try:
        fcntl.ioctl(fd, uapi.SPU_SIM_IOC_CREATE, args)
    finally:
        os.close(fd)
    return args


@pytest.mark.parametrize("bad", [
    dict(size=8), dict(size=PAGE + 8), dict(flags=1), dict(ls_fd=3), dict(regs_fd=4),
    dict(ctx_id=1), dict(ls_id=1), dict(regs_id=1), dict(reserved=1)])
def test_create_rejects_bad_arguments(bad):
    with pytest.raises(OSError) as err:
        create(**bad)
    assert err.value.errno == errno.EINVAL


@pytest.fixture
def own_ctx():
    """A context of the test process itself: its (local store, registers) descriptors."""
    args = create()
    yield args.ls_fd, args.regs_fd
    os.close(args.ls_fd)
    os.close(args.regs_fd)


def mbox_args(**fields):
    args = uapi.spu_sim_mbox(size=ctypes.sizeof(uapi.spu_sim_mbox))
    for name, value in fields.items():
        if name == "reserved":
            args.reserved[0] = value
        else:
            setattr(args, name, value)
    return args


@pytest.mark.parametrize("request_, arg", [
    (uapi.SPU_SIM_IOC_YIELD, 1), (uapi.SPU_SIM_IOC_STOP, 1), (uapi.SPU_SIM_IOC_START, 1),
    (uapi.SPU_SIM_IOC_MBOX_READ, mbox_args(size=8)),
    (uapi.SPU_SIM_IOC_MBOX_READ, mbox_args(flags=1)),
    (uapi.SPU_SIM_IOC_MBOX_READ, mbox_args(data=1)),
    (uapi.SPU_SIM_IOC_MBOX_READ, mbox_args(count=1)),
    (uapi.SPU_SIM_IOC_MBOX_WRITE, mbox_args(reserved=1))])
def test_context_ioctls_reject_bad_arguments(own_ctx, request_, arg):
    for fd in own_ctx:
        with pytest.raises(OSError) as err:
            fcntl.ioctl(fd, request_, arg)
        assert err.value.errno == errno.EINVAL


def test_context_files_refuse_other_ioctls(own_ctx):
    for fd in own_ctx:
        for request_ in (uapi.SPU_SIM_IOC_CREATE, uapi.GPU_SIM_IOC_MOVE):
            with pytest.raises(OSError) as err:
                fcntl.ioctl(fd, request_, bytes(64))
            assert err.value.errno == errno.ENOTTY
    # The context files work, in the test's own process too.
    for fd in own_ctx:
        for request_ in (uapi.SPU_SIM_IOC_STOP, uapi.SPU_SIM_IOC_YIELD, uapi.SPU_SIM_IOC_START):
            fcntl.ioctl(fd, request_, 0)


@pytest.mark.parametrize("value", ["0", "4", "60001", "-1", "x"])
def test_slice_ms_rejects_bad_values(slice_ms, value):
    with pytest.raises(OSError) as err:
        slice_ms(value)
    assert err.value.errno == errno.EINVAL


def test_generic_fallback_never_waits_for_a_stopped_context(spu):
    """The page-table fallback never faults pages in for the target (for registers of a
    context that is off its SPE that fault would wait for the context to run): it says at
    once that the page is not present (ENOENT)."""
    t = spu(1)
    t.ok("stop 0")
    regs = t.ctxs[0]["regs"]
    began = time.monotonic()
    with pytest.raises(OSError) as err:
        rw_addr(t.pid, regs, 8, uapi.IODBG_RW_GENERIC | uapi.IODBG_RW_ALLOW_MMIO)
    assert err.value.errno == errno.ENOENT
    assert time.monotonic() - began < 1
    # The object path reads the saved registers, as ptrace does.
    assert rw_addr(t.pid, regs, 8)[0] == (REGS_SIZE.to_bytes(4, "little") +
                                          STOPPED.to_bytes(4, "little"))
