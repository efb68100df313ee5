"""Differential test: gcc lays out the emitted C header exactly as tdxlab's engine does.

tdxlab computes offsets with ctypes; here gcc computes them again from the header that
``tdxlab.layout.c_header`` emits, and gdb's ``ptype /o`` reports them.  Every member of
every catalogued structure (recursively, array elements and opaque unions included),
every ABI hole and every total size must agree.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tdxlab.layout.c_header import CHeaderError, c_header, dependency_order
from tdxlab.layout.catalog import STRUCTS
from tdxlab.layout.declare import Blob, Field, Prim, StructDecl
from tdxlab.layout.engine import Layout, RowKind, layout_of
from tdxlab.layout.structs import TDX_VP_CONTEXT
from tdxlab.owners import Owner
from tdxlab.sources import Confidence, Origin, Source

_TEST_SOURCE = Source(Origin.TDXLAB, "tests/test_layout_gcc.py", Confidence.DESIGN)
G = Owner.GLOBAL

# Probes for code paths no catalogued structure exercises: packing, holes, struct arrays.
PACKED_PROBE = StructDecl(
    "packed_probe",
    (Field("a", Prim.U8, owner=G), Field("b", Prim.U64, owner=G), Field("c", Prim.U16, owner=G)),
    _TEST_SOURCE, "packed: no holes, size 11", packed=True,
)
INNER_PROBE = StructDecl(
    "inner_probe", (Field("x", Prim.U16, owner=G), Field("y", Prim.U64, owner=G)),
    _TEST_SOURCE, "a 6-byte hole and 8-byte alignment",
)
HOLES_PROBE = StructDecl(
    "holes_probe",
    (
        Field("a", Prim.U8, owner=G),
        Field("inner", INNER_PROBE, 3),
        Field("blob", Blob(10), 3, elements=("rax", "rcx", "rdx")),
        Field("tail", Prim.U32, owner=G),
        Field("p", PACKED_PROBE),
        Field("opaque", INNER_PROBE, opaque=True),
    ),
    _TEST_SOURCE, "holes, struct arrays, blob elements, a packed member, an opaque member",
)
PROBES = (PACKED_PROBE, HOLES_PROBE)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed; the gcc/gdb differential layout test needs it "
                    f"(apt-get install {name})")
    return path


# --- gdb `ptype /o` parsing ---------------------------------------------------------------------
_TOP = re.compile(r"type = struct (\w+) \{$")
_OPEN = re.compile(r"^/\*\s+(\d+)\s+\|\s+(\d+)\s+\*/\s+struct (\w+) \{$")
_MEMBER = re.compile(r"^/\*\s+(\d+)\s+\|\s+(\d+)\s+\*/\s+(.+);$")
_CLOSE = re.compile(r"^\}\s*(\w*);?$")
_HOLE = re.compile(r"XXX\s+(\d+)-byte (?:hole|padding)")
_TOTAL = re.compile(r"total size \(bytes\):\s+(\d+)")
_DECL = re.compile(r"^(?P<type>.+?)\s*\b(?P<name>\w+)(?P<dims>(?:\[\d+\])*)$")


@dataclass
class Node:
    """One member (or structure) as gdb printed it; offsets are from the outermost struct."""

    name: str
    offset: int
    size: int
    ctype: str = ""
    dims: tuple[int, ...] = ()
    children: list[Node] = field(default_factory=list)
    holes: list[tuple[int, int]] = field(default_factory=list)
    cursor: int = 0
    total: int | None = None
    expanded: bool = False


def parse_ptype(text: str) -> dict[str, Node]:
    """Parse concatenated ``ptype /o struct X`` outputs into one tree per structure."""
    tops: dict[str, Node] = {}
    stack: list[Node] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not stack:
            m = _TOP.search(line)
            if m:
                stack.append(Node(m[1], 0, 0, f"struct {m[1]}", expanded=True))
            continue
        here = stack[-1]
        if m := _HOLE.search(line):
            here.holes.append((here.cursor, int(m[1])))
            here.cursor += int(m[1])
        elif m := _TOTAL.search(line):
            here.total = int(m[1])
        elif m := _OPEN.match(line):
            child = Node("", int(m[1]), int(m[2]), f"struct {m[3]}", expanded=True, cursor=int(m[1]))
            here.children.append(child)
            stack.append(child)
        elif m := _MEMBER.match(line):
            d = _DECL.match(m[3])
            assert d, f"cannot parse gdb member line {raw!r}"
            dims = tuple(int(x) for x in re.findall(r"\[(\d+)\]", d["dims"]))
            here.children.append(Node(d["name"], int(m[1]), int(m[2]), d["type"], dims))
            here.cursor = int(m[1]) + int(m[2])
        elif m := _CLOSE.match(line):
            done = stack.pop()
            if stack:
                done.name = m[1]
                stack[-1].cursor = done.offset + done.size
            else:
                done.size = done.total or 0
                tops[done.name] = done
    return tops


@dataclass
class Flat:
    """gdb's view flattened to tdxlab's path convention."""

    members: dict[str, tuple[int, int]] = field(default_factory=dict)
    holes: set[tuple[int, int]] = field(default_factory=set)


def _opaque_paths(decl: StructDecl, prefix: str = "") -> dict[str, StructDecl]:
    """Paths of members the source declares as bytes but tdxlab reads as a structure."""
    out: dict[str, StructDecl] = {}
    for f in decl.fields:
        if not isinstance(f.type, StructDecl):
            continue
        paths = [f"{prefix}{f.name}[{i}]" for i in range(f.count)] if f.count > 1 else [prefix + f.name]
        for p in paths:
            if f.opaque:
                out[p] = f.type
            else:
                out.update(_opaque_paths(f.type, p + "."))
    return out


def flatten(tops: dict[str, Node], name: str, opaque: dict[str, StructDecl]) -> Flat:
    flat = Flat()

    def walk(node: Node, prefix: str, shift: int) -> None:
        flat.holes.update((off + shift, n) for off, n in node.holes)
        for c in node.children:
            path = prefix + c.name
            flat.members[path] = (c.offset + shift, c.size)
            if c.expanded:
                walk(c, path + ".", shift)
            elif c.dims:
                esize = c.size // c.dims[0]
                for i in range(c.dims[0]):
                    start = c.offset + shift + i * esize
                    flat.members[f"{path}[{i}]"] = (start, esize)
                    if c.ctype.startswith("struct "):
                        walk(tops[c.ctype.split()[1]], f"{path}[{i}].", start)
            if path in opaque:
                walk(tops[opaque[path].name], path + ".", c.offset + shift)

    walk(tops[name], "", 0)
    return flat


def tdxlab_view(layout: Layout) -> Flat:
    """tdxlab's rows in the same convention (array elements as ``parent[i]``)."""
    flat = Flat()
    for r in layout.rows:
        if r.kind is RowKind.BITS:
            continue
        if r.kind is RowKind.HOLE:
            flat.holes.add((r.offset, r.size))
        elif r.kind is RowKind.ELEMENT:
            parent = layout.row(r.path.rsplit(".", 1)[0])
            flat.members[f"{parent.path}[{(r.offset - parent.offset) // r.size}]"] = (r.offset, r.size)
        else:
            flat.members[r.path] = (r.offset, r.size)
    return flat


# --- the compiled world ---------------------------------------------------------------------------
@dataclass
class Compiled:
    tops: dict[str, Node]
    header: str


def _compile(decls: list[StructDecl], workdir: Path) -> Compiled:
    gcc, gdb = _tool("gcc"), _tool("gdb")
    header = c_header(decls)
    names = [d.name for d in dependency_order(decls)]
    (workdir / "layouts.h").write_text(header)
    body = "\n".join(f"struct {n} v_{n};" for n in names)
    (workdir / "layouts.c").write_text(f'#include "layouts.h"\n\n{body}\n')
    cc = subprocess.run([gcc, "-g", "-c", "-std=c11", "-Wall", "-Wextra", "-Werror",
                         "layouts.c", "-o", "layouts.o"],
                        cwd=workdir, capture_output=True, text=True, timeout=120)
    assert cc.returncode == 0, f"gcc rejected the emitted header:\n{cc.stderr}"
    cmd = [gdb, "-nx", "-batch"]
    for n in names:
        cmd += ["-ex", f"ptype /o struct {n}"]
    out = subprocess.run([*cmd, "layouts.o"], cwd=workdir, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, f"gdb failed:\n{out.stderr}"
    tops = parse_ptype(out.stdout)
    missing = sorted(set(names) - set(tops))
    assert not missing, f"gdb printed no layout for {missing}:\n{out.stdout[:2000]}{out.stderr}"
    return Compiled(tops, header)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Compiled:
    return _compile([*STRUCTS.values(), *PROBES], tmp_path_factory.mktemp("gcc"))


ALL = [*STRUCTS.values(), *PROBES]


@pytest.mark.parametrize("decl", ALL, ids=[d.name for d in ALL])
def test_gcc_agrees_with_tdxlab(compiled: Compiled, decl: StructDecl) -> None:
    layout = layout_of(decl)
    gdb = flatten(compiled.tops, decl.name, _opaque_paths(decl))
    ours = tdxlab_view(layout)

    assert compiled.tops[decl.name].size == layout.size, "total size differs"
    wrong = {p: (v, gdb.members.get(p)) for p, v in ours.members.items() if gdb.members.get(p) != v}
    assert not wrong, "tdxlab (offset, size) vs gcc: " + ", ".join(
        f"{p}: {a} vs {b}" for p, (a, b) in wrong.items())
    # gcc must not know a named member that tdxlab lacks (array elements are optional).
    unknown = sorted(p for p in gdb.members if not p.endswith("]") and p not in ours.members)
    assert not unknown, f"members gcc has but tdxlab does not: {unknown}"
    assert ours.holes == gdb.holes, f"ABI holes differ: tdxlab {sorted(ours.holes)} gcc {sorted(gdb.holes)}"
    assert len(ours.members) >= len(decl.fields)


def test_every_catalogued_structure_was_compared(compiled: Compiled) -> None:
    assert set(STRUCTS) <= set(compiled.tops)
    assert {"SevVmsa", "sev_vmsa_page", "SevSelector", "hcl_run", "tdx_vp_context"} <= set(STRUCTS)


def test_packed_probe_really_is_packed(compiled: Compiled) -> None:
    assert compiled.tops["packed_probe"].size == 11
    assert "struct __attribute__((packed)) packed_probe" in compiled.header
    assert flatten(compiled.tops, "holes_probe", _opaque_paths(HOLES_PROBE)).holes  # has holes


def test_source_assertions_are_checked_by_gcc(tmp_path: Path) -> None:
    """A declaration that contradicts its source's assertion does not compile."""
    _tool("gcc")
    wrong = dataclasses.replace(TDX_VP_CONTEXT, name="tdx_vp_context_wrong", asserted_size=1000)
    (tmp_path / "w.c").write_text(c_header(wrong))
    cc = subprocess.run(["gcc", "-c", "-x", "c", "w.c", "-o", "w.o"], cwd=tmp_path,
                        capture_output=True, text=True, timeout=60)
    assert cc.returncode != 0
    assert "size asserted by the source" in cc.stderr


def test_header_emits_opaque_fields_as_bytes_sized_by_gcc() -> None:
    text = c_header(STRUCTS["hcl_run"])
    assert "uint8_t context[sizeof(struct tdx_vp_context)];" in text
    assert text.index("struct tdx_vp_context {") < text.index("struct hcl_run {")
    assert "offsetof(struct hcl_run, context) + offsetof(struct tdx_vp_context, gpr_list) == 0x200" in text


def test_header_rejects_names_c_cannot_hold() -> None:
    bad = dataclasses.replace(PACKED_PROBE, name="TdxPrivateRegs+variant")
    with pytest.raises(CHeaderError, match="not a valid C identifier"):
        c_header(bad)
    clash = dataclasses.replace(INNER_PROBE, fields=INNER_PROBE.fields[:1])
    with pytest.raises(CHeaderError, match="two different structures are named inner_probe"):
        c_header([HOLES_PROBE, clash])
