"""A small ELF core writer for the tests: cores with SPU contexts written byte for byte as
Cell Linux's kernel wrote them (arch/powerpc/platforms/cell/spufs/coredump.c): per context,
in the order of the kernel's table of context files, one note of type NT_SPU (1) named
"SPU/<fd>/<file>", its header and descriptor in the core's byte order, name and descriptor
each padded with zeros to 4 bytes; scalars as "0x%.16llx" text and its NUL (19 bytes), the
other files as their binary structures (regs: 128 registers of 16 bytes; mem: the 256 KiB
local store)."""
import struct

NT_SPU = 1
NT_PRSTATUS, NT_PRPSINFO = 1, 3
ET_CORE, EM_PPC64, EM_X86_64 = 4, 21, 62
PT_LOAD, PT_NOTE = 1, 4
LS_SIZE = 256 << 10

# The kernel's spufs_coredump_read[] table: (file, descriptor size or None for a scalar).
SPU_FILES = (("regs", 128 * 16), ("fpcr", 16), ("lslr", None), ("decr", None),
             ("decr_status", None), ("mem", LS_SIZE), ("signal1", 4), ("signal1_type", None),
             ("signal2", 4), ("signal2_type", None), ("event_mask", None),
             ("event_status", None), ("mbox_info", 4), ("ibox_info", 4), ("wbox_info", 16),
             ("dma_info", 69 * 8), ("proxydma_info", 35 * 8), ("object-id", None),
             ("npc", None))


def pad4(data):
    return data + b"\0" * (-len(data) % 4)


def note(order, name, ntype, desc):
    """One ELF note as the kernel emits it: header, name and NUL, descriptor, each padded."""
    name = name.encode() + b"\0"
    return struct.pack(order + "III", len(name), len(desc), ntype) + pad4(name) + pad4(desc)


def scalar(value):
    """A Cell scalar note's descriptor: snprintf's "0x%.16llx" and the counted NUL."""
    return b"0x%016x\0" % value


def spu_context_notes(order, fd, ls, npc=0, object_id=0, signal1=0, signal2=0, lslr=None):
    """The notes of one context whose local store is @ls (LS_SIZE bytes as Cell's; fewer
    make a small core for the fuzzer's seeds)."""
    scalars = {"lslr": LS_SIZE - 1 if lslr is None else lslr, "object-id": object_id,
               "npc": npc}
    words = {"signal1": signal1, "signal2": signal2}
    out = b""
    for file, size in SPU_FILES:
        if file == "mem":
            desc = ls
        elif size is None:
            desc = scalar(scalars.get(file, 0))
        elif file in words:
            desc = struct.pack(order + "I", words[file])
        else:
            desc = bytes(size)
        out += note(order, f"SPU/{fd}/{file}", NT_SPU, desc)
    return out


def prstatus_x86_64(pid):
    """An x86-64 NT_PRSTATUS (struct elf_prstatus, 336 bytes) of thread @pid, registers 0."""
    desc = bytearray(336)
    struct.pack_into("<i", desc, 32, pid)
    return note("<", "CORE", NT_PRSTATUS, bytes(desc))


def core(notes, loads, big_endian=True, machine=EM_PPC64):
    """An ELF64 core: one PT_NOTE of @notes (bytes), then a PT_LOAD per (vaddr, bytes) of
    @loads, page-aligned in the file."""
    order = ">" if big_endian else "<"
    phnum = 1 + len(loads)
    phoff = 64
    offset = phoff + 56 * phnum
    segs = [(PT_NOTE, 4, offset, 0, notes, 4)]
    offset += len(notes)
    for vaddr, data in loads:
        offset += -offset % 4096
        segs.append((PT_LOAD, 6, offset, vaddr, data, 4096))
        offset += len(data)
    ident = b"\x7fELF" + bytes([2, 2 if big_endian else 1, 1]) + bytes(9)
    out = bytearray(ident + struct.pack(order + "HHIQQQIHHHHHH", ET_CORE, machine, 1, 0, phoff,
                                        0, 0, 64, 56, phnum, 0, 0, 0))
    for ptype, flags, off, vaddr, data, align in segs:
        out += struct.pack(order + "IIQQQQQQ", ptype, flags, off, vaddr, 0, len(data),
                           len(data), align)
    for _, _, off, _, data, _ in segs:
        out += bytes(off - len(out)) + data
    return bytes(out)
