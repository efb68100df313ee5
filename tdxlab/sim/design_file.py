"""Design files: a reviewer's proposal in TOML (schema: docs/design-file.md).

A file holds one :class:`~tdxlab.sim.declared.DesignSpec`::

    [design]
    key = "split-fx-per-vtl"
    base = "split"
    title = "..."                  # optional
    summary = "..."                # optional

    [extra_page]                   # optional: a page for registers moved out of the base's
    per_vtl = false

    [[registers]]
    names = ["fpu"]                # registers or group names (gpr, control, msr, fpu, apic, entry)
    class = "shared"               # private | shared
    home = "vtl-page"              # run | bank | vtl-page | vmsa | extra | hardware (optional)
    copy = "switch"                # entry | switch | never (optional)
    why = "..."                    # optional: the reason, shown in the review report

It is read with the standard library's ``tomllib``, which gives no positions; so the
loader finds each table's and key's line itself (:func:`key_lines`) and every error names
the file, the key and the line.  Nothing is silently ignored: unknown tables and keys, a
wrong type, an unknown register and every impossible placement are errors.
:func:`dump_design_file` writes a spec back (notebook 06 saves what it builds).
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tdxlab.files import write_atomic
from tdxlab.owners import Owner
from tdxlab.sim.declared import Copy, DesignSpec, ExtraPage, Home, Rule, SpecError, build
from tdxlab.sim.designs import Design

#: The keys each table may hold, and whether each is required.
DESIGN_KEYS = {"key": True, "base": True, "title": False, "summary": False}
EXTRA_KEYS = {"per_vtl": False, "why": False}
RULE_KEYS = {"names": True, "class": True, "home": False, "copy": False, "why": False}
#: Files larger than this are refused before parsing (a proposal is a few hundred bytes).
MAX_BYTES = 1 << 20
_CLASSES = {"private": Owner.PRIVATE, "shared": Owner.SHARED}
_HOMES = {h.word: h for h in Home}
_COPIES = {c.word: c for c in Copy}


class DesignFileError(ValueError):
    """A design file that cannot be used: ``FILE line N: KEY: reason``, one line."""

    def __init__(self, reason: str, path: str | None = None, line: int | None = None,
                 key: str | None = None) -> None:
        """Keep the parts apart so callers (the widget, the CLI) can show them."""
        self.reason, self.path, self.line, self.key = reason, path, line, key
        where = " ".join(x for x in (path, f"line {line}" if line else None) if x)
        text = f"{key}: {reason}" if key else reason
        super().__init__(f"{where}: {text}" if where else text)


_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-]+)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+)\s*=")


def key_lines(text: str) -> dict[str, int]:
    """The line of each table and key: ``design``, ``design.key``, ``registers[1].home`` (1-based lines).

    A line-oriented reading of what ``tomllib`` parsed: table headers (``[t]``, ``[[t]]``,
    counted per array) and ``key =`` at the start of a line.  Good enough to point at a
    mistake; the values themselves come from ``tomllib``.
    """
    out: dict[str, int] = {}
    table = ""
    counts: dict[str, int] = {}
    for number, line in enumerate(text.split("\n"), start=1):
        header = _HEADER.match(line)
        if header:
            name = header.group(2)
            if header.group(1) == "[[":
                counts[name] = counts.get(name, -1) + 1
                table = f"{name}[{counts[name]}]"
            else:
                table = name
            out.setdefault(table, number)
            continue
        key = _KEY.match(line)
        if key:
            out.setdefault(f"{table}.{key.group(1)}" if table else key.group(1), number)
    return out


@dataclass
class _Reader:
    """Type-checked access to the parsed tables, with errors that name file, key and line."""

    path: str | None
    lines: dict[str, int]

    def fail(self, reason: str, key: str) -> DesignFileError:
        line = self.lines.get(key)
        table = key
        while line is None and "." in table:  # a key inside a table: point at the table at least
            table = table.rsplit(".", 1)[0]
            line = self.lines.get(table)
        return DesignFileError(reason, self.path, line, key)

    def table(self, data: dict[str, Any], name: str, keys: dict[str, bool]) -> dict[str, Any]:
        unknown = sorted(set(data) - set(keys))
        if unknown:
            raise self.fail(f"unknown key(s) {', '.join(map(repr, unknown))} (known: {', '.join(keys)})",
                            f"{name}.{unknown[0]}")
        missing = [k for k, required in keys.items() if required and k not in data]
        if missing:
            raise self.fail(f"missing required key {missing[0]!r}", name)
        return data

    def string(self, data: dict[str, Any], name: str, key: str, default: str = "") -> str:
        value = data.get(key, default)
        if not isinstance(value, str):
            raise self.fail(f"expected a string, got {_shown(value)}", f"{name}.{key}")
        return value

    def word(self, data: dict[str, Any], name: str, key: str, choices: dict[str, Any]) -> Any:
        if key not in data:
            return None
        value = self.string(data, name, key)
        if value not in choices:
            raise self.fail(f"{value!r} is not one of {', '.join(choices)}", f"{name}.{key}")
        return choices[value]


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}... ({len(text)} characters)"


def parse_design_file(text: str, path: str | None = None) -> DesignSpec:
    """The spec a design file's text declares (checked for shape; :func:`load` also builds it)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc)) or "invalid TOML"
        line = int(match.group(1)) if match else None
        raise DesignFileError(f"invalid TOML: {reason}", path, line) from None
    except RecursionError:
        raise DesignFileError("invalid TOML: nested too deeply", path) from None
    r = _Reader(path, key_lines(text))
    unknown = sorted(set(data) - {"design", "extra_page", "registers"})
    if unknown:
        raise r.fail(f"unknown table {unknown[0]!r} (known: design, extra_page, registers)", unknown[0])
    if not isinstance(data.get("design"), dict):
        raise DesignFileError("missing the [design] table (key and base)", path, 1)
    design = r.table(data["design"], "design", DESIGN_KEYS)
    extra = None
    if "extra_page" in data:
        if not isinstance(data["extra_page"], dict):
            raise r.fail("expected a table", "extra_page")
        table = r.table(data["extra_page"], "extra_page", EXTRA_KEYS)
        per_vtl = table.get("per_vtl", False)
        if not isinstance(per_vtl, bool):
            raise r.fail(f"expected true or false, got {_shown(per_vtl)}", "extra_page.per_vtl")
        extra = ExtraPage(per_vtl, r.string(table, "extra_page", "why"))
    raw_rules = data.get("registers", [])
    if not isinstance(raw_rules, list):
        raise r.fail("expected [[registers]] tables", "registers")
    rules = []
    for i, raw in enumerate(raw_rules):
        name = f"registers[{i}]"
        if not isinstance(raw, dict):
            raise r.fail("expected a table", name)
        r.table(raw, name, RULE_KEYS)
        names = raw["names"]
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise r.fail(f"expected a non-empty list of register names, got {_shown(raw['names'])}",
                         f"{name}.names")
        owner = r.word(raw, name, "class", _CLASSES)
        rules.append(Rule(tuple(names), owner, r.word(raw, name, "home", _HOMES),
                          r.word(raw, name, "copy", _COPIES), r.string(raw, name, "why"), name,
                          r.lines.get(f"{name}.names", r.lines.get(name))))
    return DesignSpec(r.string(design, "design", "key"), r.string(design, "design", "base"),
                      r.string(design, "design", "title"), r.string(design, "design", "summary"),
                      tuple(rules), extra, path)


def build_spec(spec: DesignSpec, text: str = "") -> Design:
    """The design of a parsed spec; a :class:`SpecError` becomes a :class:`DesignFileError` with its line."""
    try:
        return build(spec)
    except SpecError as exc:
        lines = key_lines(text)
        key = exc.key or ""
        line = lines.get(key) or exc.line or lines.get(key.split(".", 1)[0])  # the key, its rule, its table
        raise DesignFileError(exc.reason, spec.source, line, exc.key) from None


def loads_design(text: str, path: str | None = None) -> Design:
    """The design a design file's text declares."""
    return build_spec(parse_design_file(text, path), text)


def load_design_file(path: str | Path) -> Design:
    """Read and build a design file; every error is one line naming the file (and key and line)."""
    p = Path(path)
    try:
        if p.is_dir():
            raise DesignFileError("is a directory, not a design file", str(p))
        with p.open("rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise DesignFileError(f"cannot read design file: {exc.strerror}", str(p)) from None
    if len(raw) > MAX_BYTES:
        raise DesignFileError(f"larger than {MAX_BYTES:,} bytes; a design file is a few hundred", str(p))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DesignFileError("not UTF-8 text", str(p), line) from None
    return loads_design(text, str(p))


def _toml_string(value: str) -> str:
    # A JSON string is a TOML basic string, except that TOML also forbids a raw DEL (U+007F).
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def dump_design_file(spec: DesignSpec) -> str:
    """The design file of ``spec`` (:func:`loads_design` reads it back to the same design)."""
    out = ["# tdxlab design file (docs/design-file.md)", "[design]", f"key = {_toml_string(spec.key)}",
           f"base = {_toml_string(spec.base)}"]
    if spec.title:
        out.append(f"title = {_toml_string(spec.title)}")
    if spec.summary:
        out.append(f"summary = {_toml_string(spec.summary)}")
    if spec.extra_page is not None:
        out += ["", "[extra_page]", f"per_vtl = {str(spec.extra_page.per_vtl).lower()}"]
        if spec.extra_page.why:
            out.append(f"why = {_toml_string(spec.extra_page.why)}")
    for rule in spec.rules:
        out += ["", "[[registers]]", f"names = [{', '.join(map(_toml_string, rule.names))}]",
                f"class = {_toml_string('private' if rule.owner is Owner.PRIVATE else 'shared')}"]
        if rule.home is not None:
            out.append(f"home = {_toml_string(rule.home.word)}")
        if rule.copy is not None:
            out.append(f"copy = {_toml_string(rule.copy.word)}")
        if rule.why:
            out.append(f"why = {_toml_string(rule.why)}")
    return "\n".join(out) + "\n"


def save_design_file(spec: DesignSpec, path: str | Path) -> None:
    """Write ``spec`` as a design file."""
    write_atomic(path, dump_design_file(spec))


#: The design files shipped with tdxlab (``tdxlab/designs/*.toml``), by file stem.
SHIPPED_DIR = Path(__file__).resolve().parent.parent / "designs"


def shipped_design_files() -> dict[str, Path]:
    """The shipped proposals, by file stem, in name order."""
    return {p.stem: p for p in sorted(SHIPPED_DIR.glob("*.toml"))}


__all__ = [
    "DesignFileError", "build_spec", "dump_design_file", "key_lines", "load_design_file", "loads_design",
    "parse_design_file", "save_design_file", "shipped_design_files",
]
