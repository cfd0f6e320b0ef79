"""The process's own [vvar]: a VM_PFNMAP mapping of kernel RAM (the vDSO's data page) without
->access, which the kernel's special mapping gives every process. The series makes it as
readable to a debugger as any page; a stock kernel refuses it."""
import pytest

from series import (NO_PVM_FALLBACK, NO_RAM_PATH, PAGE, CannotAccess, RefusedEFAULT,
                    RefusedEIO, WrongBytes, hexdump_diff, remote_rw, stock_xfail)

# The page changes at each timer tick (the clock's base values and sequence count).
SNAPSHOTS = 2


def gdb_x(gdb, target):
    with gdb.attached(target.pid):
        return gdb.x(target.vvar, PAGE // 8)


READS = {
    "gdb-x": (gdb_x, stock_xfail(NO_RAM_PATH, CannotAccess)),
    "proc-mem": (lambda gdb, target: remote_rw("mem", "read", target.pid, target.vvar, PAGE),
                 stock_xfail(NO_RAM_PATH, RefusedEIO)),
    "process_vm_readv": (lambda gdb, target: remote_rw("vm", "read", target.pid, target.vvar,
                                                       PAGE),
                         stock_xfail(NO_PVM_FALLBACK, RefusedEFAULT)),
}


@pytest.mark.parametrize("tool", [pytest.param(name, marks=mark)
                                  for name, (_, mark) in READS.items()])
def test_vvar_reads_as_the_process_sees_it(gdb, target, tool):
    """The first page of [vvar], read by the debugger between snapshots the process takes of
    it: every byte that no snapshot saw change is the process's."""
    snaps = [target.own_vvar(0, PAGE) for _ in range(SNAPSHOTS)]
    got = READS[tool][0](gdb, target)
    snaps += [target.own_vvar(0, PAGE) for _ in range(SNAPSHOTS)]
    stable = {i for i in range(PAGE) if len({s[i] for s in snaps}) == 1}
    # Most of the page is zeros (and the clock's fields that do not change, its mask, mult,
    # shift and mode): a read that gave zeros must not pass for a right one.
    nonzero = sum(1 for i in stable if snaps[0][i])
    assert nonzero >= 4, f"[vvar] holds {nonzero} steady bytes that are not 0: too few to " \
        "judge a read by"
    if len(got) != PAGE:
        raise WrongBytes(f"{tool}: {len(got)} bytes of [vvar], {PAGE} asked for")
    bad = [i for i in stable if got[i] != snaps[0][i]]
    if bad:
        steady_got = bytes(got[i] if i in stable else 0 for i in range(PAGE))
        steady_want = bytes(snaps[0][i] if i in stable else 0 for i in range(PAGE))
        raise WrongBytes(f"{tool}: {len(bad)} steady bytes of [vvar] differ from what the "
                         f"process sees (bytes that changed are shown as 00)\n"
                         + hexdump_diff(0, steady_got, steady_want))
