"""The remote board of tests/remote, run in the test VM by the host test:

    board.py FOLDER PORT [PROXY]

Starts an SPU program (its contexts stopped, so that its registers stay still) and a GPU
program, runs the iodbg GDB commands of commands.py on each with the guest's own gdb (the native
output), writes FOLDER/board.json, and serves the host's gdb with
'iodbg-gdbserver --multi :PORT' (or PROXY, a build of it) until that session ends, which the
proxy must end with exit status 0."""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", "guest"),
                os.path.join(os.environ["IODBG_OUT"], "build", "python")]

import iodbg_test_uapi as uapi  # noqa: E402
from commands import gpu_commands, spu_commands  # noqa: E402
from targets import GpuTarget, SpuTarget, gdb_batch  # noqa: E402

PROXY = os.path.join(os.environ["IODBG_OUT"], "build", "gdbserver-ext", "iodbg-gdbserver")


def main(folder, port, proxy_path=PROXY):
    spu = SpuTarget(2)
    gpu = GpuTarget(2, 2, uapi.IODBG_PLACEMENT_DEVICE)
    proxy = None
    try:
        for i in range(2):
            assert spu.command(f"stop {i}") == "ok"
        ctx, handle = spu.ctxs[1]["ls_id"], gpu.bos[1]["id"]
        board = {"spu": spu.pid, "gpu": gpu.pid, "ctx": ctx, "handle": handle,
                 "native_spu": gdb_batch(spu.pid, *spu_commands(ctx, f"{folder}/spu.bin"),
                                         iodbg=True),
                 "native_gpu": gdb_batch(gpu.pid, *gpu_commands(handle, f"{folder}/gpu.bin"),
                                         iodbg=True)}
        proxy = subprocess.Popen([proxy_path, "--multi", f":{port}"], stdin=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True)
        line = proxy.stderr.readline()
        assert line.startswith("Listening on port"), line
        with open(f"{folder}/board.json.tmp", "w") as f:
            json.dump(board, f)
        os.rename(f"{folder}/board.json.tmp", f"{folder}/board.json")
        # The host's session: the proxy serves one, and ends with it.
        assert proxy.wait(timeout=600) == 0, proxy.stderr.read()
    finally:
        if proxy is not None and proxy.poll() is None:
            proxy.kill()
        spu.close()
        gpu.close()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), *sys.argv[3:4])
