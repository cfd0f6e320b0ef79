"""The VM runner's boot-retry rule, on serial logs shaped like real ones.

Only a fault before guest-init starts loading the project's modules may be retried; a fault
after that line is the project's and must fail the run (tests/harness proves the latter end
to end in a real guest).
"""
import importlib.machinery
import importlib.util
from pathlib import Path

import pytest

VM_RUN = Path(__file__).resolve().parents[2] / "scripts" / "vm-run"


@pytest.fixture(scope="module")
def vm_run():
    loader = importlib.machinery.SourceFileLoader("vm_run", str(VM_RUN))
    spec = importlib.util.spec_from_loader("vm_run", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


BOOT = "[    1.901234] Freeing unused kernel image (initmem) memory: 3000K\n"
OOPS = ("[    2.118000] Oops: int3: 0000 [#1] PREEMPT SMP NOPTI\n"
        "[    2.118100] RIP: 0010:sched_clock_cpu+0x9/0x1f0\n"
        "[    2.120000] Kernel panic - not syncing: Fatal exception in interrupt\n")


@pytest.fixture
def serial(tmp_path):
    def write(text):
        path = tmp_path / "serial.log"
        path.write_text(text)
        return path
    return write


def test_fault_while_booting_is_retried(vm_run, serial):
    assert vm_run.fault_before_project_code(serial(BOOT + OOPS))


def test_fault_after_the_modules_line_is_not_retried(vm_run, serial):
    log = serial(BOOT + vm_run.MODULES_MARKER + "\n" + OOPS)
    assert not vm_run.fault_before_project_code(log)
    assert "Oops: int3" in vm_run.fault_report(log)


def test_guest_init_failure_is_not_retried(vm_run, serial):
    log = serial(BOOT + "iodbg-guest: error: cannot mount the host's root\n")
    assert not vm_run.fault_before_project_code(log)
    assert "cannot mount" in vm_run.fault_report(log)


def test_clean_boot_is_not_retried(vm_run, serial, tmp_path):
    assert not vm_run.fault_before_project_code(serial(BOOT + vm_run.MODULES_MARKER + "\n"))
    assert not vm_run.fault_before_project_code(tmp_path / "missing.log")


def test_guest_init_prints_the_line_vm_run_looks_for(vm_run):
    guest_init = (VM_RUN.parent / "guest-init").read_text()
    assert f'echo "{vm_run.MODULES_MARKER}"' in guest_init
    assert guest_init.index(vm_run.MODULES_MARKER) < guest_init.index('insmod "$root$mod"')


# The first line of each report of the debug kernel's checkers, as 6.12 prints them: KASAN,
# KFENCE, sleeping in atomic context, BUG_ON/VM_BUG_ON, DEBUG_VM's page dump, DEBUG_LIST, and
# every header of kernel/locking/lockdep.c. None of lockdep's panics the guest.
DEBUG_REPORTS = [
    "BUG: KASAN: slab-use-after-free in harness_fault_init+0x1b2/0x1000 [iodbg_harness_fault]",
    "BUG: KFENCE: out-of-bounds read in test_out_of_bounds_read+0x9f/0x230",
    "BUG: sleeping function called from invalid context at kernel/locking/mutex.c:585",
    "BUG: scheduling while atomic: insmod/57/0x00000002",
    "[ BUG: Invalid wait context ]",
    "kernel BUG at include/linux/mm.h:1444!",
    "page dumped because: VM_BUG_ON_FOLIO(((unsigned int) folio_ref_count(folio) + 127u <= 127u))",
    "list_add double add: new=ffffffffa0002fc0, prev=ffffffffa0002020, next=ffffffffa0002fc0.",
    "list_add corruption. prev->next should be next (ffff8880), but was 0000000000000000. "
    "(prev=ffff8880).",
    "list_del corruption, ffff888005e1b580->next is LIST_POISON1 (dead000000000100)",
    "INFO: trying to register non-static key.",
    "WARNING: possible circular locking dependency detected",
    "WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected",
    "WARNING: possible recursive locking detected",
    "WARNING: chain_key collision",
    "WARNING: inconsistent lock state",
    "WARNING: possible irq lock inversion dependency detected",
    "WARNING: Nested lock was not taken",
    "WARNING: bad unlock balance detected!",
    "WARNING: bad contention detected!",
    "WARNING: held lock freed!",
    "WARNING: insmod/57 still has locks held!",
    "WARNING: lock held when returning to user space!",
    "WARNING: suspicious RCU usage",
]

# What every boot of the debug kernel prints, and a clean run under TCG may: no fault.
DEBUG_BOOT = """\
[    0.770770] Lock dependency validator: Copyright (c) 2006 Red Hat, Inc., Ingo Molnar
[    0.770880] ... MAX_LOCKDEP_SUBCLASSES:  8
[    0.771886]  memory used by lock dependency info: 6429 kB
[    0.000000] kasan: KernelAddressSanitizer initialized
[    0.000000] kfence: initialized - using 2097152 bytes for 255 objects at 0x(____ptrval____)
[    2.467187] Running RCU synchronous self tests
[    2.419012] Callback from call_rcu_tasks() invoked.
[  532.268608] hrtimer: interrupt took 13387158 ns
[  583.143872] TSC found unstable after boot, most likely due to broken BIOS. Use 'tsc=unstable'.
"""


@pytest.mark.parametrize("line", DEBUG_REPORTS)
def test_debug_kernel_reports_are_faults(vm_run, serial, line):
    log = serial(BOOT + vm_run.MODULES_MARKER + "\n" + f"[    5.928282] {line}\n")
    assert line in (vm_run.fault_report(log) or "")


def test_a_clean_debug_kernel_boot_is_no_fault(vm_run, serial):
    assert vm_run.fault_report(serial(DEBUG_BOOT + vm_run.MODULES_MARKER + "\n")) is None
