"""The 'iodbg' TUI window: the SPU contexts and GPU objects of the program, redrawn at each
stop. 'layout iodbg' shows it above the source and the command window."""
import gdb

from . import common, gpu, spu


@common.gdb_errors
def _lines():
    out = ["SPU contexts:"]
    for ctx, regs in spu.snapshot():
        ticks = regs.run_ticks if regs is not None else "-"
        out.append(f"  {ctx.id:>4}  {ctx.where:<8} npc {spu.npc_text(regs)}  "
                   f"{spu.regs_status_text(regs):<8} ticks {ticks}")
    out.append("GPU objects:")
    for row in gpu.rows():
        out.append(f"  {row['handle']:>4}  {row['placement']:<7} {row['size']:>10} bytes  "
                   f"{row['mapping']}")
    return out


def lines():
    """The window's text, one string per line; the reason instead when there is nothing to
    show (no program, a remote inferior, no iodbg module)."""
    try:
        return _lines()
    except gdb.GdbError as e:
        return [f"iodbg: {e}"]


class IodbgWindow:
    def __init__(self, tui_window):
        self.win = tui_window
        self.win.title = "iodbg"
        gdb.events.stop.connect(self.redraw)
        gdb.events.exited.connect(self.redraw)

    def close(self):
        gdb.events.stop.disconnect(self.redraw)
        gdb.events.exited.disconnect(self.redraw)

    def render(self):
        self.redraw()

    def redraw(self, event=None):
        if not self.win.is_valid():
            return
        width = self.win.width
        self.win.erase()
        self.win.write("".join(line[:width].ljust(width) for line in lines()[:self.win.height]))


if hasattr(gdb, "register_window_type"):     # a gdb built with the TUI
    gdb.register_window_type("iodbg", IodbgWindow)
    gdb.execute("tui new-layout iodbg iodbg 1 src 2 status 0 cmd 1", to_string=True)
