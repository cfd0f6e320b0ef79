"""Copies of the program's iodbg object files, made by gdb for a helper it starts.

Taking a file from another process (pidfd_getfd) needs the right to ptrace it. Under Yama's
ptrace_scope=1 only the program's ancestors have that: gdb, which started it, does, but a
helper gdb starts (iodbg-spu-stub) is not one. gdb copies the files and the helper inherits
them; holding an object's file is the kernel's permission to read and write the object.
"""
import ctypes
import fcntl
import os

import iodbg_uapi as uapi

SYS_PIDFD_GETFD = 438       # the same number on every architecture
_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class _Statfs(ctypes.Structure):
    # Only f_type is read; the rest of struct statfs is room.
    _fields_ = [("f_type", ctypes.c_long), ("rest", ctypes.c_byte * 256)]


def _pidfd_getfd(pidfd, fd):
    new = _libc.syscall(SYS_PIDFD_GETFD, ctypes.c_int(pidfd), ctypes.c_int(fd),
                        ctypes.c_uint(0))
    if new < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"pidfd_getfd: {os.strerror(err)}")
    return new


def _object_info(fd):
    """The iodbg object a copied file is of, or None for any other file: only a file of the
    iodbg filesystem gets an iodbg ioctl."""
    sfs = _Statfs()
    if _libc.fstatfs(fd, ctypes.byref(sfs)) != 0 or sfs.f_type != uapi.IODBG_FS_MAGIC:
        return None
    info = uapi.iodbg_object_info()
    try:
        fcntl.ioctl(fd, uapi.IODBG_IOC_OBJECT_INFO, info)
    except OSError:
        return None
    return info


def object_files(pid, ids):
    """{id: fd}: a copy (close-on-exec) of a file of each object of @ids that process @pid
    holds; objects it only maps are missing. Only descriptors whose link reads 'iodbg:[' are
    copied: no FUSE or NFS server is ever asked."""
    found = {}
    try:
        pidfd = os.pidfd_open(pid)
    except OSError:
        return found
    try:
        for name in os.listdir(f"/proc/{pid}/fd"):
            try:
                if not os.readlink(f"/proc/{pid}/fd/{name}").startswith(
                        uapi.IODBG_FD_LINK_PREFIX):
                    continue
                fd = _pidfd_getfd(pidfd, int(name))
            except (OSError, ValueError):
                continue
            info = _object_info(fd)
            if info is not None and info.id in ids and info.id not in found:
                found[info.id] = fd
            else:
                os.close(fd)
    except OSError:
        pass
    finally:
        os.close(pidfd)
    return found
