"""iodbg core against the reference drivers: a process with GPU objects in each placement and
one with SPU contexts (running, stopped, held but unmapped, mapped with their files closed) is
cored; stock gdb -c reads the device segments at their addresses and unwinds; eu-readelf -n
and eu-stack read the core; iodbg objects --core matches the live listing; the SPU contexts
are in Cell's NT_SPU notes and unmapped objects in IODBG data notes; a plain user cores their
own process and not another user's."""
import ctypes
import json
import os
import re
import shutil
import struct
import subprocess
import tempfile

import pytest

import iodbg_test_uapi as uapi
import libiodbg_api as api
from targets import (IODBG, PROGS, SLOWDOWN, GpuTarget, SpuTarget, Target, gdb_words,
                     gpu_pattern, iodbg, scratch_pattern, spu_pattern)

NOBODY = 65534
PAGE = os.sysconf("SC_PAGE_SIZE")
VRAM, GART, SYSTEM = uapi.IODBG_PLACEMENT_DEVICE, uapi.IODBG_PLACEMENT_GART, \
    uapi.IODBG_PLACEMENT_SYSTEM
PT_LOAD, PT_NOTE = 1, 4


def notes(path):
    """[(name, type, descriptor bytes)] of every PT_NOTE segment of the core at @path."""
    data = open(path, "rb").read()
    phoff, = struct.unpack_from("<Q", data, 32)
    phnum, = struct.unpack_from("<H", data, 56)
    found = []
    for i in range(phnum):
        p_type, _, off, _, _, filesz, _, _ = struct.unpack_from("<IIQQQQQQ", data, phoff + 56 * i)
        if p_type != PT_NOTE:
            continue
        pos = off
        while pos < off + filesz:
            namesz, descsz, ntype = struct.unpack_from("<III", data, pos)
            name = data[pos + 12:pos + 12 + namesz].rstrip(b"\0").decode()
            desc = pos + 12 + (namesz + 3) // 4 * 4
            found.append((name, ntype, data[desc:desc + descsz]))
            pos = desc + (descsz + 3) // 4 * 4
    return found


def core_of(pid, path, user=None, exe=IODBG):
    res = subprocess.run([exe, "core", "-o", str(path), str(pid)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, timeout=300 * SLOWDOWN, user=user,
                         group=user, extra_groups=[] if user is not None else None)
    return res


def gdb_core(exe, core, *commands):
    args = ["gdb", "-nx", "-batch"]
    for c in commands:
        args += ["-ex", c]
    return subprocess.run([*args, exe, str(core)], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=300 * SLOWDOWN).stdout


def listed(*args):
    res = iodbg("objects", "--json", *args)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def comparable(objects):
    """The live listing less what a running SPU context changes by itself (placement, unit)."""
    return [{k: v for k, v in o.items() if k not in ("placement", "placement_id", "unit")}
            for o in objects]


def test_core_of_gpu_objects(start, tmp_path):
    t = start(GpuTarget, 3, 4, VRAM)
    t.move(1, GART)
    t.move(2, SYSTEM)
    live = listed(t.pid)
    core = tmp_path / "gpu.core"
    res = core_of(t.pid, core)
    assert res.returncode == 0, res.stderr
    assert "3 iodbg objects" in res.stderr
    # The objects as they were, placements included (nothing moved them since).
    assert listed("--core", core) == live
    assert [o["placement"] for o in sorted(live, key=lambda o: o["id"])] == \
        ["device", "gart", "system"]
    exe = os.path.join(PROGS, "gpu_bo")
    commands = [f"x/4gx {bo['addr'] + PAGE:#x}" for bo in t.bos]
    out = gdb_core(exe, core, "bt", *commands)
    words = gdb_words(out)
    for i, bo in enumerate(t.bos):
        want = gpu_pattern(bo["id"], PAGE, 32)
        assert words[4 * i:4 * i + 4] == [int.from_bytes(want[j:j + 8], "little")
                                          for j in range(0, 32, 8)], out
    assert re.search(r"^#\d+ .*\bmain \(", out, re.M), out
    assert "Cannot access memory" not in out, out
    # iodbg read --core gives each whole object back.
    for bo in t.bos:
        res = iodbg("read", "--core", core, "-o", "-", hex(bo["addr"]), bo["size"])
        assert res.returncode == 0 and res.stdout == gpu_pattern(bo["id"], 0, bo["size"])
    # The IODBG notes: one per object, as the header lays them out.
    objs = [api.iodbg_core_object.from_buffer_copy(d) for n, ty, d in notes(core)
            if n == api.IODBG_NOTE_NAME and ty == api.IODBG_NT_OBJECT]
    assert sorted((o.id, o.start, o.stored) for o in objs) == sorted(
        (bo["id"], bo["addr"], api.IODBG_CORE_STORED_LOAD) for bo in t.bos)
    # The process goes on.
    assert t.read_bo(0, 0, 16) == gpu_pattern(t.bos[0]["id"], 0, 16)


@pytest.mark.skipif(not shutil.which("eu-readelf"), reason="no elfutils")
def test_stock_elfutils_read_the_core(start, tmp_path):
    t = start(GpuTarget, 1, 4, VRAM)
    core = tmp_path / "gpu.core"
    assert core_of(t.pid, core).returncode == 0
    out = subprocess.run(["eu-readelf", "-n", str(core)], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True).stdout
    for note in ["PRSTATUS", "PRPSINFO", "AUXV", "FILE", "FPREGSET"]:
        assert re.search(rf"^\s+CORE\s+\d+\s+{note}$", out, re.M), (note, out)
    assert len(re.findall(r"^\s+IODBG\s+", out, re.M)) == 2, out     # CORE and one object
    out = subprocess.run(["eu-readelf", "-l", str(core)], stdout=subprocess.PIPE,
                         text=True).stdout
    bo = t.bos[0]
    assert re.search(rf"LOAD\s+0x[0-9a-f]+ 0x{bo['addr']:016x} 0x0+ 0x{bo['size']:06x} "
                     rf"0x{bo['size']:06x} RW", out), out
    res = subprocess.run(["eu-stack", "--core", str(core), "-e", os.path.join(PROGS, "gpu_bo")],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         timeout=120 * SLOWDOWN)
    assert re.search(rf"^TID {t.pid}:", res.stdout, re.M), res.stdout
    assert re.search(r"^#\d+\s+0x[0-9a-f]+ main$", res.stdout, re.M), res.stdout
    # The modules with their build ids, from the ELF headers the core keeps.
    out = subprocess.run(["eu-unstrip", "-n", "--core", str(core)], stdout=subprocess.PIPE,
                         text=True).stdout
    assert re.search(r"^0x[0-9a-f]+\+0x[0-9a-f]+ [0-9a-f]{40}@\S+ \S+ \S+ \S*gpu_bo$", out,
                     re.M), out
    assert re.search(r" [0-9a-f]{40}@.* libc\.so\.6$", out, re.M), out


def test_core_of_spu_contexts(start, tmp_path):
    """Context 0 runs, 1 is stopped (its saved copy is dumped), 2 is held but unmapped (its
    bytes go in IODBG data notes), 3 is mapped but its files are closed (no SPU/ notes: Cell
    named contexts by descriptor)."""
    t = start(SpuTarget, 4)
    t.ok("stop 1")
    t.ok("unmap 2")
    t.ok("close 3")
    live = listed(t.pid)
    core = tmp_path / "spu.core"
    res = core_of(t.pid, core)
    assert res.returncode == 0, res.stderr
    assert (f"SPU context of local store {t.ctxs[3]['ls_id']}: no SPU/ notes, {t.pid} holds "
            "no file of it") in res.stderr
    assert comparable(listed("--core", core)) == comparable(live)
    ls_len = 4096           # the pattern holds below SPU_SIM_LS_COUNTER; a running context
    found = notes(core)     # changes the counter there
    spu = {n: d for n, ty, d in found if ty == api.IODBG_NT_SPU and
           n.startswith(api.IODBG_CORE_SPU_NOTE_PREFIX)}
    for i in (0, 1, 2):
        c = t.ctxs[i]
        fd = c["ls_fd"]
        assert spu[f"SPU/{fd}/mem"][:ls_len] == spu_pattern(c["ls_id"], 0, ls_len), i
        assert len(spu[f"SPU/{fd}/mem"]) == uapi.SPU_SIM_LS_SIZE
        for name in ("npc", "lslr", "object-id"):
            assert re.fullmatch(rb"0x[0-9a-f]{16}\0", spu[f"SPU/{fd}/{name}"]), name
        assert int(spu[f"SPU/{fd}/object-id"][:-1], 16) == c["ls_id"]
        assert int(spu[f"SPU/{fd}/lslr"][:-1], 16) == uapi.SPU_SIM_LS_SIZE - 1
    assert not any(n.startswith(f"SPU/{t.ctxs[3]['ls_fd']}/") for n in spu)
    # The stopped context's registers: npc as the saved copy has it.
    assert int(spu[f"SPU/{t.ctxs[1]['ls_fd']}/npc"][:-1], 16) == t.mem_regs(1).npc
    # Context 2 is mapped nowhere: its objects' bytes are in data notes.
    data = {}
    for n, ty, d in found:
        if n == api.IODBG_NOTE_NAME and ty == api.IODBG_NT_DATA:
            h = api.iodbg_core_data.from_buffer_copy(d)
            assert h.length == len(d) - ctypes.sizeof(h) and h.valid == h.length
            data[h.id] = d[ctypes.sizeof(h):]
    assert sorted(data) == sorted([t.ctxs[2]["ls_id"], t.ctxs[2]["regs_id"]])
    assert data[t.ctxs[2]["ls_id"]][:ls_len] == spu_pattern(t.ctxs[2]["ls_id"], 0, ls_len)
    # Stock gdb reads the local stores of the mapped contexts at their addresses.
    exe = os.path.join(PROGS, "spu_ctx")
    out = gdb_core(exe, core, "bt", *[f"x/2gx {t.ctxs[i]['ls'] + 64:#x}" for i in (0, 1, 3)])
    words = gdb_words(out)
    for k, i in enumerate((0, 1, 3)):
        want = spu_pattern(t.ctxs[i]["ls_id"], 64, 16)
        assert words[2 * k:2 * k + 2] == [int.from_bytes(want[:8], "little"),
                                          int.from_bytes(want[8:], "little")], out
    assert re.search(r"^#\d+ .*\bmain \(", out, re.M), out
    # And so does iodbg read --core, through the registers' mapping too.
    res = iodbg("read", "--core", core, "-o", "-", hex(t.ctxs[1]["regs"]),
                ctypes.sizeof(uapi.spu_sim_regs))
    assert res.returncode == 0
    assert uapi.spu_sim_regs.from_buffer_copy(res.stdout).npc == t.mem_regs(1).npc
    t.ok("start 1")


def test_plain_user_cores_own_process_only(start):
    """nobody cores their own SPU process (objects and all); a root process is refused with
    EPERM and the reason, and no file is left."""
    mine = start(SpuTarget, 1, user=NOBODY)
    root = start(GpuTarget, 1, 1, VRAM)
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o777)
        exe = shutil.copy(IODBG, tmp)
        os.chmod(exe, 0o755)
        res = core_of(root.pid, os.path.join(tmp, "root.core"), user=NOBODY, exe=exe)
        assert res.returncode == 1
        assert f"cannot attach to {root.pid}: Operation not permitted" in res.stderr
        assert "ptrace" in res.stderr
        assert not os.path.exists(os.path.join(tmp, "root.core"))
        path = os.path.join(tmp, "own.core")
        res = core_of(mine.pid, path, user=NOBODY, exe=exe)
        assert res.returncode == 0, res.stderr
        c = mine.ctxs[0]
        assert listed("--core", path)[0]["id"] == c["ls_id"]
        res = iodbg("read", "--core", path, "-o", "-", hex(c["ls"]), 256)
        assert res.returncode == 0 and res.stdout == spu_pattern(c["ls_id"], 0, 256)


def test_unreadable_mapping_does_not_cost_the_core(start, tmp_path):
    """A device mapping no allowed path can read (its ->access refuses, the ioctl path not
    allowed) is left without bytes, with a message and exit status 3; the rest of the core is
    whole, its object note says the bytes are not in it, and gdb says it cannot read them
    rather than show zeros. By the whole chain, the same mapping is dumped."""
    # Not "noaccess": a patched kernel reads RAM pfns without ->access through /proc/PID/mem.
    t = start(Target, "scratch_map", "4", "refuse")
    core = tmp_path / "partial.core"
    res = iodbg("core", "--path=proc_mem", "-o", core, t.pid)
    err = res.stderr.decode()
    assert res.returncode == 3, err
    assert f"core: {t.addr:012x}-{t.addr + t.size:012x} " in err
    assert f"0 of {t.size} bytes dumped" in err and f"written to {core}" in err
    [obj] = [api.iodbg_core_object.from_buffer_copy(d) for n, ty, d in notes(core)
             if n == api.IODBG_NOTE_NAME and ty == api.IODBG_NT_OBJECT]
    assert obj.start == t.addr and obj.stored == api.IODBG_CORE_STORED_NONE
    res = iodbg("read", "--core", core, hex(t.addr), 16)
    assert res.returncode == 1
    assert (f"{t.addr:#x}: iodbg object {obj.id} (scratch) was mapped there, but could not be "
            "read when the core was written") in res.stderr.decode()
    out = gdb_core(os.path.join(PROGS, "scratch_map"), core, "bt", f"x/2gx {t.addr:#x}")
    assert f"Cannot access memory at address {t.addr:#x}" in out, out
    assert re.search(r"^#\d+ .*\bmain \(", out, re.M), out
    res = iodbg("core", "-o", core, t.pid)
    assert res.returncode == 0, res.stderr
    res = iodbg("read", "--core", core, "-o", "-", hex(t.addr), t.size)
    assert res.returncode == 0 and res.stdout == scratch_pattern(0, t.size)
