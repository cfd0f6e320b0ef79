"""What every iodbg command shares: the inferior's libiodbg target, argument parsing, object
lookup and completion, tables, and turning failures into GDB errors."""
import contextlib
import functools
import os

import gdb

from . import corefile, libiodbg, paths, rsp_target, settings
from .libiodbg import IodbgError

# key -> libiodbg.Target, rsp_target.RemoteTarget or libiodbg.Core, for the length of one
# command: libiodbg keeps copies of the object files it found in the target, which keep those
# objects (and their SPE or VRAM) alive after the program closed them, so a target is never
# kept from one command to the next.
_targets = {}
# How many uses of the targets are under way: a convenience function runs inside the command
# whose arguments call it ('iodbg dump F $gpu_bo(3) 4096'), and must leave that command's
# target open.
_users = 0


@contextlib.contextmanager
def targets_in_use():
    """The targets opened inside the with-block stay open until the outermost such block
    ends, which closes them all."""
    global _users
    _users += 1
    try:
        yield
    finally:
        _users -= 1
        if _users == 0:
            for t in _targets.values():
                t.close()
            _targets.clear()


def gdb_errors(fn):
    """Run a command, function or MI command body so that every failure reaches the user as
    a GDB error with its reason, never as a Python traceback, and close the libiodbg targets
    it opened (see targets_in_use)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with targets_in_use():
            try:
                return fn(*args, **kwargs)
            except (IodbgError, OSError, ValueError, gdb.error) as e:
                raise gdb.GdbError(str(e)) from None
    return wrapper


# 'target remote | PROGRAM ...' of these: gdbserver on a pipe, so on this machine.
LOCAL_SERVERS = ("gdbserver", "iodbg-gdbserver")


def local_connection(connection):
    """Whether @connection debugs processes of this machine: the native target, or a
    gdbserver that gdb started on a pipe ('iodbg attach'). The pid of another remote
    inferior (such as 'spu attach' makes) names no process here. A TCP connection is never
    taken for local, not even to 127.0.0.1: that may be a port forwarded to a board or a
    virtual machine, whose pids name other processes than this machine's; the remote
    backend serves it (see remote_connection)."""
    if connection is None or connection.type == "native":
        return True
    words = (connection.details or "").split()
    return (connection.type in ("remote", "extended-remote") and len(words) > 1 and
            words[0] == "|" and os.path.basename(words[1]) in LOCAL_SERVERS)


# The numbers of the connections to iodbg-spu-stub that 'spu attach' made: their inferior is
# an SPU context's local store, no process, here or on a board.
spu_connections = set()


def remote_connection(connection):
    """Whether @connection is one of GDB's remote protocol to a process that is not local:
    the iodbg commands then ask iodbg-gdbserver on the other side (rsp_target)."""
    return (connection is not None and connection.type in ("remote", "extended-remote") and
            connection.num not in spu_connections and not local_connection(connection))


def live_inferior():
    """The selected inferior, which must run a process."""
    inferior = gdb.selected_inferior()
    if inferior.pid <= 0:
        raise gdb.GdbError("The program is not being run.")
    return inferior


def inferior_pid():
    """The pid of the selected inferior, which must be a live process of this machine (see
    local_connection): a core file's names none."""
    inferior = gdb.selected_inferior()
    if inferior.pid <= 0:
        raise gdb.GdbError("The program is not being run.")
    connection = inferior.connection
    if not local_connection(connection):
        raise gdb.GdbError(f"Inferior {inferior.num} is not a process of this machine "
                           f"(its target is {connection.type}): select the program with "
                           "'inferior N'.")
    return inferior.pid


def target():
    """The libiodbg target of the selected inferior, with the current 'set iodbg' policy: its
    core file (a libiodbg.Core, which reads the same way), or over a remote connection the
    remote backend's (rsp_target), which asks iodbg-gdbserver on the other side. Only inside
    targets_in_use(), which closes it."""
    assert _users > 0, "common.target() outside targets_in_use()"
    core = corefile.inferior_core()
    if core is not None:
        t = _targets.get(core)
        if t is None:
            t = _targets[core] = libiodbg.Core(core)
        return t
    inferior = live_inferior()
    connection = inferior.connection
    if remote_connection(connection):
        key = (connection.num, inferior.pid)
        t = _targets.get(key)
        if t is None:
            t = _targets[key] = rsp_target.RemoteTarget(inferior.pid)
    else:
        pid = inferior_pid()
        key = (connection.num if connection is not None else 0, pid)
        t = _targets.get(key)
        if t is None:
            t = _targets[key] = libiodbg.Target(pid)
    t.set_policy(settings.path(), settings.allow_mmio())
    return t


def program(name, env):
    """The path of gdbserver-ext's program @name (iodbg-spu-stub, iodbg-gdbserver): $@env, the
    build tree, the installation or $PATH, else a GDB error that says how to get it."""
    path = paths.find(env, os.path.join("build", "gdbserver-ext", name),
                      os.path.join("bin", name), name)
    if path is None:
        raise gdb.GdbError(f"{name} not found: build it with 'make build', install it with "
                           f"'make install', or set {env}.")
    return path


def to_int(value, what):
    """A gdb.Value argument of a convenience function as an int."""
    try:
        return int(value)
    except (gdb.error, TypeError, ValueError):
        raise gdb.GdbError(f"bad {what}: {value} is not an integer") from None


def parse_number(text, what):
    """A GDB expression (so '0x100', '$x + 4' and symbols work) as a non-negative int."""
    try:
        value = int(gdb.parse_and_eval(text))
    except gdb.error as e:
        raise gdb.GdbError(f"bad {what} '{text}': {e}") from None
    if value < 0:
        raise gdb.GdbError(f"bad {what} '{text}': negative")
    return value


def split_format(arg):
    """'/FMT rest' -> ('FMT', 'rest'); 'rest' -> ('', 'rest')."""
    arg = arg.strip()
    if not arg.startswith("/"):
        return "", arg
    fmt, _, rest = arg[1:].partition(" ")
    return fmt, rest.strip()


def objects_by_kind(fresh=False):
    """The iodbg objects of the inferior, one entry per object (its first mapping, if any),
    grouped by kind name, each group in the order the library lists them; from the
    command's snapshot unless @fresh."""
    groups, seen = {}, set()
    for obj in target().objects(fresh):
        if obj.id not in seen:
            seen.add(obj.id)
            groups.setdefault(obj.kind_name, []).append(obj)
    return groups


def objects_of_kind(*kinds):
    """The iodbg objects of the inferior whose kind name is one of @kinds (see
    objects_by_kind)."""
    groups = objects_by_kind()
    return [obj for kind in kinds for obj in groups.get(kind, [])]


def complete_ids(text, kinds):
    """Completion of object ids of @kinds; quiet when there is no live inferior."""
    try:
        if gdb.selected_inferior().pid <= 0:
            return []
        with targets_in_use():
            ids = [str(obj.id) for obj in objects_of_kind(*kinds)]
    except (IodbgError, OSError, gdb.error, gdb.GdbError):
        return []
    return [i for i in ids if i.startswith(text)]


def print_table(headers, rows, notes=None):
    """Rows of strings under headers, columns as wide as their widest cell; the last column
    is not padded. A non-empty note of a row follows it on a line of its own, indented."""
    print_columns(headers, list(zip(*rows)) or [()] * len(headers), notes)


def print_columns(headers, columns, notes=None):
    """print_table() of the rows whose cells are the items of @columns, a sequence of
    strings each. Written at once: a program may have tens of thousands of rows, so that
    each line is made in one call of a builtin."""
    widths = [max(len(header), max(map(len, column), default=0))
              for header, column in zip(headers, columns)]
    fmt = "  ".join([f"%-{w}s" for w in widths[:-1]] + ["%s"]).__mod__
    lines = list(map(str.rstrip, map(fmt, zip(*columns))))
    if notes and any(notes):
        lines = [line + (f"\n    {note}" if note else "") for line, note in zip(lines, notes)]
    lines.insert(0, fmt(tuple(headers)).rstrip())
    gdb.write("\n".join(lines) + "\n")


def transfer_note(transfer, what):
    """One line saying which path served the bytes, e.g. 'read by: object'."""
    paths = ", ".join(transfer.paths()) or "none"
    return f"({what} by: {paths})\n"


def check_transfer(transfer, wanted, what):
    """Raise a GDB error for a transfer that stopped early, with the library's reason."""
    if transfer.error is not None:
        raise gdb.GdbError(f"{what} stopped after {transfer.done} of {wanted} bytes: "
                           f"{transfer.error}")


@functools.lru_cache(maxsize=None)
def flags_text(flags, names):
    """Flag bits as 'a,b', from (bit, name) pairs (a tuple); '-' for none. Asked for each of
    many rows, of a handful of values."""
    return ",".join(name for bit, name in names if flags & bit) or "-"
