"""The remote backend: the iodbg commands on a process of another machine, through the
'monitor iodbg ... --json' commands of iodbg-gdbserver at the other end of a 'target remote'
or 'target extended-remote' connection.

RemoteTarget offers what the commands use of libiodbg.Target (objects, mappings, probes and
reads, by address or by object), with the same values and the same errors, so that each
command prints the same over the wire as natively. The board's libiodbg does the work; this
side needs no /proc and no device, only the package (whose libiodbg names kinds and
placements).
"""
import errno
import functools
import json

import gdb

from . import libiodbg
from .libiodbg import IodbgError

# The version of the proxy's JSON documents this reads ("iodbg-json"); later versions of the
# proxy may add members, which are ignored.
JSON_VERSION = 1
# Bytes per 'monitor iodbg read': each comes as 4 characters over the wire (hex in JSON, in
# hex 'O' packets).
READ_CHUNK = 1 << 16
# Addresses per 'monitor iodbg probe', whose command line must fit one packet.
PROBE_BATCH = 2048


def text(value):
    """A string of the proxy's JSON, whose characters are bytes (see json_string() in
    iodbg-gdbserver), as the native backend decodes the library's strings."""
    return value.encode("latin-1", errors="replace").decode(errors="replace")


class Segment:
    """A sub-range of a transfer, as libiodbg.Segment, from the proxy's report."""

    def __init__(self, seg):
        self.addr, self.len = seg["addr"], seg["len"]
        self.error, self.why = seg["errno"], text(seg["why"])
        self._path = text(seg["path"]) if seg["path"] is not None else "none"
        self.attempts = [(text(a["path"]) if a["path"] is not None else "none", a["errno"],
                          text(a["why"])) for a in seg["attempts"]]

    @property
    def path_name(self):
        return self._path if self.error == 0 else "none"


class RemoteTarget:
    """Process @pid of the remote side of the selected inferior's connection, through
    iodbg-gdbserver; an interface of libiodbg.Target."""

    def __init__(self, pid):
        self.pid = pid
        self._maps = self._objects = None
        self._policy = ["--path", "auto", "--allow-mmio", "off"]

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def set_policy(self, path, allow_mmio):
        self._policy = ["--path", path, "--allow-mmio", "on" if allow_mmio else "off"]

    def _request(self, command, *args, policy=False):
        """The JSON document of 'monitor iodbg COMMAND --json --pid PID [policy] ARGS'; an
        IodbgError with the board's errno and message if it reports an error."""
        words = ["monitor", "iodbg", command, "--json", "--pid", str(self.pid)]
        words += (self._policy if policy else []) + [str(a) for a in args]
        line = " ".join(words)
        try:
            out = gdb.execute(line, to_string=True)
        except gdb.error as e:
            raise IodbgError(errno.EPROTO, f"the remote side does not answer '{line}' ({e}): "
                             "the iodbg commands need iodbg-gdbserver on the remote "
                             "side, not gdbserver alone") from None
        try:
            doc = json.loads(out)
            version = doc["iodbg-json"]
        except (ValueError, TypeError, KeyError):
            raise IodbgError(errno.EPROTO, f"the remote side's answer to '{line}' is no "
                             f"iodbg JSON document: {out[:200]!r}") from None
        if version != JSON_VERSION:
            raise IodbgError(errno.EPROTO, f"the remote iodbg-gdbserver speaks iodbg-json "
                             f"version {version}, this GDB package version {JSON_VERSION}")
        error = doc.get("error")
        if error is not None:
            raise IodbgError(error["errno"], text(error["message"]))
        return doc

    @staticmethod
    def _object(fields):
        return libiodbg.Object._make(fields[name] for name in libiodbg.Object._fields)

    def objects(self, fresh=False):
        if self._objects is None or fresh:
            self._objects = list(map(self._object, self._request("objects")["objects"]))
        return self._objects

    def map_columns(self):
        if self._maps is None:
            maps = self._request("maps")["maps"]
            columns = {name: [m[name] for m in maps]
                       for name in ("start", "end", "offset", "inode", "flags")}
            columns["path"] = [text(m["path"]) for m in maps]
            columns["kind"] = [text(m["kind"]) for m in maps]
            columns["object"] = [self._object(m["object"]) if m["object"] else None
                                 for m in maps]
            self._maps = columns
        return self._maps

    def maps(self):
        columns = self.map_columns()
        return list(map(functools.partial(tuple.__new__, libiodbg.Map),
                        zip(*[columns[name] for name in libiodbg.Map._fields])))

    def first_paths(self, addrs):
        paths = []
        for i in range(0, len(addrs), PROBE_BATCH):
            doc = self._request("probe", *map(hex, addrs[i:i + PROBE_BATCH]), policy=True)
            paths += [text(p) if p is not None else None for p in doc["paths"]]
        return paths

    def first_path(self, addr):
        doc = self._request("read", hex(addr), 1, policy=True)
        if doc["result"] < 0:
            raise IodbgError(-doc["result"], text(doc["message"]))
        segments = doc["segments"]
        return Segment(segments[0]).path_name if segments else "none"

    def _read(self, where, length):
        """A libiodbg.Transfer of @length bytes read READ_CHUNK at a time by 'monitor iodbg
        read WHERE OFFSET LENGTH' (@where: the words before the offset, which is added to
        the last of them)."""
        data, segments, done = [], [], 0
        *head, base = where
        while done < length:
            n = min(READ_CHUNK, length - done)
            doc = self._request("read", *head, hex(base + done), n, policy=True)
            result, message = doc["result"], text(doc["message"])
            if result < 0 and done == 0:
                raise IodbgError(-result, message)
            got = max(result, 0)
            data.append(bytes.fromhex(doc["data"][:2 * got]))
            segments += map(Segment, doc["segments"])
            done += got
            if got < n:
                return libiodbg.Transfer(done, b"".join(data), segments, message)
        return libiodbg.Transfer(done, b"".join(data), segments, None)

    def read(self, addr, length):
        return self._read((addr,), length)

    def read_object(self, object_id, offset, length):
        return self._read(("--object", str(object_id), offset), length)
