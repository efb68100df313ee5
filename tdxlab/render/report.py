"""The design-review report (``tdxlab review``): one proposal's verdict, findings, costs and provenance.

Two halves, kept apart: :func:`gather` runs the model (``verify``, the replay of the
counterexample, the cost accounting and time model) and returns a :class:`Report` of plain
figures; :func:`markdown`, :func:`html_page` and :func:`costs_csv` only render those figures
(with :func:`charts`, inline SVG drawn by matplotlib).  :func:`write` puts the files in place,
each through a temporary file renamed over its target, so a symlink planted at a target name
is replaced, never followed.

Costs are rounded to two significant figures: the round trips and kernel work behind them
are unverified stand-ins (reference sheet §4), so more digits would claim precision no source
supports.  The range beside each total is the model re-evaluated with every unverified or
assumed constant at each end of its declared range (:mod:`tdxlab.cost.constants`), one at a
time; the sensitivity section says which of those flips the proposal's comparison with the
cheapest baseline (:mod:`tdxlab.cost.sensitivity`).
"""

from __future__ import annotations

import csv
import dataclasses
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tdxlab import OV_SNAPSHOT, __version__, describe
from tdxlab.cost.accounting import account
from tdxlab.cost.constants import (
    CONSTANTS,
    DEFAULT,
    CostConstants,
    constants_rows,
    uncertain_names,
    unverified_names,
)
from tdxlab.cost.sensitivity import Sensitivity, sensitivity
from tdxlab.cost.timemodel import DEFAULT_EVICTED_KIB, breakdown
from tdxlab.files import check_dir, write_atomic
from tdxlab.owners import Owner
from tdxlab.sim.checker import Violation
from tdxlab.sim.declared import SpecError, _Declared, base_placements
from tdxlab.sim.designs import Design
from tdxlab.sim.events import Event
from tdxlab.sim.machine import simulate
from tdxlab.sim.trace import dump_trace
from tdxlab.sim.verify import verify

#: VP counts the verdict is given for (one suffices; two is explored to show it: docs/verification.md).
VERDICT_VPS = (1, 2)
#: The switch fraction the sensitivity question is asked at: one entry in ten after a VTL switch
#: (a busy VTL 1; at 0 a design that pays only on switches could not lose).
REVIEW_SWITCH_FRACTION = 0.1


@dataclass(frozen=True)
class Verdict:
    """``verify`` on one partition size."""

    vps: int
    verified: bool
    complete: bool
    states: int
    transitions: int
    counterexample_length: int | None


@dataclass(frozen=True)
class Finding:
    """The counterexample replay's findings of one register and access kind, deduplicated."""

    reg: str
    access: str
    severity: str
    count: int
    first_step: int
    example: str


@dataclass(frozen=True)
class CostRow:
    """One design's bytes, pages and modelled ns (no switch / every entry after a switch)."""

    design: str
    role: str  # "proposal" or "baseline"
    bytes_per_entry: float
    bytes_per_switch: float
    pages_per_vp: int
    ns_no_switch: float
    ns_all_switch: float
    ns_design_no_switch: float
    ns_design_all_switch: float
    #: What one VTL switch adds, design-dependent ns (every entry after a switch minus none).
    ns_design_per_switch: float
    ns_low: float
    ns_high: float


@dataclass(frozen=True)
class Report:
    """Everything the report shows, as figures (no model calls past :func:`gather`)."""

    key: str
    title: str
    summary: str
    base: str | None
    source: str | None
    rules: tuple[tuple[str, str, str, str, str], ...]  # names, class, home, copy, why
    placements: tuple[tuple[str, str, str, str], ...]  # register, class, home, copy
    private: tuple[str, ...]
    lower_vtls: int
    seed: int
    verdicts: tuple[Verdict, ...]
    counterexample: tuple[Event, ...] | None
    counterexample_text: str | None
    findings: tuple[Finding, ...]
    costs: tuple[CostRow, ...]
    constants: tuple[dict[str, object], ...]
    unverified: tuple[str, ...]
    evicted_kib: float
    sensitivity: tuple[Sensitivity, ...]

    @property
    def verified(self) -> bool:
        """Verified (and complete) on every partition size explored."""
        return all(v.verified and v.complete for v in self.verdicts)


def _dedup(violations: Sequence[Violation]) -> tuple[Finding, ...]:
    groups: dict[tuple[str, str], list[Violation]] = {}
    for v in violations:
        groups.setdefault((v.reg, v.access.value), []).append(v)
    out = [Finding(reg, access, min((v.severity for v in vs), key=lambda s: s.rank).value, len(vs),
                   min(v.step for v in vs), describe.describe_violation(vs[0]))
           for (reg, access), vs in groups.items()]
    return tuple(sorted(out, key=lambda f: (f.first_step, f.reg)))


def _costs(design: Design, role: str, constants: CostConstants, evicted_kib: float) -> CostRow:
    costs = account(design)
    parts = {f: breakdown(costs, constants, evicted_kib=evicted_kib, switch_fraction=f) for f in (0.0, 1.0)}
    totals = []
    for name in uncertain_names():
        info = CONSTANTS[name]
        for end in (info.low, info.high):
            assert end is not None  # uncertain constants have ranges
            moved = dataclasses.replace(constants, **{name: float(end)})
            totals += [breakdown(costs, moved, evicted_kib=evicted_kib, switch_fraction=f).total
                       for f in (0.0, 1.0)]
    per_entry = costs.per_entry(0.0).bytes_copied
    switch = [s.copied for s in costs.by_vtls[1].switches] if len(costs.by_vtls) > 1 else []
    return CostRow(design.key, role, float(per_entry), float(max(switch, default=0)),
                   int(costs.by_vtls[1].pages_per_vp if len(costs.by_vtls) > 1 else 0),
                   parts[0.0].total, parts[1.0].total, parts[0.0].design_dependent,
                   parts[1.0].design_dependent, parts[1.0].design_dependent - parts[0.0].design_dependent,
                   min(totals), max(totals))


def _placements(design: Design) -> tuple[tuple[str, str, str, str], ...]:
    try:
        placed = design.placements if isinstance(design, _Declared) else base_placements(design)
    except SpecError:
        return ()
    return tuple((reg, "private" if p.owner is Owner.PRIVATE else "shared", p.home.word, p.copy.word)
                 for reg, p in placed.items())


def gather(design: Design, against: Sequence[Design], *, lower_vtls: int = 2, seed: int = 0,
           constants: CostConstants = DEFAULT, evicted_kib: float = DEFAULT_EVICTED_KIB) -> Report:
    """Run every check and measurement the report shows."""
    verdicts = []
    counterexample = None
    for vps in VERDICT_VPS:
        r = verify(design, vps, lower_vtls)
        trace = r.counterexample
        verdicts.append(Verdict(vps, r.verified, r.complete, r.states, r.transitions,
                                None if trace is None else len(trace)))
        if counterexample is None and trace is not None:
            counterexample = tuple(trace)
    findings: tuple[Finding, ...] = ()
    text = None
    if counterexample is not None:
        text = dump_trace(counterexample, lower_vtls)
        findings = _dedup(simulate(design, list(counterexample), lower_vtls=lower_vtls).violations)
    spec = design.spec if isinstance(design, _Declared) else None
    rules = () if spec is None else tuple(
        (", ".join(r.names), "private" if r.owner is Owner.PRIVATE else "shared",
         r.home.word if r.home else "(default)", r.copy.word if r.copy else "(default)", r.why)
        for r in spec.rules)
    rows = [_costs(design, "proposal", constants, evicted_kib)]
    baselines = [d for d in against if d.key != design.key]
    rows += [_costs(d, "baseline", constants, evicted_kib) for d in baselines]
    flips = tuple(sensitivity(design, baselines, constants, evicted_kib=evicted_kib,
                              switch_fraction=REVIEW_SWITCH_FRACTION)) if baselines else ()
    return Report(design.key, design.title, design.summary, None if spec is None else spec.base,
                  None if spec is None else spec.source, rules, _placements(design),
                  tuple(sorted(design.private)), lower_vtls, seed, tuple(verdicts), counterexample, text,
                  findings, tuple(rows), tuple(constants_rows(constants)),
                  tuple(unverified_names()), evicted_kib, flips)


# --- rendering ---------------------------------------------------------------------------------
def charts(report: Report) -> dict[str, str]:
    """The report's charts as SVG text, by file stem (byte-stable: fixed hash salt, no dates)."""
    import matplotlib as mpl

    from tdxlab.render.charts import RC, new_figure
    from tdxlab.render.style import to_bytes

    names = [c.design for c in report.costs]
    out = {}
    with mpl.rc_context({**RC, "svg.hashsalt": "tdxlab-review"}):
        fig = new_figure(6.4, 3.2)
        ax = fig.add_subplot()
        y = range(len(names))
        ax.barh([i + 0.2 for i in y], [c.bytes_per_entry for c in report.costs], 0.4, label="per entry")
        ax.barh([i - 0.2 for i in y], [c.bytes_per_switch for c in report.costs], 0.4, label="per VTL switch")
        ax.set_yticks(list(y), names)
        ax.set_xlabel("bytes the paravisor copies")
        ax.set_title("Bytes copied, proposal and baselines")
        ax.legend(loc="lower right")
        out["bytes_copied"] = to_bytes(fig, "svg").decode("utf-8")
        fig = new_figure(6.4, 3.2)
        ax = fig.add_subplot()
        ax.barh([i + 0.2 for i in y], [c.ns_design_no_switch for c in report.costs], 0.4, label="no switch")
        ax.barh([i - 0.2 for i in y], [c.ns_design_all_switch for c in report.costs], 0.4,
                label="every entry after a switch")
        ax.set_yticks(list(y), names)
        ax.set_xlabel("modelled ns per entry that differ between designs (copy + cache + TLB)")
        ax.set_title("Design-dependent cost per entry (model; see constants)")
        ax.legend(loc="lower right")
        out["design_cost"] = to_bytes(fig, "svg").decode("utf-8")
        if report.sensitivity:
            from tdxlab.render.charts import draw_sensitivity

            fig = new_figure(7.2, 4.6)
            ax = draw_sensitivity(report.sensitivity, ax=fig.add_subplot(), top=10)
            s = report.sensitivity[0]
            ax.set_title(describe.sensitivity_title(s.design, s.against, REVIEW_SWITCH_FRACTION,
                                                    report.evicted_kib), fontsize=8)
            out["sensitivity"] = to_bytes(fig, "svg").decode("utf-8")
    return out


def _table(head: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    def cell(x: object) -> str:
        return str(x).replace("|", "\\|").replace("\n", " ")
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head),
            *("| " + " | ".join(cell(x) for x in r) + " |" for r in rows)]


def _sections(report: Report) -> list[tuple[str, list[str], list[tuple[list[str], list[list[object]]]]]]:
    """(heading, paragraphs, tables) of each section: the one content both formats render."""
    sig = describe.significant
    verdict = [describe.review_verdict(v.vps, report.lower_vtls, v.verified, v.complete, v.states,
                                       v.transitions, v.counterexample_length) for v in report.verdicts]
    proposal = [report.summary] if report.summary else []
    if report.source:
        proposal.append(f"Declared in `{report.source}` on base `{report.base}`.")
    tables: list[tuple[list[str], list[list[object]]]] = []
    if report.rules:
        tables.append((["registers", "class", "home", "copy", "why"], [list(r) for r in report.rules]))
    placement_tables: list[tuple[list[str], list[list[object]]]] = (
        [(["register", "class", "home", "copy"], [list(p) for p in report.placements])]
        if report.placements else [])
    cost_rows = [[c.design, c.role, f"{c.bytes_per_entry:g}", f"{c.bytes_per_switch:g}", c.pages_per_vp,
                  sig(c.ns_design_no_switch), sig(c.ns_design_per_switch), sig(c.ns_no_switch),
                  f"{sig(c.ns_low)}–{sig(c.ns_high)}"] for c in report.costs]
    flipping = [s for s in report.sensitivity if not s.holds]
    moving = sorted(report.sensitivity, key=lambda s: -s.span)[:5]
    sens_rows: list[list[object]] = [[s.constant, f"{s.low:,.6g}..{s.high:,.6g} {CONSTANTS[s.constant].unit}",
                  sig(s.diffs[0]), sig(s.diff_default), sig(s.diffs[-1]),
                  "holds" if s.holds else "FLIPS at " + ", ".join(f"{v:,.4g}" for v in s.flips)]
                 for s in [*flipping, *[m for m in moving if m not in flipping]]]
    findings = [[f.reg, f.access, f.severity, f.count, f.first_step, f.example] for f in report.findings]
    constants = [[r["name"], r["value"], r["unit"], r["confidence"], r["range"], r["source"]]
                 for r in report.constants]
    return [
        ("Verdict", verdict, []),
        ("The proposal as declared", proposal or ["A built-in design (no design file)."], tables),
        ("Every register's placement", [describe.placement_note(report.private)], placement_tables),
        ("Findings", [describe.review_findings_note(len(report.findings), report.counterexample is not None)],
         [(["register", "observed at", "severity", "count", "first step", "example"], findings)]
         if findings else []),
        ("Cost against the baselines", [describe.review_cost_note(report.unverified, report.evicted_kib)],
         [(["design", "role", "B copied / entry", "B copied / switch", "pages / VP",
            "design ns / entry (no switch)", "design ns / switch", "total ns / entry (no switch)",
            "total range"], cost_rows)]),
        ("Which cost conclusions the unverified constants can flip",
         [describe.review_sensitivity_note(report.sensitivity, REVIEW_SWITCH_FRACTION, report.evicted_kib)],
         [(["constant", "range", "difference at low end", "at its value", "at high end", "conclusion"],
           sens_rows)] if sens_rows else []),
        ("Provenance", [describe.review_provenance(__version__, OV_SNAPSHOT, report.seed, report.lower_vtls)],
         [(["constant", "value", "unit", "confidence", "range", "source"], constants)]),
    ]


def markdown(report: Report, svg_files: dict[str, str]) -> str:
    """The GitHub-flavoured report; ``svg_files`` maps chart stem to the file name beside it."""
    lines = [f"# Design review: {report.key}", "", f"**{report.title}**", ""]
    for heading, paragraphs, tables in _sections(report):
        lines += [f"## {heading}", ""]
        for p in paragraphs:
            lines += [p, ""]
        for head, rows in tables:
            lines += [*_table(head, rows), ""]
        if heading == "Cost against the baselines":
            lines += [f"![{stem}]({name})" for stem, name in svg_files.items()
                      if stem != "sensitivity"] + [""]
        if heading.startswith("Which cost conclusions") and "sensitivity" in svg_files:
            lines += [f"![sensitivity]({svg_files['sensitivity']})", ""]
        if heading == "Findings" and report.counterexample_text:
            lines += ["Counterexample (`counterexample.jsonl`, replay with `tdxlab simulate --trace`):", "",
                      "```json", report.counterexample_text.rstrip(), "```", ""]
    return "\n".join(lines)


_CSS = """body{font:15px/1.45 system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #ccc;padding:.2rem .45rem;
text-align:left;vertical-align:top}th{background:#f2f2f2}pre{background:#f7f7f7;padding:.6rem;overflow:auto}
.verdict{font-size:1.15rem;font-weight:600;padding:.5rem .8rem;border-left:6px solid}
.safe{border-color:#009e73;background:#e9f7f2}.unsafe{border-color:#d55e00;background:#fbeee6}
figure{margin:1rem 0}figure svg{max-width:100%;height:auto}"""


def html_page(report: Report, svgs: dict[str, str]) -> str:
    """The self-contained report: inline CSS and SVG, no network."""
    e = html.escape
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>Design review: {e(report.key)}</title><style>{_CSS}</style></head><body>",
           f"<h1>Design review: {e(report.key)}</h1><p><strong>{e(report.title)}</strong></p>"]
    for heading, paragraphs, tables in _sections(report):
        out.append(f"<h2>{e(heading)}</h2>")
        for i, p in enumerate(paragraphs):
            if heading == "Verdict":
                cls = "safe" if report.verified else "unsafe"
                out.append(f'<p class="verdict {cls}" data-verdict="{e(cls)}">{e(p)}</p>' if i == 0
                           else f"<p>{e(p)}</p>")
            else:
                out.append(f"<p>{e(p).replace('`', '')}</p>")
        for head, rows in tables:
            out.append("<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in head) + "</tr>")
            out += ["<tr>" + "".join(f"<td>{e(str(x))}</td>" for x in r) + "</tr>" for r in rows]
            out.append("</table>")
        shown = ([s for s in svgs if s != "sensitivity"] if heading == "Cost against the baselines" else
                 ["sensitivity"] if heading.startswith("Which cost conclusions") and "sensitivity" in svgs
                 else [])
        for stem in shown:
            body = svgs[stem][svgs[stem].index("<svg"):]  # drop the XML prolog: inline SVG in HTML
            out.append(f'<figure id="{e(stem)}">{body}</figure>')
        if heading == "Findings" and report.counterexample_text:
            out.append(f"<pre>{e(report.counterexample_text)}</pre>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def costs_csv(report: Report) -> str:
    """One row per design: the figures of :class:`CostRow`, unrounded."""
    buf = io.StringIO()
    fields = [f.name for f in dataclasses.fields(CostRow)]
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(fields)
    for row in report.costs:
        writer.writerow([getattr(row, f) for f in fields])
    return buf.getvalue()


def write(report: Report, out_dir: str | Path) -> list[Path]:
    """Write report.html, report.md, its SVG charts, costs.csv and (if any) counterexample.jsonl."""
    out = check_dir(out_dir)
    svgs = charts(report)
    names = {stem: f"{stem}.svg" for stem in svgs}
    paths = [write_atomic(out / names[stem], svg) for stem, svg in svgs.items()]
    paths.append(write_atomic(out / "report.md", markdown(report, names)))
    paths.append(write_atomic(out / "report.html", html_page(report, svgs)))
    paths.append(write_atomic(out / "costs.csv", costs_csv(report)))
    stale = out / "counterexample.jsonl"
    if report.counterexample_text is not None:
        paths.append(write_atomic(stale, report.counterexample_text))
    elif stale.is_file() or stale.is_symlink():
        stale.unlink()  # an earlier run's counterexample would contradict this verdict
    return paths


__all__ = ["CostRow", "Finding", "Report", "Verdict", "charts", "costs_csv", "gather", "html_page",
           "markdown", "write"]
