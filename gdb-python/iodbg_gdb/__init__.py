"""iodbg for GDB: SPU local store, SPU registers and GPU objects as inspectable memory.

One module per concern: settings ('set/show iodbg'), spu (the SPU commands), gpu (GPU
objects), maps ('info iodbg-maps'), dump ('iodbg dump'), remote ('iodbg attach' through
iodbg-gdbserver), tui (the iodbg TUI window);
handover copies the program's object files for the SPU stub, corefile names the core file
GDB debugs (which the commands then read), common holds what they share, libiodbg is the one
binding of the C library and rsp_target the remote backend, which asks iodbg-gdbserver over a
remote connection for what libiodbg gives natively. Importing the package registers every
command.
"""
from . import settings  # noqa: F401  (registers 'set/show iodbg' before the commands use it)
from . import dump, gpu, maps, remote, spu, tui  # noqa: F401
