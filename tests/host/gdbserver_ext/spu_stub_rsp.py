"""A remote-protocol client for the tests of the SPU stub: gdb's side of the pipes, byte-exact."""
import os
import select
import subprocess

import pytest


def packet(payload):
    """payload framed as gdb frames it."""
    return b"$%s#%02x" % (payload, sum(payload) % 256)


class Rsp:
    """A remote-protocol client on the stub's pipes, byte-exact, as gdb's side."""

    def __init__(self, args):
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)

    def send(self, raw):
        self.proc.stdin.write(raw)
        self.proc.stdin.flush()

    def read(self, n, timeout=10):
        """Exactly n bytes of what the stub writes."""
        data = b""
        while len(data) < n:
            if not select.select([self.proc.stdout], [], [], timeout)[0]:
                pytest.fail(f"the stub said nothing more after {data!r}")
            chunk = os.read(self.proc.stdout.fileno(), n - len(data))
            if not chunk:
                pytest.fail(f"the stub closed its output after {data!r}")
            data += chunk
        return data

    def reply(self):
        """The next packet the stub sends, checked and acknowledged: its payload."""
        assert self.read(1) == b"$"
        payload = b""
        while not payload.endswith(b"#"):
            payload += self.read(1)
        payload = payload[:-1]
        assert int(self.read(2), 16) == sum(payload) % 256, payload
        self.send(b"+")
        return payload

    def ask(self, payload):
        """Send one packet; the stub's reply payload."""
        self.send(packet(payload))
        assert self.read(1) == b"+"
        return self.reply()

    def quiet(self, timeout=0.3):
        """Whether the stub stays silent for a while."""
        return not select.select([self.proc.stdout], [], [], timeout)[0]

    def close(self):
        self.proc.kill()
        self.proc.wait()


def gdb_batch(*commands):
    args = ["gdb", "-nx", "-batch"]
    for c in commands:
        args += ["-ex", c]
    return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=60).stdout
