"""SPU contexts: 'info spu', 'info spu-ls', 'info spu-regs', the Cell-style 'info spu mailbox',
'signal', 'event' and 'dma', and $spu_ls().

A context is named by the iodbg object id of its local store, as 'info spu' lists it; its
register object is the local store's owner. Bytes are read by object and offset through
libiodbg, so a context shows whether it runs on an SPE, is saved, is mapped or not.
"""
import ctypes
import os
import shutil
import socket
import subprocess
import tempfile

import gdb

import iodbg_uapi as uapi

from . import common, handover
from .common import gdb_errors

LS_KINDS = ("spu_ls",)
STATUS_BITS = ((uapi.SPU_SIM_STATUS_RUNNING, "running"), (uapi.SPU_SIM_STATUS_STOPPED, "stopped"))
# The MFC opcodes the simulated SPU issues, named as in the Cell Broadband Engine
# Architecture and as GDB's Cell support printed them.
MFC_OPCODES = {uapi.SPU_SIM_MFC_PUT: "put", uapi.SPU_SIM_MFC_GET: "get"}


class Context:
    """An SPU context of the inferior: its local store object and its register object."""

    def __init__(self, ls, regs):
        self.ls, self.regs = ls, regs

    @property
    def id(self):
        return self.ls.id

    @property
    def where(self):
        if self.ls.placement == uapi.IODBG_PLACEMENT_DEVICE and self.ls.unit >= 0:
            return f"SPE {self.ls.unit}"
        return self.ls.placement_name

    def read_regs(self):
        """The context's struct spu_sim_regs as it is now, with the path that served it."""
        if self.regs is None:
            raise gdb.GdbError(f"SPU context {self.id}: the process holds no register object "
                               "of it")
        size = ctypes.sizeof(uapi.spu_sim_regs)
        transfer = common.target().read_object(self.regs.id, 0, size)
        common.check_transfer(transfer, size, f"reading the registers of SPU context {self.id}")
        return uapi.spu_sim_regs.from_buffer_copy(transfer.data), transfer


def contexts(fresh=False):
    """The inferior's SPU contexts in the library's order (mapped ones by address first)."""
    groups = common.objects_by_kind(fresh)     # one listing: it scans the process's files
    regs = {obj.id: obj for obj in groups.get("spu_regs", [])}
    return [Context(ls, regs.get(ls.owner)) for kind in LS_KINDS for ls in groups.get(kind, [])]


# The placement of a context comes from the object list and its status from its registers:
# two reads, between which the scheduler may move it. Where they disagree, both are read again
# (a few times: a context that keeps moving is shown as last read).
TRIES = 3


def consistent(ctx, regs):
    return bool(regs.status & uapi.SPU_SIM_STATUS_RUNNING) == \
        (ctx.ls.placement == uapi.IODBG_PLACEMENT_DEVICE)


def snapshot():
    """[(context, registers)] for every context; registers None for a context whose register
    object the process does not hold."""
    rows = []
    for attempt in range(TRIES):
        rows = [(ctx, ctx.read_regs()[0] if ctx.regs else None)
                for ctx in contexts(fresh=attempt > 0)]
        if all(regs is None or consistent(ctx, regs) for ctx, regs in rows):
            break
    return rows


def npc_text(regs):
    return f"{regs.npc:#07x}" if regs is not None else "-"


def regs_status_text(regs):
    return status_text(regs.status) if regs is not None else "-"


def context_and_regs(arg):
    """(context, registers, transfer) of the context named by @arg (see find_context)."""
    for _ in range(TRIES):
        ctx = find_context(arg)
        regs, transfer = ctx.read_regs()
        if consistent(ctx, regs):
            break
    return ctx, regs, transfer


def find_context(arg):
    """The context named by @arg (an expression), or the only one when @arg is empty."""
    ctxs = contexts()
    if not arg:
        if len(ctxs) == 1:
            return ctxs[0]
        if not ctxs:
            raise gdb.GdbError("The program has no SPU contexts.")
        raise gdb.GdbError(f"The program has {len(ctxs)} SPU contexts; name one "
                           "('info spu' lists them).")
    ctx_id = common.parse_number(arg, "SPU context")
    for ctx in ctxs:
        if ctx.id == ctx_id:
            return ctx
    raise gdb.GdbError(f"No SPU context {ctx_id} ('info spu' lists them).")


def status_text(status):
    return common.flags_text(status, STATUS_BITS) if status else "ready"


def address_text(obj):
    return f"{obj.start:#x}" if obj is not None and obj.mapped else "not mapped"


class InfoSpu(gdb.Command):
    """SPU contexts of the program, or Cell-style details of one.

Usage: info spu
       info spu mailbox|signal|event|dma [CTX]

Without a subcommand: a table of the program's SPU contexts: the context id
(the iodbg object id of its local store, which the other SPU commands take as
CTX), where it is now (SPE N while it runs, saved while it is off the SPEs),
its next program counter, its status, and the addresses at which the program
maps its local store and its registers."""

    def __init__(self):
        super().__init__("info spu", gdb.COMMAND_STATUS, prefix=True)

    @gdb_errors
    def invoke(self, arg, from_tty):
        if arg.strip():
            raise gdb.GdbError(f"Undefined info spu command: \"{arg.strip()}\". "
                               "Try \"help info spu\".")
        rows = [(str(ctx.id), ctx.where, npc_text(regs), regs_status_text(regs),
                 address_text(ctx.ls), address_text(ctx.regs)) for ctx, regs in snapshot()]
        if not rows:
            gdb.write("No SPU contexts.\n")
            return
        common.print_table(("Id", "Where", "NPC", "Status", "Local store", "Registers"), rows)


class CtxCommand(gdb.Command):
    """A command whose first argument is an optional SPU context id."""

    def complete(self, text, word):
        word = word or ""
        _, before = common.split_format(text[:len(text) - len(word)])
        if before.strip():      # past the first argument
            return []
        return common.complete_ids(word, LS_KINDS)


class InfoSpuMailbox(CtxCommand):
    """The mailboxes of an SPU context, as GDB's Cell support showed them.

Usage: info spu mailbox [CTX]

The SPU outbound mailbox (what the SPU posted for the PPU) and the SPU inbound
mailbox (what the PPU wrote for the SPU), oldest entry first, read without
taking anything. The simulated SPU has no outbound interrupt mailbox."""

    def __init__(self):
        super().__init__("info spu mailbox", gdb.COMMAND_STATUS)

    @gdb_errors
    def invoke(self, arg, from_tty):
        regs, _ = find_context(arg.strip()).read_regs()
        mailbox_list(regs.out_mbox, regs.out_mbox_head, regs.out_mbox_count,
                     "SPU Outbound Mailbox")
        mailbox_list(regs.in_mbox, regs.in_mbox_head, regs.in_mbox_count,
                     "SPU Inbound Mailbox")


def ring(entries, head, count):
    """The live entries of a ring, oldest first, as the driver reads it (indices modulo the
    depth, the count clamped to it)."""
    depth = len(entries)
    return [entries[(head + i) % depth] for i in range(min(count, depth))]


def mailbox_list(entries, head, count, title):
    values = ring(entries, head, count)
    if values:
        gdb.write(f"{title}\n" + "".join(f"0x{v:08x}\n" for v in values))


class InfoSpuSignal(CtxCommand):
    """The signal notification registers of an SPU context.

Usage: info spu signal [CTX]

A register reads as pending when it holds a non-zero control word. The
simulated SPU models overwrite mode only."""

    def __init__(self):
        super().__init__("info spu signal", gdb.COMMAND_STATUS)

    @gdb_errors
    def invoke(self, arg, from_tty):
        regs, _ = find_context(arg.strip()).read_regs()
        for n, word in ((1, regs.signal1), (2, regs.signal2)):
            state = f"control word 0x{word:08x}" if word else "not pending"
            gdb.write(f"Signal {n} {state} (Type Overwrite)\n")


class InfoSpuEvent(CtxCommand):
    """The event status and mask of an SPU context (not modelled by spu_sim).

Usage: info spu event [CTX]"""

    def __init__(self):
        super().__init__("info spu event", gdb.COMMAND_STATUS)

    @gdb_errors
    def invoke(self, arg, from_tty):
        ctx = find_context(arg.strip())
        raise gdb.GdbError(f"SPU context {ctx.id}: the simulated SPU has no event facility "
                           "(spu_sim models mailboxes, signals and the MFC queue).")


class InfoSpuDma(CtxCommand):
    """The MFC DMA command queue of an SPU context, as GDB's Cell support showed it.

Usage: info spu dma [CTX]

One line per queued command, oldest first: opcode, tag group, transfer and
replacement class ids, effective address, local store address and size. The
simulated MFC has no DMA lists, so LstAddr and LstSize stay empty."""

    def __init__(self):
        super().__init__("info spu dma", gdb.COMMAND_STATUS)

    @gdb_errors
    def invoke(self, arg, from_tty):
        regs, _ = find_context(arg.strip()).read_regs()
        rows = []
        for slot in ring(range(uapi.SPU_SIM_DMA_DEPTH), regs.dma_head, regs.dma_count):
            opcode = regs.dma_opcode[slot]
            rows.append((MFC_OPCODES.get(opcode, str(opcode)), str(regs.dma_tag[slot]), "0", "0",
                         f"0x{regs.dma_ea[slot]:016x}", f"0x{regs.dma_lsa[slot]:05x}",
                         f"0x{regs.dma_size[slot]:05x}", "", "", ""))
        common.print_table(("Opcode", "Tag", "TId", "RId", "EA", "LSA", "Size", "LstAddr",
                            "LstSize", "E"), rows)


# x-style output: unit size letter -> bytes, and how many units fit one line.
SIZES = {"b": 1, "h": 2, "w": 4, "g": 8}
PER_LINE = {1: 8, 2: 8, 4: 4, 8: 2}


def parse_fmt(fmt, default_format="x", default_size="w"):
    """'/FMT' letters as x takes them: a format (x d u o t c) and a size (b h w g)."""
    fmt_letter, size_letter = default_format, None
    for c in fmt:
        if c in SIZES:
            size_letter = c
        elif c in "xduotc":
            fmt_letter = c
        else:
            raise gdb.GdbError(f"Undefined output format \"{c}\" (use x d u o t c, and b h w "
                               "g for the size).")
    if size_letter is None:     # as x: characters are bytes unless a size is given
        size_letter = "b" if fmt_letter == "c" else default_size
    return fmt_letter, SIZES[size_letter]


def format_unit(value, fmt, size):
    bits = 8 * size
    if fmt == "x":
        return f"0x{value:0{2 * size}x}"
    if fmt == "d":
        return str(value - (1 << bits) if value >> (bits - 1) else value)
    if fmt == "u":
        return str(value)
    if fmt == "o":
        return f"0{value:o}" if value else "0"
    if fmt == "t":
        return f"{value:0{bits}b}"
    return repr(chr(value)) if 32 <= value < 127 else f"{value:#x}"


def format_memory(data, base, fmt, size):
    """Lines like x's: 'OFFSET:<TAB>unit<TAB>unit...', offsets as 5-digit local store
    addresses. A tail shorter than the unit is shown in bytes."""
    lines, per_line = [], PER_LINE[size]
    whole = len(data) - len(data) % size
    for start in range(0, whole, size * per_line):
        chunk = data[start:min(start + size * per_line, whole)]
        units = [int.from_bytes(chunk[i:i + size], "little") for i in range(0, len(chunk), size)]
        lines.append(f"0x{base + start:05x}:\t" +
                     "\t".join(format_unit(u, fmt, size) for u in units))
    if whole < len(data):
        lines.append(f"0x{base + whole:05x}:\t" +
                     "\t".join(format_unit(b, fmt, 1) for b in data[whole:]))
    return "".join(line + "\n" for line in lines)


class InfoSpuLs(CtxCommand):
    """Show bytes of an SPU context's local store.

Usage: info spu-ls[/FMT] [CTX [OFFSET [LENGTH]]]

FMT is as for x: a format letter (x hex, the default; d, u, o, t, c) and a size
letter (b, h, w, the default, or g). OFFSET is a local store address (default
0), LENGTH a byte count (default 64); both are expressions. CTX is a context id
from 'info spu' and may be left out when the program has one context.

The bytes are read through libiodbg by object and offset, wherever the context
lives now, whether or not the program maps it; the last line says which path
served them ('set iodbg path' chooses one)."""

    def __init__(self):
        super().__init__("info spu-ls", gdb.COMMAND_DATA)

    @gdb_errors
    def invoke(self, arg, from_tty):
        fmt, rest = common.split_format(arg)
        fmt_letter, size = parse_fmt(fmt)
        words = gdb.string_to_argv(rest)
        if len(words) > 3:
            raise gdb.GdbError("Usage: info spu-ls[/FMT] [CTX [OFFSET [LENGTH]]]")
        ctx = find_context(words[0] if words else "")
        offset = common.parse_number(words[1], "offset") if len(words) > 1 else 0
        length = common.parse_number(words[2], "length") if len(words) > 2 else 64
        ls_size = ctx.ls.size
        if offset >= ls_size:
            raise gdb.GdbError(f"Offset {offset:#x} is past the local store "
                               f"({ls_size:#x} bytes).")
        if length == 0:
            raise gdb.GdbError("Length must not be zero.")
        length = min(length, ls_size - offset)
        transfer = common.target().read_object(ctx.id, offset, length)
        gdb.write(format_memory(transfer.data, offset, fmt_letter, size))
        common.check_transfer(transfer, length, "reading the local store")
        gdb.write(common.transfer_note(transfer, "read"))


# Register names as the Cell Broadband Engine Architecture calls the problem-state
# registers, for the fields of struct spu_sim_regs that model them.
REG_NAMES = (
    ("npc", "SPU_NPC"), ("status", "SPU_Status"),
    ("out_mbox_count", "SPU_Mbox_Stat.out"), ("in_mbox_count", "SPU_Mbox_Stat.in"),
    ("signal1", "SPU_Sig_Notify_1"), ("signal2", "SPU_Sig_Notify_2"),
    ("dma_count", "MFC_QStatus.entries"),
    ("run_ticks", "run_ticks"), ("loads", "loads"), ("vol_switches", "vol_switches"),
    ("invol_switches", "invol_switches"))


class InfoSpuRegs(CtxCommand):
    """Show the problem-state registers of an SPU context, by name.

Usage: info spu-regs [CTX]

Each register of the context's register object (struct spu_sim_regs of
<linux/iodbg.h>), read from wherever the context lives now: the SPE while it
runs, its saved copy otherwise, without waiting for it to be scheduled. Then
the mailbox entries, and the path that served the bytes."""

    def __init__(self):
        super().__init__("info spu-regs", gdb.COMMAND_DATA)

    @gdb_errors
    def invoke(self, arg, from_tty):
        ctx, regs, transfer = context_and_regs(arg.strip())
        rows = []
        for field, name in REG_NAMES:
            value = getattr(regs, field)
            note = status_text(value) if field == "status" else ""
            rows.append((name, field, f"{value:#x}", str(value), note))
        for field in ("out_mbox", "in_mbox"):
            values = ring(getattr(regs, field), getattr(regs, field + "_head"),
                          getattr(regs, field + "_count"))
            rows.append((field, field, " ".join(f"0x{v:08x}" for v in values) or "(empty)",
                         "", ""))
        common.print_table(("Register", "Field", "Hex", "Decimal", "Decoded"), rows)
        gdb.write(f"(context {ctx.id}, {ctx.where}; " +
                  common.transfer_note(transfer, "read")[1:])


class SpuLsFunction(gdb.Function):
    """$spu_ls(CTX, OFFSET): the address in the program at which it maps byte OFFSET of
SPU context CTX's local store, as a 'char *', for x, print and friends:
    x/4wx $spu_ls(5, 0x100)
An error if the program does not map that part of the local store."""

    def __init__(self):
        super().__init__("spu_ls")

    @gdb_errors
    def invoke(self, ctx_value, offset_value=None):
        ctx = find_context(str(common.to_int(ctx_value, "SPU context")))
        offset = common.to_int(offset_value, "offset") if offset_value is not None else 0
        if not 0 <= offset < ctx.ls.size:
            raise gdb.GdbError(f"Offset {offset:#x} is outside the local store.")
        for obj in common.target().objects():
            if obj.id == ctx.id and obj.address_of(offset) is not None:
                return gdb.Value(obj.address_of(offset)).cast(
                    gdb.lookup_type("char").pointer())
        raise gdb.GdbError(f"The program does not map offset {offset:#x} of SPU context "
                           f"{ctx.id}; 'info spu-ls' reads it by object.")


class Spu(gdb.Command):
    """SPU context commands: spu attach."""

    def __init__(self):
        super().__init__("spu", gdb.COMMAND_RUNNING, prefix=True)


# The stubs 'spu attach' started, until they are seen to have exited (then reaped).
_stubs = []


def start_stub(pid, ctx):
    """Start iodbg-spu-stub serving @ctx of process @pid, listening on a socket in a folder of
    its own; returns (the stub, the socket's path, the folder). gdb hands over copies of the
    program's files of the context (see handover), which the stub needs where it may not read
    the program itself (Yama's ptrace_scope=1); a context the program only maps, the stub
    finds in the program by pid."""
    for proc in [p for p in _stubs if p.poll() is not None]:
        _stubs.remove(proc)
    stub = common.program("iodbg-spu-stub", "IODBG_SPU_STUB")
    ids = {ctx.id, ctx.regs.id} if ctx.regs is not None else set()
    files = handover.object_files(pid, ids) if ids else {}
    folder = tempfile.mkdtemp(prefix="iodbg-spu-")
    path = os.path.join(folder, "rsp")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(path)
        listener.listen(1)
        args = [stub, "--listen-fd", str(listener.fileno())]
        if set(files) == ids and ids:
            args += ["--ls-fd", str(files[ctx.id]), "--regs-fd", str(files[ctx.regs.id]),
                     str(pid)]
            inherited = [listener.fileno(), *files.values()]
        else:
            args += [str(pid), str(ctx.id)]
            inherited = [listener.fileno()]
        # Its own session, as gdb's 'target remote | ...' does: a Ctrl-C for the program
        # must not end the stub. Its stderr is gdb's, for its messages.
        proc = subprocess.Popen(args, pass_fds=inherited, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, start_new_session=True)
    except OSError as e:
        shutil.rmtree(folder, ignore_errors=True)
        raise gdb.GdbError(f"cannot start {stub}: {e.strerror}") from None
    finally:
        listener.close()
        for fd in files.values():
            os.close(fd)
    with proc.stdout:
        ready = proc.stdout.readline()
    if ready != b"ready\n":
        proc.wait()
        shutil.rmtree(folder, ignore_errors=True)
        raise gdb.GdbError(f"iodbg-spu-stub could not serve SPU context {ctx.id} of process "
                           f"{pid} (exit status {proc.returncode}; its message is above).")
    _stubs.append(proc)
    return proc, path, folder


def serve_remotely(ctx, connection):
    """Have iodbg-gdbserver at the other end of TCP @connection hand the next connection to
    its port to iodbg-spu-stub serving @ctx; returns that address for 'target remote'."""
    address = (connection.details or "").strip()
    if not address or address.startswith("|") or ":" not in address:
        raise gdb.GdbError(f"spu attach {ctx.id}: the program's remote connection "
                           f"'{address}' is not TCP, which spu attach needs to connect again")
    try:
        gdb.execute(f"monitor iodbg spu-serve {ctx.id}", to_string=True)
    except gdb.error as e:
        raise gdb.GdbError(f"spu attach {ctx.id}: the remote side cannot serve it ({e}): it "
                           "needs iodbg-gdbserver listening on a TCP port") from None
    return address


class SpuAttach(CtxCommand):
    """Debug an SPU context's local store as an inferior of its own.

Usage: spu attach [CTX]

Adds an inferior connected, over GDB's remote protocol, to iodbg-spu-stub serving
context CTX of this program: its address 0 is local store offset 0, so x/16i,
x/s, find, dump and set work in SPU addresses, as with GDB's Cell support. The
SPU program keeps running. 'inferior N' goes back to the program; 'detach' in
the new inferior ends the stub.

Over 'target [extended-]remote HOST:PORT' to iodbg-gdbserver, the stub runs on
the remote side ('monitor iodbg spu-serve CTX'): iodbg-gdbserver hands it a
second connection to the same port, and it finds the context in the program,
which needs the right to debug it there.

GDB hands the stub copies of the program's files of the context, so that it
works wherever GDB may debug the program, also under Yama's ptrace_scope=1,
where only GDB, not the stub it starts, may read the program. A context the
program maps but holds no file of, the stub finds in the program itself, which
needs the right to debug it."""

    def __init__(self):
        super().__init__("spu attach", gdb.COMMAND_RUNNING)

    @gdb_errors
    def invoke(self, arg, from_tty):
        ctx = find_context(arg.strip())
        inferior = gdb.selected_inferior()
        program = inferior.num
        if common.remote_connection(inferior.connection):
            pid, proc, folder = inferior.pid, None, None
            path = serve_remotely(ctx, inferior.connection)
        else:
            pid = common.inferior_pid()
            proc, path, folder = start_stub(pid, ctx)
        try:
            gdb.execute("add-inferior -no-connection", to_string=True)
            spu_inferior = max(inf.num for inf in gdb.inferiors())
            gdb.execute(f"inferior {spu_inferior}", to_string=True)
            try:
                gdb.execute(f"target remote {path}", to_string=True)
                common.spu_connections.add(gdb.selected_inferior().connection.num)
            except gdb.error as e:
                if proc is not None:
                    proc.kill()
                    proc.wait()
                gdb.execute(f"inferior {program}", to_string=True)
                gdb.execute(f"remove-inferiors {spu_inferior}", to_string=True)
                raise gdb.GdbError(f"spu attach {ctx.id}: {e}") from None
        finally:
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
        gdb.write(f"SPU context {ctx.id} of process {pid} is inferior {spu_inferior}: address "
                  f"0 is local store offset 0 ('inferior {program}' goes back).\n")


class SpuMiCommand(getattr(gdb, "MICommand", object)):
    """-iodbg-spu-list: the SPU contexts as an MI list, the fields of 'info spu'."""

    def __init__(self):
        super().__init__("-iodbg-spu-list")

    @gdb_errors
    def invoke(self, argv):
        return {"contexts": [{"id": str(ctx.id), "where": ctx.where, "npc": npc_text(regs),
                              "status": regs_status_text(regs),
                              "ls-addr": address_text(ctx.ls),
                              "regs-addr": address_text(ctx.regs)}
                             for ctx, regs in snapshot()]}


InfoSpu()
InfoSpuMailbox()
InfoSpuSignal()
InfoSpuEvent()
InfoSpuDma()
InfoSpuLs()
InfoSpuRegs()
SpuLsFunction()
Spu()
SpuAttach()
if hasattr(gdb, "MICommand"):     # GDB 13 and later
    SpuMiCommand()
