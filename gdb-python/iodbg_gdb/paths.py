"""Where the package finds what the build or an installation put elsewhere: libiodbg and
the iodbg-spu-stub and iodbg-gdbserver programs."""
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
# An installation puts the package in PREFIX/share/iodbg/gdb-python/iodbg_gdb.
PREFIX = os.path.normpath(os.path.join(HERE, "..", "..", "..", ".."))


def build_roots():
    """The build trees to look in: $IODBG_OUT, then the project's out/ beside this package."""
    if os.environ.get("IODBG_OUT"):
        yield os.environ["IODBG_OUT"]
    yield os.path.normpath(os.path.join(HERE, "..", "..", "out"))


def find(env, build_path, installed_path, program=None):
    """The first that exists of: $env, each build root's build_path, PREFIX's installed_path,
    then @program on $PATH (None when nothing is found)."""
    if os.environ.get(env):
        return os.environ[env]
    for root in build_roots():
        path = os.path.join(root, build_path)
        if os.path.exists(path):
            return path
    path = os.path.join(PREFIX, installed_path)
    if os.path.exists(path):
        return path
    return shutil.which(program) if program else None
