"""The VM runner must never pass silently: every way a guest can go wrong fails the run with
the reason shown, and a healthy run brings back the job's own status and output."""
import pytest

EXIT_TIMEOUT, EXIT_GUEST_FAILED = 124, 125
FAULT_MODULE = "iodbg_harness_fault fault={}"


def test_job_status_and_output_come_back(vm_run):
    res = vm_run("--", "bash", "-c", "echo from the guest $(uname -r); grep -c iodbg /proc/modules;"
                 " exit 3")
    assert res.status == 3
    assert "from the guest" in res.stdout
    assert "exited with status 3" in res.stderr


def test_passing_job_passes(vm_run):
    res = vm_run("--", "test", "-c", "/dev/iodbg")
    assert res.status == 0, res.stderr


def test_warn_fails_the_run(vm_run):
    res = vm_run("-m", "iodbg", "-m", FAULT_MODULE.format("warn"), "--", "true")
    assert res.status == EXIT_GUEST_FAILED
    assert "the guest kernel failed" in res.stderr
    assert "deliberate WARN" in res.stderr


def test_oops_fails_the_run(vm_run, kernel):
    res = vm_run("-m", FAULT_MODULE.format("oops"), "--", "true")
    assert res.status == EXIT_GUEST_FAILED
    # Under KASAN (the debug kernel) the NULL load faults first in its shadow check: a general
    # protection fault, which the kernel traces back to address 0.
    if kernel.endswith("-debug"):
        assert "Oops: general protection fault, maybe for address 0x0" in res.stderr
    else:
        assert "BUG: kernel NULL pointer dereference" in res.stderr


def test_panic_fails_the_run(vm_run):
    res = vm_run("--", "bash", "-c", "echo c >/proc/sysrq-trigger; sleep 60")
    assert res.status == EXIT_GUEST_FAILED
    assert "Kernel panic" in res.stderr or "sysrq triggered crash" in res.stderr


def test_lockup_fails_the_run(vm_run):
    """A CPU spinning with preemption off: the soft-lockup detector or the RCU stall detector,
    whichever fires first (both at about 21 s), panics the guest. The RCU detector reports a
    stall of its own CPU ("self-detected stall"), or with one CPU, where the spinning CPU is
    the one that finds it, the grace-period kthread starved; either way it panics with "RCU
    Stall" (panic_on_rcu_stall)."""
    res = vm_run("-m", FAULT_MODULE.format("lockup"), "--", "true")
    assert res.status == EXIT_GUEST_FAILED
    assert any(report in res.stderr for report in ("soft lockup", "self-detected stall",
                                                   "Kernel panic - not syncing: RCU Stall"))


def test_hung_guest_is_killed_at_the_timeout(vm_run):
    res = vm_run("--timeout", "25", "--", "sleep", "600")
    assert res.status == EXIT_TIMEOUT
    assert "did not finish within 25" in res.stderr


def test_module_that_fails_to_load_fails_the_run(vm_run):
    res = vm_run("-m", FAULT_MODULE.format("no-such-fault"), "--", "true")
    assert res.status == EXIT_GUEST_FAILED
    assert "cannot load" in res.stderr


# The debug kernel's checkers, each made to report a bug of the fault module; the first line of
# each report. lockdep, KASAN (booted with kasan_multi_shot) and sleeping in atomic context
# report and go on: the job then passes, and only the serial log can fail the run.
DEBUG_REPORTS = {
    "kasan-uaf": "BUG: KASAN: slab-use-after-free in ",
    "kasan-oob": "BUG: KASAN: slab-out-of-bounds in ",
    "lockdep-abba": "WARNING: possible circular locking dependency detected",
    "sleep-in-atomic": "BUG: sleeping function called from invalid context at ",
    "list-double-add": "list_add double add: ",
    "vm-bug": "page dumped because: VM_BUG_ON_FOLIO(",
}


@pytest.mark.debug_kernel
@pytest.mark.parametrize("fault", DEBUG_REPORTS)
def test_debug_kernel_report_fails_the_run(vm_run, fault):
    res = vm_run("-m", FAULT_MODULE.format(fault), "--", "true")
    assert res.status == EXIT_GUEST_FAILED
    assert "the guest kernel failed" in res.stderr
    assert DEBUG_REPORTS[fault] in res.stderr
    assert "iodbg_harness_fault" in res.stderr    # the report's stack names the culprit
