"""The benchmarks' helpers (tests/bench/README.md): the target programs' "time" command, which
copies their own mapping for make bench's ceiling, and bench_rw, the debugger's side. Their
write passes must leave the object as it was, and their checks must catch wrong bytes, or a
benchmark could time a transfer that moved the wrong bytes."""
import mmap
import os
import subprocess

import pytest

from targets import (GPU_PATTERN, PROGS, GpuTarget, SpuTarget, Target, gpu_pattern,
                     scratch_pattern, spu_pattern)

PAGE = mmap.PAGESIZE


def ns(reply):
    word, value = reply.split()
    assert word == "ns" and int(value) > 0, reply
    return int(value)


@pytest.mark.parametrize("direction", ["read", "write"])
def test_gpu_bo_time_leaves_the_object_as_it_was(uapi, direction):
    target = GpuTarget(1, 8, uapi.IODBG_PLACEMENT_DEVICE)
    try:
        bo_id = target.bos[0]["id"]
        ns(target.command(f"time 0 {PAGE} {4 * PAGE} {PAGE} 3 {direction}"))
        assert target.read_bo(0, 0, 8 * PAGE) == gpu_pattern(bo_id, 0, 8 * PAGE)
    finally:
        target.close()


def test_scratch_map_and_spu_ctx_time_their_mappings(uapi):
    scratch = Target("scratch_map", "4")
    spu = SpuTarget(1)
    try:
        ns(scratch.command(f"time 0 {4 * PAGE} {PAGE} 2 write"))
        assert scratch.read_own(0, 4 * PAGE) == scratch_pattern(0, 4 * PAGE)
        ns(spu.command(f"time 0 0 {uapi.SPU_SIM_LS_SIZE} {uapi.SPU_SIM_LS_SIZE} 2 read"))
        ls_id = spu.ctxs[0]["ls_id"]
        assert spu.own_ls(0, 0, PAGE) == spu_pattern(ls_id, 0, PAGE)
    finally:
        scratch.close()
        spu.close()


@pytest.mark.parametrize("request_", [f"0 0 {PAGE} 0 1 read",          # no chunk
                                      f"0 4 {PAGE} {PAGE} 1 read",     # unaligned
                                      f"0 0 {9 * PAGE} {PAGE} 1 read",  # past the end
                                      f"0 0 {PAGE} {PAGE} 1 sideways",
                                      f"7 0 {PAGE} {PAGE} 1 read"])    # no object 7
def test_gpu_bo_time_refuses_bad_requests(uapi, request_):
    target = GpuTarget(1, 8, uapi.IODBG_PLACEMENT_DEVICE)
    try:
        assert target.command(f"time {request_}").startswith("error")
        assert target.read_bo(0, 0, 8 * PAGE) == gpu_pattern(target.bos[0]["id"], 0, 8 * PAGE)
    finally:
        target.close()


def bench_rw(pid, *lines):
    out = subprocess.run([os.path.join(PROGS, "bench_rw"), str(pid)], input="".join(
        line + "\n" for line in lines), stdout=subprocess.PIPE, text=True, check=True).stdout
    return out.splitlines()


@pytest.mark.parametrize("path", ["mem", "rw-addr", "object", "generic-mmio", "libiodbg:auto",
                                  "libiodbg:ioctl"])
def test_bench_rw_writes_back_what_it_read(uapi, path):
    target = GpuTarget(1, 8, uapi.IODBG_PLACEMENT_DEVICE)
    try:
        bo = target.bos[0]
        first = GPU_PATTERN | bo["id"] << 32
        addr = 0 if path == "object" else bo["addr"]
        path = f"object:{bo['fd']}" if path == "object" else path
        replies = bench_rw(target.pid, f"time {path} {addr:#x} {8 * PAGE} {PAGE} 2 write "
                           f"{first:#x}")
        ns(replies[0])
        assert target.read_bo(0, 0, 8 * PAGE) == gpu_pattern(bo["id"], 0, 8 * PAGE)
    finally:
        target.close()


def test_bench_rw_catches_wrong_bytes(uapi):
    target = GpuTarget(1, 2, uapi.IODBG_PLACEMENT_DEVICE)
    try:
        bo = target.bos[0]
        first = GPU_PATTERN | bo["id"] << 32
        wrong, right = bench_rw(target.pid,
                                f"time mem {bo['addr']:#x} {2 * PAGE} {PAGE} 1 read "
                                f"{first + 8:#x}",
                                f"time mem {bo['addr']:#x} {2 * PAGE} {PAGE} 1 read {first:#x}")
        assert wrong.startswith("error: wrong bytes at offset 0")
        ns(right)
    finally:
        target.close()
