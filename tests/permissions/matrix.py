"""The permission matrix: rows are target kinds under each Yama ptrace_scope, columns the ways
an unprivileged debugger reaches a target's device memory.

Each cell is judged against what the kernel itself decides for the same debugger at that
moment: its PTRACE_ATTACH of the target (the 'ptrace' column; for the front ends, which run as
its children, a PTRACE_ATTACH from a child of it). Where ptrace is allowed, the
path must give the bytes the target wrote (and a write must land); where it is refused, the
path must fail with EPERM (a front end: a non-zero exit or a GDB error, saying why), write
nothing, and show no byte of the target anywhere: not in its output, not in the caller's
buffer.
"""
import os
import re
import shutil
import stat
import subprocess
import sys
import json

from targets import PROGS, gpu_pattern, key_values, scratch_pattern, spu_pattern

HERE = os.path.dirname(os.path.abspath(__file__))
YAMA = "/proc/sys/kernel/yama/ptrace_scope"
SCOPES = (0, 1, 2, 3)           # 3 last: nothing lowers it again before a reboot
DEBUGGER_UID = 1000             # no passwd entry needed: numeric ids only
OTHER_UID = 1001
SETUID_COPY = "/tmp/perm_target-setuid"     # the guest's /tmp is a tmpfs that honours setuid

READ_LEN = 32
LS_OFFSET = 0x100               # debugger.py reads the local store from here
FILL = "ee" * READ_LEN          # what debugger.py's buffers hold before a call

# Row kinds: how the target is started and what it must then be (checked before any probe).
KINDS = (
    ("same uid", dict(uid=DEBUGGER_UID, dumpable=1)),
    ("other uid", dict(uid=OTHER_UID, dumpable=1)),
    ("non-dumpable", dict(uid=DEBUGGER_UID, dumpable=0, args=["nodump"])),
    ("PR_SET_PTRACER", dict(uid=DEBUGGER_UID, dumpable=1, ptracer=True)),
    ("setuid, dropped", dict(uid=DEBUGGER_UID, dumpable=0, setuid=True, args=["drop"])),
    ("child of the debugger", dict(uid=DEBUGGER_UID, dumpable=1, child=True)),
)

# The paths debugger.py takes itself: judged against its own PTRACE_ATTACH.
IN_PROCESS = ("rw_addr", "rw_addr write", "generic", "list", "list vmas", "getfd+rw_object",
              "proc_mem")
# The front ends, which run as its children: judged against a PTRACE_ATTACH from a child of
# it, which Yama's scope 1 may refuse where debugger.py itself is allowed (a target that is
# debugger.py's child is not theirs).
FRONT_ENDS = ("iodbg read", "iodbg write", "iodbg objects", "iodbg maps", "info gpu-objects",
              "info spu-ls", "x", "spu attach", "spu-stub")
COLUMNS = IN_PROCESS + FRONT_ENDS
GDB_COLUMNS = ("info gpu-objects", "info spu-ls", "x", "spu attach")
# The columns that show the bytes they read.
SHOWS_BYTES = ("rw_addr", "generic", "getfd+rw_object", "proc_mem", "iodbg read",
               "info spu-ls", "x", "spu attach", "spu-stub")
# Offsets in the buffer object that the write paths write to (the reads cover [0, 32)).
WRITES = {"rw_addr write": 0x100, "iodbg write": 0x108}

MESSAGE = re.compile(r"not permitted|permission|EPERM", re.I)


class Cell:
    def __init__(self, kind, scope, column):
        self.kind, self.scope, self.column = kind, scope, column
        self.allowed = None         # what ptrace says
        self.shown = "?"            # what the matrix shows
        self.problems = []          # why the cell fails, if it does

    def fail(self, code, why):
        self.problems.append((code, why))


class Matrix:
    def __init__(self):
        self.cells = {}             # (kind, scope, column) -> Cell
        self.ptrace = {}            # (kind, scope) -> (in process, from a child): None
                                    # (allowed) or the errno name
        self.notes = []
        self.error = None


MATRIX = Matrix()


# --- The targets ------------------------------------------------------------------------

class PermTarget:
    """A perm_target process, started by root under some uid or by the debugger."""

    def __init__(self, kind, spec, debugger):
        self.kind, self.debugger = kind, debugger
        args = list(spec.get("args", []))
        if spec.get("ptracer"):
            args.append(f"ptracer={debugger.pid}")
        if spec.get("child"):
            answer = debugger.request(op="spawn", args=args)
            if "error" in answer:
                raise RuntimeError(f"{kind}: {answer}")
            lines, self.proc = answer["lines"], None
        else:
            prog = SETUID_COPY if spec.get("setuid") else os.path.join(PROGS, "perm_target")
            self.proc = subprocess.Popen([prog, *args], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, text=True, user=spec["uid"],
                                         group=spec["uid"], extra_groups=[])
            lines = []
            while not lines or not lines[-1].startswith("ready"):
                line = self.proc.stdout.readline()
                if not line:
                    raise RuntimeError(f"{kind}: perm_target exited: {lines}")
                lines.append(line)
        info = {line.split()[0]: key_values(line) for line in lines}
        self.pid = info["ready"]["pid"]
        self.creds = info["creds"]
        self.info = {"pid": self.pid, "bo": info["bo"], "ls": info["ls"],
                     "scratch": info["scratch"]}
        want = (spec["uid"], spec["uid"], spec["uid"], spec["dumpable"])
        have = tuple(self.creds[k] for k in ("uid", "euid", "suid", "dumpable"))
        if have != want:
            raise RuntimeError(f"{kind}: creds {self.creds}, not uid/euid/suid/dumpable {want}")

    def command(self, line):
        if self.proc is None:
            return self.debugger.request(op="target", line=line)["answer"]
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def read_own(self, area, offset, length):
        return self.command(f"read {area} {offset} {length}")

    def poke(self, area, offset, hexdata):
        assert self.command(f"poke {area} {offset} {hexdata}") == "ok"

    def expected(self):
        """The bytes, as hex, that the target wrote where debugger.py reads."""
        return {"bo": gpu_pattern(self.info["bo"]["id"], 0, READ_LEN).hex(),
                "ls": spu_pattern(self.info["ls"]["id"], LS_OFFSET, READ_LEN).hex(),
                "scratch": scratch_pattern(0, READ_LEN).hex()}

    def close(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()


class Debugger:
    """debugger.py under DEBUGGER_UID, for the whole run."""

    def __init__(self):
        env = {k: os.environ[k] for k in ("PATH", "LANG", "IODBG_OUT", "IODBG_PROJECT",
                                          "IODBG_IN_VM", "PYTHONDONTWRITEBYTECODE")
               if k in os.environ}
        env["HOME"] = "/tmp"
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "debugger.py")],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     user=DEBUGGER_UID, group=DEBUGGER_UID, extra_groups=[],
                                     env=env, cwd="/tmp")
        hello = self.request(op="hello")
        self.pid = hello["pid"]
        if (hello["uid"], hello["euid"], hello["gid"], hello["groups"]) != \
                (DEBUGGER_UID, DEBUGGER_UID, DEBUGGER_UID, []):
            raise RuntimeError(f"the debugger runs with {hello}")

    def request(self, **req):
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("debugger.py exited")
        return json.loads(line)

    def close(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# --- Judging ------------------------------------------------------------------------------

def secrets(expected):
    """What would betray a target byte in text: each 64-bit word read, in the hex of its
    bytes (a hexdump) and of its value (gdb's x/gx), and its high half as gdb's x/wx and
    'info spu-ls' print it (the half that holds the pattern and the object id)."""
    found = set()
    for hexbytes in expected.values():
        data = bytes.fromhex(hexbytes)
        for i in range(0, len(data), 8):
            word = data[i:i + 8]
            value = int.from_bytes(word, "little")
            found |= {word.hex(), f"{value:016x}", f"0x{value >> 32:08x}"}
    return found


def leaks(texts, expected):
    """The secrets found in any of the texts."""
    blob = re.sub(r"\s+", "", "\n".join(t for t in texts if t)).lower()
    return sorted(s for s in secrets(expected) if s in blob)


def hexdump_bytes(out):
    """The bytes of iodbg read's xxd-style hexdump, as hex."""
    rows = re.findall(r"^[0-9a-f]+: ((?:[0-9a-f]{4} ?)+)", out, re.M)
    return "".join(r.replace(" ", "") for r in rows)


def gdb_words(out, bits):
    """The words of gdb's x or info spu-ls output ('ADDR:<tab>0xWORD ...'), as hex bytes."""
    data = b""
    for line in re.findall(r"^0x[0-9a-f]+(?: <[^>]*>)?:\s+(.*)$", out, re.M):
        for w in re.findall(r"0x[0-9a-f]+", line):
            data += int(w, 16).to_bytes(bits // 8, "little")
    return data.hex()


def judge_ioctl(cell, results, expected, refused_errnos=("EPERM",), not_present_ok=False):
    """Reads by ioctl or /proc/PID/mem: {area: {"errno", "buf"}}. With @not_present_ok (the
    generic fallback, which never faults a page in), ENOENT is an answer where ptrace is
    allowed: the page is not present since a context switch zapped it; it comes after the
    permission check, and no byte may come with it."""
    for area, r in results.items():
        if cell.allowed:
            if r["errno"] == "ENOENT" and not_present_ok:
                if r.get("buf") not in (None, FILL):
                    cell.fail("LEAK", f"{area}: bytes with ENOENT: {r['buf']}")
            elif r["errno"] is not None:
                cell.fail("DENIES", f"{area}: {r['errno']} ({r.get('step', 'call')}) though "
                                    f"ptrace is allowed")
            elif r["buf"] != expected[area]:
                cell.fail("BYTES", f"{area}: read {r['buf']}, the target wrote "
                                   f"{expected[area]}")
        else:
            if r["errno"] is None:
                cell.fail("ALLOWS", f"{area}: served (read {r['buf']}) though ptrace is "
                                    f"refused")
            elif r["errno"] not in refused_errnos:
                cell.fail("ERRNO", f"{area}: {r['errno']} ({r.get('step', 'call')}), not "
                                   f"{' or '.join(refused_errnos)}")
            if r.get("buf") not in (None, FILL):
                cell.fail("LEAK", f"{area}: the caller's buffer was written: {r['buf']}")
    if not cell.problems:
        cell.shown = "ok" if cell.allowed else next(iter(results.values()))["errno"]


def judge_write(cell, result, before, data, after):
    """A write of data over before; after is what the target itself sees afterwards."""
    if cell.allowed:
        if result.get("errno") is not None or result.get("rc", 0) != 0:
            why = result["errno"] if "errno" in result else \
                f"exit status {result['rc']}{short(result['err'])}"
            cell.fail("DENIES", f"the write failed ({why}) though ptrace is allowed")
        elif after != data:
            cell.fail("BYTES", f"the target sees {after}, not the {data} written")
    else:
        if after != before:
            cell.fail("WRITES", f"the target's bytes changed from {before} to {after} "
                                f"though ptrace is refused")
        if "rc" in result:
            judge_refusal(cell, result)
        elif result["errno"] is None:
            cell.fail("ALLOWS", "the write was served though ptrace is refused")
        elif result["errno"] != "EPERM":
            cell.fail("ERRNO", f"{result['errno']}, not EPERM")
    if not cell.problems:
        cell.shown = "ok" if cell.allowed else (result.get("errno") or "refused")


def short(text, n=160):
    text = " ".join((text or "").split())
    return f": {text[:n]}" if text else ""


def judge_refusal(cell, r):
    """A command run where ptrace is refused: non-zero exit and a message that says why."""
    if r["rc"] == 0:
        said = "saying why" if MESSAGE.search(r["out"] + r["err"]) else \
            "without a word of permission"
        cell.fail("EXIT0", f"exit status 0 though ptrace is refused, {said}; the end of what "
                           f"it printed{short(r['out'][-300:] + r['err'][-300:], 600)}")
    elif not MESSAGE.search(r["out"] + r["err"]):
        cell.fail("MSG", f"exit status {r['rc']} without a word of permission"
                         f"{short(r['err'] or r['out'])}")


def judge_command(cell, runs, check):
    """Front-end commands: {name: {"rc", "out", "err"}}; check(name, r) returns a problem
    or None where ptrace is allowed."""
    for name, r in runs.items():
        if cell.allowed:
            problem = None if r["rc"] == 0 else \
                f"exit status {r['rc']} though ptrace is allowed{short(r['err'])}"
            problem = problem or check(name, r)
            if problem:
                cell.fail("DENIES" if r["rc"] else "BYTES", f"{name}: {problem}")
        else:
            judge_refusal(cell, r)
    if not cell.problems:
        cell.shown = "ok" if cell.allowed else "refused"


def judge_gdb(cell, attach, r, check):
    """A GDB command after 'attach': {"out", "err"}."""
    if cell.allowed:
        if attach["err"]:
            cell.fail("DENIES", f"attach: {attach['err']}")
        elif r["err"]:
            cell.fail("DENIES", f"{r['err']}")
        else:
            problem = check(r)
            if problem:
                cell.fail("BYTES", problem)
    else:
        if r["err"] is None:
            cell.fail("ALLOWS", f"no error though ptrace is refused{short(r['out'])}")
        if not attach["err"] or not MESSAGE.search(attach["err"]):
            cell.fail("MSG", f"attach said{short(attach['err'] or attach['out'])}")
    if r["err"] and "Python" in r["err"]:
        cell.fail("TRACEBACK", r["err"])
    if not cell.problems:
        cell.shown = "ok" if cell.allowed else "refused"


def judge_list(c, r, want):
    """A listing ioctl: the target's objects (ids @want) where ptrace is allowed; else EPERM,
    and the caller's entries untouched."""
    if c.allowed:
        if r["errno"] is not None:
            c.fail("DENIES", f"{r['errno']} though ptrace is allowed")
        elif not want <= set(r["ids"]):
            c.fail("BYTES", f"listed ids {r['ids']}, not the target's {sorted(want)}")
    else:
        if r["errno"] is None:
            c.fail("ALLOWS", f"listed ids {r['ids']} though ptrace is refused")
        elif r["errno"] != "EPERM":
            c.fail("ERRNO", f"{r['errno']}, not EPERM")
        if r.get("untouched") is False:
            c.fail("LEAK", "the caller's entries were written")
    if not c.problems:
        c.shown = "ok" if c.allowed else r["errno"]


def judge_row(kind, scope, target, obs, writes):
    """Judge one row: the cells of every column, from debugger.py's observations."""
    MATRIX.ptrace[kind, scope] = (obs["ptrace"], obs["ptrace from a child"])
    expected = target.expected()
    t = target.info
    cells = {c: Cell(kind, scope, c) for c in COLUMNS}
    for c in cells.values():
        c.allowed = obs["ptrace" if c.column in IN_PROCESS else "ptrace from a child"] is None

    judge_ioctl(cells["rw_addr"], obs["rw_addr"], expected)
    judge_ioctl(cells["generic"], obs["generic"], expected, not_present_ok=True)
    judge_ioctl(cells["getfd+rw_object"], obs["getfd+rw_object"], expected)
    # /proc/PID/mem is the kernel's: its refusal is EACCES.
    judge_ioctl(cells["proc_mem"], obs["proc_mem"], expected, ("EACCES", "EPERM"))
    for name in WRITES:
        w = writes[name]
        judge_write(cells[name], obs[name], w["before"], w["data"], w["after"])

    for column in ("list", "list vmas"):
        judge_list(cells[column], obs[column], {t["bo"]["id"], t["ls"]["id"]})

    def read_check(name, r):
        area = {"bo": "bo", "scratch": "scratch", "ls by object": "ls"}[name]
        got = hexdump_bytes(r["out"])
        return None if got == expected[area] else f"showed {got}, the target wrote " \
                                                  f"{expected[area]}"
    judge_command(cells["iodbg read"], obs["iodbg read"], read_check)

    def objects_check(name, r):
        for obj_id, kind_name in ((t["bo"]["id"], "gpu_bo"), (t["ls"]["id"], "spu_ls")):
            if not re.search(rf"^\S+\s+{obj_id}\s+{kind_name}\s", r["out"], re.M):
                return f"no {kind_name} {obj_id} row{short(r['out'])}"
        return None
    judge_command(cells["iodbg objects"], {"objects": obs["iodbg objects"]}, objects_check)

    def maps_check(name, r):
        for obj_id, kind_name in ((t["bo"]["id"], "gpu_bo"), (t["ls"]["id"], "spu_ls")):
            if f"[object {obj_id} {kind_name}" not in r["out"]:
                return f"no mapping of {kind_name} {obj_id}"
        return None
    judge_command(cells["iodbg maps"], {"maps": obs["iodbg maps"]}, maps_check)
    if not cells["iodbg maps"].allowed and "[object " in obs["iodbg maps"]["out"]:
        cells["iodbg maps"].fail("LEAK", "it names the objects the target maps though ptrace "
                                         "is refused (LIST_OBJECTS must refuse)")

    g = obs["gdb"]
    bo, ls = t["bo"], t["ls"]

    def gpu_check(r):
        if not re.search(rf"^{bo['id']}\s+{bo['size']}\s+VRAM\s+{bo['addr']:#x}-", r["out"],
                         re.M):
            return f"no row for object {bo['id']} in VRAM at {bo['addr']:#x}{short(r['out'])}"
        return None

    def words_check(bits, area):
        def check(r):
            got = gdb_words(r["out"], bits)
            return None if got == expected[area] else \
                f"showed {got}, the target wrote {expected[area]}"
        return check

    def spu_attach_check(r):
        if f"SPU context {ls['id']} of process {t['pid']} is inferior" not in r["out"]:
            return f"no inferior for the context{short(r['out'])}"
        return words_check(64, "ls")(r["x"])

    judge_gdb(cells["info gpu-objects"], g["attach"], g["info gpu-objects"], gpu_check)
    judge_gdb(cells["info spu-ls"], g["attach"], g["info spu-ls"], words_check(32, "ls"))
    judge_gdb(cells["x"], g["attach"], g["x"], words_check(64, "bo"))
    judge_gdb(cells["spu attach"], g["attach"], g["spu attach"], spu_attach_check)
    if not cells["spu attach"].allowed and g["spu attach"]["x"]["err"] is None:
        cells["spu attach"].fail("ALLOWS", f"x in the SPU inferior read"
                                           f"{short(g['spu attach']['x']['out'])}")
    if any("Python" in line or "Traceback" in line for line in g["noise"]):
        cells["info gpu-objects"].fail("TRACEBACK", short("\n".join(g["noise"]), 400))

    c, r = cells["spu-stub"], obs["spu-stub"]
    if c.allowed:
        if r["reply"] != expected["ls"]:
            c.fail("DENIES" if r["reply"] is None else "BYTES",
                   f"replied {r['reply']!r}, exit status {r['rc']}{short(r['err'])}")
    else:
        if r["reply"] is not None and not r["reply"].startswith("E"):
            c.fail("ALLOWS", f"replied {r['reply']!r} though ptrace is refused")
        judge_refusal(c, r)
    if not c.problems:
        c.shown = "ok" if c.allowed else "refused"

    # Nothing a path showed where ptrace refuses may hold a byte of the target; and where it
    # allows, the same check must find the bytes each reading path showed, or it could not
    # have seen a leak either.
    for col, c in cells.items():
        found = leaks([json.dumps(obs_for(obs, col))], expected)
        if not c.allowed and found:
            c.fail("LEAK", f"target bytes in what it showed: {found}")
        elif c.allowed and not c.problems and col in SHOWS_BYTES and not found:
            c.fail("LEAKCHECK", "the leak check finds none of the bytes this path showed")

    for col, c in cells.items():
        if c.problems:
            c.shown = c.problems[0][0] + "!"
        MATRIX.cells[kind, scope, col] = c


def obs_for(obs, column):
    """The observations behind one column."""
    if column in GDB_COLUMNS:
        return [obs["gdb"][column], obs["gdb"]["noise"]]
    return obs[column]


# --- The run ------------------------------------------------------------------------------

def set_scope(scope):
    with open(YAMA, "w") as f:
        f.write(str(scope))
    with open(YAMA) as f:
        assert int(f.read()) == scope


def device_access():
    """Let targets of any uid create objects: note what had to change."""
    for name in ("gpu_sim", "spu_sim", "iodbg"):
        path = f"/dev/{name}"
        mode = stat.S_IMODE(os.stat(path).st_mode)
        MATRIX.notes.append(f"/dev/{name} mode {mode:04o}")
        if name != "iodbg" and mode & 0o006 != 0o006:
            os.chmod(path, mode | 0o006)
            MATRIX.notes.append(f"  chmod o+rw /dev/{name} so that targets of any uid create "
                                f"objects")


def write_plan(kind_index, scope):
    """The bytes each write path writes in this cell: unlike the pattern and each other."""
    return {name: bytes([0x5A, kind_index, scope, i, 0xA5, 0xC3, 0x3C, 0x96]).hex()
            for i, name in enumerate(WRITES)}


def run():
    """Build the whole matrix, scope 3 last; returns nothing, fills MATRIX."""
    with open(YAMA) as f:
        if int(f.read()) == 3:
            raise RuntimeError("Yama is at scope 3 already: this suite needs a boot of its own")
    device_access()
    shutil.copy(os.path.join(PROGS, "perm_target"), SETUID_COPY)
    os.chown(SETUID_COPY, 0, 0)
    os.chmod(SETUID_COPY, 0o4755)
    with open("/proc/sys/fs/suid_dumpable") as f:
        MATRIX.notes.append(f"fs.suid_dumpable {f.read().strip()}")
    set_scope(0)
    debugger = Debugger()
    targets = []
    try:
        for kind, spec in KINDS:
            targets.append(PermTarget(kind, spec, debugger))
        for scope in SCOPES:
            set_scope(scope)
            for i, target in enumerate(targets):
                plan = write_plan(i, scope)
                writes = {}
                for name, data in plan.items():
                    off = WRITES[name]
                    writes[name] = {"data": data, "before": target.read_own("bo", off, 8)}
                obs = debugger.request(op="probe", target=target.info,
                                       writes={n: ["bo", WRITES[n], d] for n, d in plan.items()})
                if "error" in obs:
                    raise RuntimeError(f"debugger.py failed on {target.kind}, scope {scope}: "
                                       f"{obs['error']}")
                for name, w in writes.items():
                    w["after"] = target.read_own("bo", WRITES[name], 8)
                    if w["after"] != w["before"]:
                        target.poke("bo", WRITES[name], w["before"])
                judge_row(target.kind, scope, target, obs, writes)
    finally:
        debugger.close()
        for t in targets:
            t.close()


def build_once():
    if not MATRIX.cells and MATRIX.error is None:
        try:
            run()
        except Exception as e:          # noqa: BLE001  (every cell reports it)
            MATRIX.error = f"{type(e).__name__}: {e}"
    if MATRIX.error:
        raise RuntimeError(f"the matrix could not be built: {MATRIX.error}")
    return MATRIX


def report_lines():
    """The matrix as text, for the end of the test output."""
    if not MATRIX.cells:
        return [] if MATRIX.error is None else [f"permission matrix: {MATRIX.error}"]
    kernel = os.uname().release
    head = ["row (target kind, Yama scope)", "ptrace", "ptrace (child)", *COLUMNS]
    rows = []
    for kind, _ in KINDS:
        for scope in SCOPES:
            if (kind, scope, COLUMNS[0]) not in MATRIX.cells:
                continue
            rows.append([f"{kind}, yama {scope}",
                         *("allow" if p is None else p for p in MATRIX.ptrace[kind, scope]),
                         *(MATRIX.cells[kind, scope, c].shown for c in COLUMNS)])
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    fmt = lambda r: " | ".join(x.ljust(w) for x, w in zip(r, widths)).rstrip()  # noqa: E731
    lines = ["", f"=== permission matrix on {kernel}: debugger uid {DEBUGGER_UID}, "
             f"other uid {OTHER_UID}", *MATRIX.notes, fmt(head),
             "-+-".join("-" * w for w in widths)]
    lines += [fmt(r) for r in rows]
    lines += ["ptrace: PTRACE_ATTACH by the debugger, the reference of the columns up to "
              "proc_mem; ptrace (child): by a child of it, where the front ends run, their "
              "reference",
              "ok: works as ptrace allows; EPERM/EACCES/refused: refused as ptrace refuses; "
              "X!: the cell fails (ALLOWS: served though ptrace refuses; EXIT0: exit status 0 "
              "though ptrace refuses; DENIES: refused "
              "though ptrace allows; ERRNO: refused with another errno; LEAK: target bytes "
              "shown or written to the caller; WRITES: target changed; MSG: no reason given; "
              "BYTES: wrong bytes; TRACEBACK; LEAKCHECK: the leak check is blind)"]
    failing = [c for c in MATRIX.cells.values() if c.problems]
    if failing:
        lines.append(f"{len(failing)} failing cells:")
        for c in failing:
            for code, why in c.problems:
                lines.append(f"  {c.kind}, yama {c.scope}, {c.column}: {code}: {why}")
    return lines
