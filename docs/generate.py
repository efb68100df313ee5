#!/usr/bin/env python3
"""Generate the tables of ``docs/designs.md`` from the layouts and the design registry.

The blocks between ``<!-- BEGIN generated:NAME -->`` and ``<!-- END generated:NAME -->``
are produced here, so the document cannot drift from the declarations.  ``python3 dev.py
regen`` runs this with ``--write``; the test suite only *checks* that the committed file
is up to date (``tests/test_docs_generated.py``), it never writes.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

from tdxlab.cost.accounting import account
from tdxlab.layout.engine import layout_of
from tdxlab.layout.split_structs import HCL_RUN_SPLIT, TDX_SHARED_CONTEXT, TDX_VTL_PAGE
from tdxlab.owners import Owner
from tdxlab.registers import Platform
from tdxlab.sim.designs import DESIGNS, Design, VpStore
from tdxlab.sim.memory import Page, PageKind, PageRole
from tdxlab.sim.model import MODELLED, arch_owner
from tdxlab.sim.search import register_groups

DOC = Path(__file__).resolve().parent.parent / "docs" / "designs.md"
PRIVATE_ARCH = {p: {r for r in MODELLED if arch_owner(r, p) is Owner.PRIVATE} for p in Platform}
KEY_REGS = ("rip", "rsp", "rflags", "lstar", "vm_flags", "rax", "cr2", "xmm0", "rvi", "mxcsr_mask")


def _compress(regs: tuple[str, ...]) -> str:
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if len(run) > 2:
            out.append(f"{run[0]}-{run[-1]}")
        else:
            out.extend(run)
        run.clear()
    for reg in regs:
        m = re.fullmatch(r"([a-z]+)(\d+)", reg)
        if run and m:
            p = re.fullmatch(r"([a-z]+)(\d+)", run[-1])
            if p and p.group(1) == m.group(1) and int(p.group(2)) + 1 == int(m.group(2)):
                run.append(reg)
                continue
        flush()
        run.append(reg)
    flush()
    return ", ".join(out)


#: How the tables name a page of each kind (the VTL, when it has one, goes in front).
_KIND_WORDS = {PageKind.RUN: "run page", PageKind.VTL_CONTEXT: "page", PageKind.VMSA: "VMSA",
               PageKind.BANK: "bank"}


def _page_role(page: Page) -> str:
    role = page.role
    word = _KIND_WORDS[role.kind]
    return word if role.vtl is None else f"VTL {role.vtl} {word}"


def _store(design: str) -> tuple[Design, VpStore]:
    d = DESIGNS[design]
    return d, d.sample_store(2)


def gen_split_shared() -> str:
    """The split design's shared struct, field by field, with run-page offsets."""
    base = layout_of(HCL_RUN_SPLIT).row("context").offset
    lines = ["| field | offset in struct | run-page offset | size | class |", "|---|---|---|---|---|"]
    for r in layout_of(TDX_SHARED_CONTEXT).rows:
        if r.depth == 0:
            lines.append(f"| `{r.path}` | {r.offset:#05x} | {base + r.offset:#05x} | {r.size} "
                         f"| {r.owner.value} |")
    return "\n".join(lines)


def gen_split_vtl_page() -> str:
    """The split design's per-VTL page and which of its fields the design uses."""
    _, store = _store("split")
    vtl0 = PageRole(PageKind.VTL_CONTEXT, 0)
    used = {(s.row.offset, s.row.end) for s in store.slots[0].values() if s.page.role == vtl0}
    lines = ["| field | page offset | size | used by the split design |", "|---|---|---|---|"]
    for r in layout_of(TDX_VTL_PAGE).rows:
        if r.depth > 1 or r.path == "context":
            continue
        n = sum(1 for s, e in used if r.offset <= s and e <= r.end)
        what = f"yes ({n} register{'s' if n != 1 else ''})" if n else "no"
        lines.append(f"| `{r.path}` | {r.offset:#05x} | {r.size} | {what} |")
    return "\n".join(lines)


def gen_homes() -> str:
    """Where each design keeps a few telling registers, per VTL."""
    head = "| register | " + " | ".join(DESIGNS) + " |"
    lines = [head, "|---|" + "---|" * len(DESIGNS)]
    stores = {d: _store(d) for d in list(DESIGNS)}
    for reg in KEY_REGS:
        cells = []
        for d in DESIGNS:
            design, store = stores[d]
            parts = []
            for vtl in (0, 1):
                slot = store.slots[vtl].get(reg)
                if slot is None:
                    parts.append("n/a (TDX only)" if reg == "vm_flags" else "no page (CPU)")
                else:
                    parts.append(f"{_page_role(slot.page)} {slot.row.offset:#05x}")
            text = parts[0] if parts[0] == parts[1] else f"{parts[0]} / {parts[1]}"
            if reg in store.bank.get(0, {}):
                text += "; banked"
            if reg in design.switch_copied(store):
                text += "; copied on switch"
            cells.append(text)
        lines.append(f"| `{reg}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def gen_groups() -> str:
    """Every simulated register grouped by how each design treats it."""
    lines = []
    for d in DESIGNS:
        design, store = _store(d)
        lines.append(f"- **{d}**:")
        for group in register_groups(d):
            rep = group[0]
            slot0, slot1 = store.slots[0].get(rep), store.slots[1].get(rep)
            private = rep in PRIVATE_ARCH[design.platform]
            cpu = "no page: the CPU keeps " + ("one per VTL" if private else "one copy per VP")
            where = cpu if slot0 is None else (
                _page_role(slot0.page) if slot1 is not None and slot0.page is slot1.page
                else "each VTL's own " + _page_role(slot0.page).split(" ", 2)[-1])
            extra = []
            if rep in store.bank.get(0, {}):
                extra.append("banked per VTL, copied in before and out after every run")
            if rep in design.switch_copied(store):
                extra.append("copied to the target VTL on every switch")
            tail = f" ({'; '.join(extra)})" if extra else ""
            ordered = tuple(sorted(group, key=MODELLED.index))
            lines.append(f"  - {'private' if private else 'shared'}: {_compress(ordered)}: {where}{tail}")
    return "\n".join(lines)


def gen_costs() -> str:
    """Pages per VP and bytes copied per run and per VTL switch, counted from the memory log."""
    lines = ["| design | pages per VP (VTL 0 only) | pages per VP (VTL 0 + 1) | bytes copied per run "
             "| bytes copied per VTL switch |", "|---|---|---|---|---|"]
    for d in DESIGNS:
        design = DESIGNS[d]
        counted = account(design)  # from the protocol's own memory log
        run, switch = counted.entry.copied, counted.switch_up.copied
        lines.append(f"| {d} | {design.pages_per_vp(1)} | {design.pages_per_vp(2)} | {run} | {switch} |")
    return "\n".join(lines)


#: The generated blocks of docs/designs.md, by name.
GENERATED: dict[str, Callable[[], str]] = {
    "split-shared": gen_split_shared, "split-vtl-page": gen_split_vtl_page, "homes": gen_homes,
    "groups": gen_groups, "costs": gen_costs,
}




def refreshed(text: str) -> str:
    """``text`` with every generated block replaced by what the generators give now."""
    for name, gen in GENERATED.items():
        begin, end = f"<!-- BEGIN generated:{name} -->", f"<!-- END generated:{name} -->"
        match = re.search(rf"({begin}\n)(.*?)({end})", text, re.S)
        if match is None:
            raise SystemExit(f"{DOC}: lacks the generated block {name}")
        text = text[: match.start(2)] + gen() + "\n" + text[match.end(2) :]
    return text


def main(argv: list[str] | None = None) -> int:
    """Check (default) or ``--write`` the generated blocks; exit 1 when a check finds them stale."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite docs/designs.md in place")
    args = parser.parse_args(argv)
    text = DOC.read_text(encoding="utf-8")
    fresh = refreshed(text)
    if args.write:
        if fresh != text:
            DOC.write_text(fresh, encoding="utf-8")
            print(f"rewrote {DOC}")
        return 0
    if fresh != text:
        print(f"{DOC} is out of date: run `python3 dev.py regen`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
