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
