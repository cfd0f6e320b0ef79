"""The remote board suite: gdb on this machine, iodbg-gdbserver in the test VM reached
through a forwarded TCP port. It boots the VM once per kernel of IODBG_KERNELS (set by
scripts/run-tests; default 6.1)."""
import os


def pytest_generate_tests(metafunc):
    if "kernel" in metafunc.fixturenames:
        metafunc.parametrize("kernel", os.environ.get("IODBG_KERNELS", "6.1").split())
