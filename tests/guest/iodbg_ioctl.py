"""The iodbg debug ioctls from Python, through the structures generated from the uapi header."""
import ctypes
import fcntl
import os

import iodbg_test_uapi as uapi

libc = ctypes.CDLL(None, use_errno=True)
SYS_pidfd_getfd = 438


def _ioctl(path_or_fd, request, arg):
    fd = os.open(path_or_fd, os.O_RDWR) if isinstance(path_or_fd, str) else path_or_fd
    try:
        fcntl.ioctl(fd, request, arg)
    finally:
        if isinstance(path_or_fd, str):
            os.close(fd)


def _rw_at(request, target, pid, addr, buf_address, length, flags, **overrides):
    """IODBG_IOC_RW_ADDR or RW_OBJECT with the caller's buffer at @buf_address; @overrides set
    fields after the rest. Returns done; raises OSError with the ioctl's errno."""
    args = uapi.iodbg_rw(size=ctypes.sizeof(uapi.iodbg_rw), pid=pid, addr=addr, buf=buf_address,
                         len=length, flags=flags)
    for name, value in overrides.items():
        setattr(args, name, value)
    _ioctl(target, request, args)
    return args.done


def rw(request, target, addr, length_or_data, flags=0, pid=0, **overrides):
    """IODBG_IOC_RW_ADDR (target: /dev/iodbg) or RW_OBJECT (target: an object fd). Returns
    (bytes, done) for a read, done for a write; raises OSError with the ioctl's errno."""
    write = isinstance(length_or_data, (bytes, bytearray))
    buf = (ctypes.create_string_buffer(bytes(length_or_data), len(length_or_data)) if write
           else ctypes.create_string_buffer(length_or_data))
    done = _rw_at(request, target, pid, addr, ctypes.addressof(buf), len(buf),
                  flags | (uapi.IODBG_RW_WRITE if write else 0), **overrides)
    return done if write else (buf.raw[:done], done)


def rw_addr(pid, addr, length_or_data, flags=0, **overrides):
    return rw(uapi.IODBG_IOC_RW_ADDR, "/dev/iodbg", addr, length_or_data, flags, pid=pid,
              **overrides)


def rw_addr_at(pid, addr, buf_address, length, flags=0):
    """IODBG_IOC_RW_ADDR between @addr of @pid and the caller's memory at @buf_address, with
    no copy of Python's own; returns how many bytes were transferred."""
    return _rw_at(uapi.IODBG_IOC_RW_ADDR, "/dev/iodbg", pid, addr, buf_address, length, flags)


def rw_object(fd, offset, length_or_data, **overrides):
    return rw(uapi.IODBG_IOC_RW_OBJECT, fd, offset, length_or_data, **overrides)


def list_objects_page(pid, room=64, start=0, flags=0, **overrides):
    """One IODBG_IOC_LIST_OBJECTS: (entries written, the flags the kernel answered); @overrides
    set fields after the rest."""
    entries = (uapi.iodbg_object_info * max(room, 1))()
    args = uapi.iodbg_list_objects(size=ctypes.sizeof(uapi.iodbg_list_objects), pid=pid,
                                   count=room, entry_size=ctypes.sizeof(uapi.iodbg_object_info),
                                   objects=ctypes.addressof(entries), start=start, flags=flags)
    for name, value in overrides.items():
        setattr(args, name, value)
    _ioctl("/dev/iodbg", uapi.IODBG_IOC_LIST_OBJECTS, args)
    assert args.count <= room
    return list(entries[:args.count]), args.flags


def list_objects(pid, room=64, flags=0):
    """Every iodbg mapping of @pid, paged through @room entries at a time."""
    found, start = [], 0
    while True:
        page, more = list_objects_page(pid, room, start, flags)
        found += page
        if not more & uapi.IODBG_LIST_MORE:
            return found
        start = page[-1].start + page[-1].length


def list_vmas_page(pid, room=64, start=0, match=uapi.IODBG_VMA_FLAGS, flags=0, **overrides):
    """One IODBG_IOC_LIST_VMAS: (entries written, the flags the kernel answered); @overrides
    set fields after the rest."""
    entries = (uapi.iodbg_vma_info * max(room, 1))()
    args = uapi.iodbg_list_vmas(size=ctypes.sizeof(uapi.iodbg_list_vmas), pid=pid, count=room,
                                entry_size=ctypes.sizeof(uapi.iodbg_vma_info),
                                vmas=ctypes.addressof(entries), start=start, flags=flags,
                                match=match)
    for name, value in overrides.items():
        setattr(args, name, value)
    _ioctl("/dev/iodbg", uapi.IODBG_IOC_LIST_VMAS, args)
    assert args.count <= room
    return list(entries[:args.count]), args.flags


def list_vmas(pid, room=64, match=uapi.IODBG_VMA_FLAGS, flags=0):
    """Every mapping of @pid with any of the @match flags, paged through @room at a time."""
    found, start = [], 0
    while True:
        page, more = list_vmas_page(pid, room, start, match, flags)
        found += page
        if not more & uapi.IODBG_LIST_MORE:
            return found
        start = page[-1].end


def object_info(fd):
    info = uapi.iodbg_object_info()
    _ioctl(fd, uapi.IODBG_IOC_OBJECT_INFO, info)
    return info


def pidfd_getfd(pid, fd):
    """A duplicate of another process's file descriptor (needs ptrace rights over it)."""
    pidfd = os.pidfd_open(pid)
    try:
        ret = libc.syscall(SYS_pidfd_getfd, pidfd, fd, 0)
        if ret < 0:
            raise OSError(ctypes.get_errno(), "pidfd_getfd")
        return ret
    finally:
        os.close(pidfd)
