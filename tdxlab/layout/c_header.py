"""Emit a C header from structure declarations, so a C compiler can lay them out independently.

Why: tdxlab's offsets come from :mod:`ctypes`.  A second, independent implementation
of the C ABI is the best check that the declarations (and ctypes) are right, and gcc
is the reference the sources themselves are compiled against.  The differential test
compiles this header with ``gcc -g`` and compares gdb's ``ptype /o`` with the engine's
rows.  The header is also useful on its own: reviewers can ``#include`` it in a C
tool that pokes at a run page.

What it emits, per declaration (dependencies first, each structure once):

* ``struct NAME { ... };`` with ``<stdint.h>`` types, ``__attribute__((packed))`` where
  the declaration is packed;
* arrays as C arrays (``uint8_t xmm[16][16]`` for 16 opaque 16-byte registers);
* a field the source declares as raw bytes but reads as a structure (``opaque``, e.g.
  ``hcl_run.context``) as ``uint8_t name[sizeof(struct X)]``, so gcc, not tdxlab,
  computes its size;
* bit ranges, owners and notes as comments only: bits are not C bitfields, exactly as
  the reference sheet computed its offsets with the bitfield newtypes replaced by
  plain integers;
* the values the *source* asserts (``asserted_size``, ``asserted_offsets``) as
  ``_Static_assert`` lines, mirroring the Rust ``const`` assertions; nothing tdxlab
  computed is written into the header.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from tdxlab.layout.declare import Blob, Field, Prim, StructDecl

_C_TYPES = {Prim.U8: "uint8_t", Prim.U16: "uint16_t", Prim.U32: "uint32_t", Prim.U64: "uint64_t"}
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_C_KEYWORDS = frozenset({
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
    "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
    "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch", "typedef",
    "union", "unsigned", "void", "volatile", "while", "_Bool", "_Static_assert",
})  # fmt: skip


class CHeaderError(ValueError):
    """A declaration cannot be expressed as C (bad identifier, two structures with one name)."""


def _check_ident(name: str, what: str) -> None:
    if not _IDENT.match(name) or name in _C_KEYWORDS:
        raise CHeaderError(f"{what} {name!r} is not a valid C identifier")


def _comment(text: str) -> str:
    """Text made safe inside ``/* */`` (no comment terminator, one line)."""
    return " ".join(text.replace("*/", "* /").split())


def dependency_order(decls: Iterable[StructDecl]) -> list[StructDecl]:
    """Every structure reachable from ``decls``, each once, nested ones before their users.

    Two different declarations with the same name cannot share one C namespace, so
    that is an error naming the structure.
    """
    seen: dict[str, StructDecl] = {}
    order: list[StructDecl] = []

    def visit(d: StructDecl) -> None:
        if d.name in seen:
            if seen[d.name] != d:
                raise CHeaderError(f"two different structures are named {d.name}")
            return
        _check_ident(d.name, "structure name")
        seen[d.name] = d
        for f in d.fields:
            if isinstance(f.type, StructDecl):
                visit(f.type)
        order.append(d)

    for d in decls:
        visit(d)
    return order


def _declarator(f: Field) -> str:
    dims = f"[{f.count}]" if f.count > 1 else ""
    if isinstance(f.type, StructDecl):
        if f.opaque:
            return f"uint8_t {f.name}{dims}[sizeof(struct {f.type.name})]"
        return f"struct {f.type.name} {f.name}{dims}"
    if isinstance(f.type, Blob):
        return f"uint8_t {f.name}{dims}[{f.type.size}]"
    return f"{_C_TYPES[f.type]} {f.name}{dims}"


def _field_comment(f: Field) -> str:
    parts = []
    if f.opaque and isinstance(f.type, StructDecl):
        parts.append(f"read as struct {f.type.name}")
    if f.reg:
        parts.append(f"reg {f.reg}")
    elif f.elements:
        parts.append("regs " + " ".join(f.elements))
    elif f.owner is not None:
        parts.append(f.owner.value)
    if f.note:
        parts.append(f.note)
    return f"  /* {_comment('; '.join(parts))} */" if parts else ""


def _offset_expr(decl: StructDecl, path: str) -> str:
    """A C expression for the byte offset of ``path`` (dotted, ``[i]`` allowed) in ``decl``.

    Crosses opaque fields by adding a second ``offsetof`` on the structure they are read as.
    """
    terms: list[str] = []
    current, base, designator = decl, decl, ""
    parts = path.split(".")
    for i, part in enumerate(parts):
        name = part.partition("[")[0]
        field = next((f for f in current.fields if f.name == name), None)
        if field is None:
            raise CHeaderError(f"{decl.name}: asserted path {path!r} has no member {name!r}")
        designator += ("." if designator else "") + part
        if isinstance(field.type, StructDecl):
            if field.opaque:
                terms.append(f"offsetof(struct {base.name}, {designator})")
                base, designator = field.type, ""
            current = field.type
        elif i != len(parts) - 1:
            raise CHeaderError(f"{decl.name}: asserted path {path!r} goes through scalar {name!r}")
    if designator:
        terms.append(f"offsetof(struct {base.name}, {designator})")
    return " + ".join(terms)


def struct_text(decl: StructDecl) -> str:
    """The C definition of one structure (its nested structures must be emitted before it)."""
    _check_ident(decl.name, "structure name")
    packed = " __attribute__((packed))" if decl.packed else ""
    lines = [f"/* {_comment(decl.doc)} */", f"/* source: {_comment(decl.source.cite())} */",
             f"struct{packed} {decl.name} {{"]
    for f in decl.fields:
        _check_ident(f.name, f"field of {decl.name}")
        lines.append(f"    {_declarator(f)};{_field_comment(f)}")
        for b in f.bits:
            owner = f" ({b.owner.value})" if b.owner and b.owner.value != b.name else ""
            note = f" {_comment(b.note)}" if b.note else ""
            lines.append(f"    /*   bits {b.msb}:{b.lsb} {b.name}{owner}{note} */")
    lines.append("};")
    if decl.asserted_size is not None:
        lines.append(f"_Static_assert(sizeof(struct {decl.name}) == {decl.asserted_size}, "
                     f'"{decl.name}: size asserted by the source");')
    for path, offset in decl.asserted_offsets:
        lines.append(f"_Static_assert({_offset_expr(decl, path)} == {offset:#x}, "
                     f'"{decl.name}.{path}: offset asserted by the source");')
    return "\n".join(lines)


def c_header(decls: StructDecl | Iterable[StructDecl], guard: str = "TDXLAB_LAYOUTS_H") -> str:
    """A complete, self-contained C header defining ``decls`` and everything they nest."""
    items = [decls] if isinstance(decls, StructDecl) else list(decls)
    _check_ident(guard, "include guard")
    body = "\n\n".join(struct_text(d) for d in dependency_order(items))
    return (
        "/* Generated by tdxlab.layout.c_header from tdxlab's structure declarations. */\n"
        f"#ifndef {guard}\n#define {guard}\n\n#include <stddef.h>\n#include <stdint.h>\n\n"
        f"{body}\n\n#endif /* {guard} */\n"
    )


__all__ = ["CHeaderError", "c_header", "dependency_order", "struct_text"]
