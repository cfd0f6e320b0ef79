"""The gdb commands that the remote board suite runs on the board and over the wire."""


def spu_commands(ctx, dump):
    """'spu attach' last: it ends with the program's inferior selected again."""
    return ("echo <spu>\\n", "info spu", "echo <ls>\\n", f"info spu-ls/gx {ctx} 0x100 48",
            "echo <regs>\\n", f"info spu-regs {ctx}", "echo <dump>\\n",
            f"iodbg dump {dump} {ctx}", "echo <attach>\\n", f"spu attach {ctx}", "echo <x>\\n",
            "x/8xw 0x100", "echo <back>\\n", "inferior 1", "echo <end>\\n")


def gpu_commands(handle, dump):
    return ("echo <gpu>\\n", "info gpu-objects", "echo <maps>\\n", "info iodbg-maps --verbose",
            "echo <dump>\\n", f"iodbg dump {dump} {handle}", "echo <end>\\n")
