"""'set iodbg ...' and 'show iodbg ...': how the iodbg commands reach memory."""
import gdb

PATHS = ["auto", "process_vm", "proc_mem", "ptrace", "ioctl", "object"]


class SetIodbg(gdb.Command):
    """Settings of the iodbg commands: how they reach the inferior's memory."""

    def __init__(self):
        super().__init__("set iodbg", gdb.COMMAND_DATA, prefix=True)


class ShowIodbg(gdb.Command):
    """Show the settings of the iodbg commands."""

    def __init__(self):
        super().__init__("show iodbg", gdb.COMMAND_DATA, prefix=True)

    def invoke(self, arg, from_tty):
        for name in ("path", "allow-mmio"):
            gdb.execute(f"show iodbg {name}", from_tty)


class PathParameter(gdb.Parameter):
    """auto (the default) tries each path in turn, for each piece of a range:
process_vm (process_vm_readv), proc_mem (/proc/PID/mem), ptrace (only while GDB
has the process stopped) and ioctl (the iodbg module's IODBG_IOC_RW_ADDR); a
transfer by object (info spu-ls, info spu-regs, iodbg dump of an object) tries
object (IODBG_IOC_RW_OBJECT on a file of the object the program holds) first,
then those, through a mapping of the object. Any other value uses that path
alone, so that you can see what each one gives."""

    set_doc = "Set the path by which the iodbg commands read and write memory."
    show_doc = "Show the path by which the iodbg commands read and write memory."

    def __init__(self):
        super().__init__("iodbg path", gdb.COMMAND_DATA, gdb.PARAM_ENUM, PATHS)
        self.value = "auto"

    def get_show_string(self, svalue):
        return f"The iodbg commands use path: {svalue}."


class AllowMmioParameter(gdb.Parameter):
    """When on, the kernel's generic page-table fallback may read and write MMIO pages of
mappings that no driver serves (a read of a device register can change the
device). Off by default: such memory is then reported as needing this setting."""

    set_doc = "Set whether the iodbg commands may cause device side effects."
    show_doc = "Show whether the iodbg commands may cause device side effects."

    def __init__(self):
        super().__init__("iodbg allow-mmio", gdb.COMMAND_DATA, gdb.PARAM_BOOLEAN)
        self.value = False

    def get_show_string(self, svalue):
        return f"Device side effects (MMIO through the generic fallback) are allowed: {svalue}."


SetIodbg()
ShowIodbg()
_path = PathParameter()
_allow_mmio = AllowMmioParameter()


def path():
    return _path.value


def allow_mmio():
    return bool(_allow_mmio.value)
