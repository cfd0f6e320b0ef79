"""libiodbg through ctypes: the one place the GDB package talks to the C library.

The structures come from libiodbg_api, which the build generates from libiodbg's public header
(scripts/gen-uapi-python) and checks against the C compiler; nothing here retypes a layout.
Every failure is an IodbgError carrying the library's own message.
"""
import array
import collections
import ctypes
import errno
import functools
import os
import struct

import libiodbg_api as api

from . import paths

SONAME = "libiodbg.so.0"


class IodbgError(Exception):
    """A libiodbg call failed: .errno is the positive errno, str() the library's message."""

    def __init__(self, err, message):
        super().__init__(message or os.strerror(err))
        self.errno = err


def _load():
    """libiodbg from $IODBG_LIBIODBG, the build tree, an installation beside the package, or
    the dynamic linker's search path."""
    path = paths.find("IODBG_LIBIODBG", os.path.join("build", "libiodbg", "lib", SONAME),
                      os.path.join("lib", SONAME)) or SONAME
    try:
        return ctypes.CDLL(path, use_errno=True)
    except OSError as e:
        raise IodbgError(errno.ENOENT, f"cannot load libiodbg (build it with 'make build', "
                         f"install it with 'make install', or set IODBG_LIBIODBG): {e}") from None


_lib = None
_SSIZE = ctypes.c_ssize_t
_U64 = ctypes.c_uint64
_VOIDP = ctypes.c_void_p
# name: (restype, argtypes)
_PROTOTYPES = {
    "iodbg_version": (ctypes.c_char_p, []),
    "iodbg_errmsg": (ctypes.c_char_p, [_VOIDP]),
    "iodbg_path_name": (ctypes.c_char_p, [ctypes.c_int]),
    "iodbg_path_from_name": (ctypes.c_int, [ctypes.c_char_p]),
    "iodbg_kernel_info": (ctypes.c_int, [ctypes.POINTER(api.iodbg_kernel_info)]),
    "iodbg_open": (ctypes.c_int, [ctypes.c_int, ctypes.c_uint, ctypes.POINTER(_VOIDP)]),
    "iodbg_close": (None, [_VOIDP]),
    "iodbg_set_path": (ctypes.c_int, [_VOIDP, ctypes.c_int]),
    "iodbg_set_allow_mmio": (ctypes.c_int, [_VOIDP, ctypes.c_int]),
    "iodbg_map_kind": (ctypes.c_char_p, [ctypes.POINTER(api.iodbg_map)]),
    "iodbg_maps_read": (ctypes.c_int, [_VOIDP, ctypes.POINTER(_VOIDP)]),
    "iodbg_maps_count": (ctypes.c_size_t, [_VOIDP]),
    # The listings' entries come back as addresses, for _Layout to unpack at once.
    "iodbg_maps_get": (_VOIDP, [_VOIDP, ctypes.c_size_t]),
    "iodbg_maps_free": (None, [_VOIDP]),
    "iodbg_objects": (ctypes.c_int, [_VOIDP, ctypes.POINTER(_VOIDP)]),
    "iodbg_objects_count": (ctypes.c_size_t, [_VOIDP]),
    "iodbg_objects_get": (_VOIDP, [_VOIDP, ctypes.c_size_t]),
    "iodbg_objects_free": (None, [_VOIDP]),
    "iodbg_object_kind_name": (ctypes.c_char_p, [ctypes.c_uint32]),
    "iodbg_placement_name": (ctypes.c_char_p, [ctypes.c_uint32]),
    "iodbg_report_new": (_VOIDP, []),
    "iodbg_report_free": (None, [_VOIDP]),
    "iodbg_report_count": (ctypes.c_size_t, [_VOIDP]),
    "iodbg_report_get": (ctypes.POINTER(api.iodbg_segment), [_VOIDP, ctypes.c_size_t]),
    "iodbg_read": (_SSIZE, [_VOIDP, _U64, _VOIDP, ctypes.c_size_t, _VOIDP]),
    "iodbg_write": (_SSIZE, [_VOIDP, _U64, _VOIDP, ctypes.c_size_t, _VOIDP]),
    "iodbg_object_read": (_SSIZE, [_VOIDP, _U64, _U64, _VOIDP, ctypes.c_size_t, _VOIDP]),
    "iodbg_object_write": (_SSIZE, [_VOIDP, _U64, _U64, _VOIDP, ctypes.c_size_t, _VOIDP]),
    "iodbg_probe": (ctypes.c_int, [_VOIDP, ctypes.POINTER(_U64), ctypes.c_size_t,
                                   ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int)]),
    "iodbg_core_open": (ctypes.c_int, [ctypes.c_char_p, ctypes.POINTER(_VOIDP)]),
    "iodbg_core_close": (None, [_VOIDP]),
    "iodbg_core_objects": (ctypes.c_int, [_VOIDP, ctypes.POINTER(_VOIDP)]),
    "iodbg_core_read": (_SSIZE, [_VOIDP, _U64, _VOIDP, ctypes.c_size_t]),
    "iodbg_core_object_read": (_SSIZE, [_VOIDP, _U64, _U64, _VOIDP, ctypes.c_size_t]),
}


def lib():
    """The loaded library, with every prototype declared (loaded on first use)."""
    global _lib
    if _lib is None:
        handle = _load()
        for name, (restype, argtypes) in _PROTOTYPES.items():
            fn = getattr(handle, name, None)
            if fn is None:
                raise IodbgError(errno.ENOSYS, f"{handle._name} has no {name}: libiodbg "
                                 f"{api.IODBG_VERSION_STRING} or later is needed")
            fn.restype, fn.argtypes = restype, argtypes
        _lib = handle
    return _lib


def _text(value):
    return value.decode(errors="replace") if value else ""


def version():
    return _text(lib().iodbg_version())


@functools.lru_cache(maxsize=None)
def path_name(path):
    return _text(lib().iodbg_path_name(path)) or str(path)


def path_from_name(name):
    rc = lib().iodbg_path_from_name(name.encode())
    if rc < 0:
        raise IodbgError(-rc, f"no such path: {name}")
    return rc


# The names below are asked for each of tens of thousands of entries, of a handful of values.
@functools.lru_cache(maxsize=None)
def kind_name(kind):
    return _text(lib().iodbg_object_kind_name(kind))


@functools.lru_cache(maxsize=None)
def placement_name(placement):
    return _text(lib().iodbg_placement_name(placement))


@functools.lru_cache(maxsize=None)
def _map_kind(flags):
    """iodbg_map_kind() of a mapping with @flags, which is all it looks at."""
    return _text(lib().iodbg_map_kind(ctypes.byref(api.iodbg_map(flags=flags))))


def kernel_info():
    """(loaded, abi_version, features); a missing module is not an error."""
    info = api.iodbg_kernel_info()
    rc = lib().iodbg_kernel_info(ctypes.byref(info))
    if rc < 0:
        raise IodbgError(-rc, _text(lib().iodbg_errmsg(None)))
    return bool(info.loaded), info.abi_version, info.features


class _Layout:
    """The fields of a generated ctypes structure, unpacked from its bytes (pointers as
    addresses): one at an address in one call, or the fields of an array of them a column at
    a time. A listing has tens of thousands of entries, and reading them field by field
    through ctypes, or even a tuple per entry, costs several times more."""

    _CODES = {ctypes.c_uint64: "Q", ctypes.c_int64: "q", ctypes.c_uint32: "I",
              ctypes.c_int32: "i"}

    def __init__(self, cls):
        fmt, pos = "=", 0
        self.codes = {}
        for name, ctype in cls._fields_:
            field = getattr(cls, name)
            code = self._CODES.get(ctype)
            if code is None:    # a pointer, which this unpacks as an address
                assert ctype is ctypes.c_char_p or issubclass(ctype, ctypes._Pointer), ctype
                code = {8: "Q", 4: "I"}[ctypes.sizeof(ctypes.c_void_p)]
            fmt += "x" * (field.offset - pos) + code
            pos = field.offset + field.size
            self.codes[name] = (code, field.offset, field.size)
        self.names = tuple(name for name, _ in cls._fields_)
        self.size = ctypes.sizeof(cls)
        self.unpack = struct.Struct(fmt + "x" * (self.size - pos)).unpack
        assert struct.calcsize(fmt + "x" * (self.size - pos)) == self.size

    def at(self, address):
        return self.unpack(ctypes.string_at(address, self.size))

    def columns(self, address, count, names=None):
        """{name: [the field of each]} of @count structures one after another from @address
        (of the fields @names, else all), from one copy of their bytes."""
        raw = memoryview(ctypes.string_at(address, count * self.size) if count else b"")
        columns = {}
        for name in names or self.names:
            code, offset, size = self.codes[name]
            # Every field is aligned to its size, and the structure to its largest field's.
            columns[name] = raw.cast(code)[offset // size::self.size // size].tolist()
        return columns


_OBJECT = _Layout(api.iodbg_object)
_MAP = _Layout(api.iodbg_map)


class Object(collections.namedtuple("ObjectFields", _OBJECT.names)):
    """One entry of iodbg_objects(): an iodbg object and one mapping of it (start 0 if the
    process holds the object without mapping it), with the fields of struct iodbg_object."""

    __slots__ = ()

    @classmethod
    def at(cls, address):
        """The entry at @address, a struct iodbg_object of the library."""
        return cls._make(_OBJECT.at(address))

    @classmethod
    def array(cls, address, count):
        """The @count entries one after another from @address, as a list."""
        columns = _OBJECT.columns(address, count)
        return list(map(functools.partial(tuple.__new__, cls),
                        zip(*[columns[name] for name in cls._fields])))

    @property
    def kind_name(self):
        return kind_name(self.kind)

    @property
    def placement_name(self):
        return placement_name(self.placement)

    @property
    def mapped(self):
        return self.length != 0

    def address_of(self, offset):
        """The user address of byte @offset of the object, or None where this mapping does
        not show it."""
        if self.mapped and self.offset <= offset < self.offset + self.length:
            return self.start + offset - self.offset
        return None


@functools.lru_cache(maxsize=None)
def perms(flags):
    """"rw-p" and the like, as /proc/PID/maps prints them."""
    bits = ((api.IODBG_MAP_READ, "r"), (api.IODBG_MAP_WRITE, "w"), (api.IODBG_MAP_EXEC, "x"))
    return "".join(c if flags & bit else "-" for bit, c in bits) + \
        ("s" if flags & api.IODBG_MAP_SHARED else "p")


class Map(collections.namedtuple("MapFields", ("start", "end", "offset", "inode", "flags",
                                                  "path", "kind", "object"))):
    """One mapping of the process (a line of /proc/PID/maps) as libiodbg classifies it: the
    fields of its struct iodbg_map but the device numbers, its kind (iodbg_map_kind()) and
    its iodbg object (an Object, or None)."""

    __slots__ = ()

    @property
    def perms(self):
        return perms(self.flags)


def _map_columns(first, count):
    """The Map fields of a listing of @count mappings whose first struct iodbg_map is at
    @first, {name: [the field of each]}. libiodbg keeps a listing's mappings in one array,
    their paths one after another in one block and their objects in one array (see
    iodbg_maps_get()), so that each comes over in one copy: a process may have tens of
    thousands of mappings."""
    columns = _MAP.columns(first, count, ("start", "end", "offset", "inode", "flags", "path",
                                          "object"))
    paths, objects = columns["path"], columns["object"]
    if count:
        paths = (ctypes.string_at(paths[0], paths[-1] - paths[0]) +
                 ctypes.string_at(paths[-1])).decode(errors="replace").split("\0")
        if len(paths) != count:
            raise IodbgError(errno.EPROTO, "libiodbg's mappings do not have their paths in "
                             "one block")
    at = [address for address in objects if address]
    by_address = {}
    if at:
        base, top = min(at), max(at)
        by_address = dict(zip(range(base, top + 1, _OBJECT.size),
                              Object.array(base, (top - base) // _OBJECT.size + 1)))
    kinds = {flags: _map_kind(flags) for flags in set(columns["flags"])}
    columns.update(path=paths, object=list(map(by_address.get, objects)),
                   kind=list(map(kinds.__getitem__, columns["flags"])))
    return columns


class Segment:
    """A sub-range of a transfer, the path that served it, and why the others failed."""

    def __init__(self, c_segment):
        self.addr, self.len = c_segment.addr, c_segment.len
        self.path, self.error = c_segment.path, -c_segment.error
        self.why = _text(c_segment.why)
        self.attempts = [(a.path, -a.error, _text(a.why))
                         for a in c_segment.attempts[:c_segment.nattempts]]

    @property
    def path_name(self):
        return path_name(self.path) if self.error == 0 else "none"


class Transfer:
    """What a read or write did: the bytes (for a read), the segments, and the error that
    stopped it early, if any."""

    def __init__(self, done, data, segments, error):
        self.done, self.data, self.segments, self.error = done, data, segments, error

    def paths(self):
        """The names of the paths that served bytes, in order of first use."""
        names = []
        for seg in self.segments:
            if seg.error == 0 and seg.path_name not in names:
                names.append(seg.path_name)
        return names


class Target:
    """An open process (iodbg_open); close() it, or use it in a with-block."""

    def __init__(self, pid):
        handle = _VOIDP()
        rc = lib().iodbg_open(pid, 0, ctypes.byref(handle))
        if rc < 0:
            raise IodbgError(-rc, _text(lib().iodbg_errmsg(None)))
        self.pid, self._handle = pid, handle
        self._maps = self._objects = None

    def close(self):
        if self._handle:
            lib().iodbg_close(self._handle)
            self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _check(self, rc):
        if rc < 0:
            raise IodbgError(-rc, _text(lib().iodbg_errmsg(self._handle)))
        return rc

    def set_policy(self, path, allow_mmio):
        self._check(lib().iodbg_set_path(self._handle, path_from_name(path)))
        self._check(lib().iodbg_set_allow_mmio(self._handle, int(bool(allow_mmio))))

    def _listing(self, read, kind, wrap):
        """A libiodbg listing (made by @read; iodbg_KIND_count, _get and _free), whose entries
        are one array, as what @wrap(address of the first, count) makes of them."""
        handle = _VOIDP()
        self._check(getattr(lib(), read)(self._handle, ctypes.byref(handle)))
        try:
            count = getattr(lib(), f"{kind}_count")(handle)
            return wrap(getattr(lib(), f"{kind}_get")(handle, 0), count)
        finally:
            getattr(lib(), f"{kind}_free")(handle)

    def map_columns(self):
        """The mappings, {Map field: [the field of each mapping]}, listed once per target:
        what one command (or one redraw of the TUI window) shows comes from one snapshot."""
        if self._maps is None:
            self._maps = self._listing("iodbg_maps_read", "iodbg_maps", _map_columns)
        return self._maps

    def maps(self):
        """The mappings, a Map each, from map_columns()."""
        columns = self.map_columns()
        return list(map(functools.partial(tuple.__new__, Map),
                        zip(*[columns[name] for name in Map._fields])))

    def objects(self, fresh=False):
        """The iodbg objects, listed once per target as maps() unless @fresh."""
        if self._objects is None or fresh:
            self._objects = self._listing("iodbg_objects", "iodbg_objects", Object.array)
        return self._objects

    def _transfer(self, fn, where, buf, length):
        report = lib().iodbg_report_new()
        if not report:
            raise IodbgError(errno.ENOMEM, "out of memory")
        try:
            n = fn(*where, buf, length, report)
            segments = [Segment(lib().iodbg_report_get(report, i).contents)
                        for i in range(lib().iodbg_report_count(report))]
            message = _text(lib().iodbg_errmsg(self._handle))
        finally:
            lib().iodbg_report_free(report)
        if n < 0:
            raise IodbgError(-n, message)
        return n, segments, (message if n < length else None)

    def _read(self, fn, where, length):
        buf = ctypes.create_string_buffer(length)
        n, segments, error = self._transfer(fn, where, buf, length)
        return Transfer(n, buf.raw[:n], segments, error)

    def _write(self, fn, where, data):
        n, segments, error = self._transfer(fn, where, data, len(data))
        return Transfer(n, None, segments, error)

    def first_path(self, addr):
        """The name of the path that reads the byte at @addr now: read() of one byte that
        keeps nothing else of its report, for a probe of each of many mappings. Raises
        IodbgError as read() does."""
        buf = ctypes.create_string_buffer(1)
        report = lib().iodbg_report_new()
        if not report:
            raise IodbgError(errno.ENOMEM, "out of memory")
        try:
            n = lib().iodbg_read(self._handle, addr, buf, 1, report)
            if n < 0:
                raise IodbgError(-n, _text(lib().iodbg_errmsg(self._handle)))
            return path_name(lib().iodbg_report_get(report, 0).contents.path)
        finally:
            lib().iodbg_report_free(report)

    def first_paths(self, addrs):
        """The name of the path that reads the byte at each of @addrs now, or None where none
        does (first_path() of that address says why): first_path() of each, in one library
        call that reads the ordinary ones together."""
        n = len(addrs)
        at = array.array("Q", addrs)
        found = (ctypes.c_int * max(n, 1))()
        rc = lib().iodbg_probe(self._handle, (_U64 * max(n, 1)).from_buffer(at) if n else None,
                               n, found, None)
        if rc < 0:
            raise IodbgError(-rc, _text(lib().iodbg_errmsg(self._handle)))
        found = found[:n]
        names = {p: None if p == api.IODBG_PATH_NONE else path_name(p) for p in set(found)}
        return list(map(names.__getitem__, found))

    def read(self, addr, length):
        return self._read(functools.partial(lib().iodbg_read, self._handle), (addr,), length)

    def write(self, addr, data):
        return self._write(functools.partial(lib().iodbg_write, self._handle), (addr,), data)

    def read_object(self, object_id, offset, length):
        return self._read(functools.partial(lib().iodbg_object_read, self._handle),
                          (object_id, offset), length)

    def write_object(self, object_id, offset, data):
        return self._write(functools.partial(lib().iodbg_object_write, self._handle),
                           (object_id, offset), data)


class CoreTransfer(Transfer):
    """What a read of a core file did: its bytes all come from the file."""

    def __init__(self, done, data, error):
        super().__init__(done, data, [], error)

    def paths(self):
        return ["core"] if self.done else []


class Core:
    """An open core file (iodbg_core_open) with the reading methods of Target: the objects
    and the memory of the process as they were when the core was written. close() it, or
    use it in a with-block."""

    def __init__(self, path):
        handle = _VOIDP()
        rc = lib().iodbg_core_open(os.fsencode(path), ctypes.byref(handle))
        if rc < 0:
            raise IodbgError(-rc, _text(lib().iodbg_errmsg(None)))
        self.path, self._handle = path, handle
        self._objects = None

    def close(self):
        if self._handle:
            lib().iodbg_core_close(self._handle)
            self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def set_policy(self, path, allow_mmio):
        """Nothing to choose: every byte comes from the file."""

    def objects(self, fresh=False):
        """The iodbg objects at dump time (the same whether @fresh or not)."""
        if self._objects is None:
            handle = _VOIDP()
            rc = lib().iodbg_core_objects(self._handle, ctypes.byref(handle))
            if rc < 0:
                raise IodbgError(-rc, f"{self.path}: {_text(lib().iodbg_errmsg(None))}")
            try:
                self._objects = Object.array(lib().iodbg_objects_get(handle, 0),
                                             lib().iodbg_objects_count(handle))
            finally:
                lib().iodbg_objects_free(handle)
        return self._objects

    def _read(self, fn, where, length):
        buf = ctypes.create_string_buffer(length)
        n = fn(self._handle, *where, buf, length)
        message = _text(lib().iodbg_errmsg(None))
        if n < 0:
            raise IodbgError(-n, message)
        return CoreTransfer(n, buf.raw[:n], message if n < length else None)

    def read(self, addr, length):
        return self._read(lib().iodbg_core_read, (addr,), length)

    def read_object(self, object_id, offset, length):
        return self._read(lib().iodbg_core_object_read, (object_id, offset), length)

    def map_columns(self):
        raise IodbgError(errno.EOPNOTSUPP, f"{self.path} is a core file, which keeps no "
                         "listing of the mappings with their kinds and paths ('info proc "
                         "mappings' lists its segments)")
