"""The new trace keys of the reviewer model are rejected like every other one: one line, its number.

One case per error row that ``docs/trace-format.md`` added for the header (``lower_vtls``),
VTL numbers in 2- and 3-VTL partitions, return kinds and the paravisor's ``pv_get``/``pv_set``;
a last test reads the doc's error table and requires every reason it promises to be produced
by some case here or in ``test_sim_trace_errors.py``, so the table cannot drift from the code.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_sim_trace_errors import CASES as SHAPE_CASES
from test_sim_trace_errors import HEAD

from tdxlab.sim.events import Event, Op, TraceError
from tdxlab.sim.machine import Simulation, simulate
from tdxlab.sim.trace import dump_trace, parse_trace

DOC = Path(__file__).resolve().parents[1] / "docs" / "trace-format.md"
THREE = '{"lower_vtls": 3}'
RUN = '{"op": "run", "vp": 0}'
ENABLE1 = '{"op": "enable_vtl", "vp": 0, "vtl": 1}'
ENABLE2 = '{"op": "enable_vtl", "vp": 0, "vtl": 2}'


def _error(lines: list[str], lower_vtls: int | None = None) -> TraceError:
    """Parse (with ``lower_vtls`` from the caller, if given) and simulate; the TraceError raised."""
    text = HEAD + "\n".join(lines) + "\n"
    with pytest.raises(TraceError) as info:
        events = parse_trace(text, lower_vtls)
        simulate("bank", events)
    return info.value


# (id, lines after the head, line of the error, words the reason must contain, --lower-vtls)
CASES = [
    ("vtl-2-in-2-vtl-trace", ['{"op": "interrupt", "vp": 0, "vtl": 2}'], 3,
     'vtl must be 0..1, got 2 (VTL 2 is the paravisor itself; declare {"lower_vtls": 3} or pass '
     "--lower-vtls 3)", None),
    ("vtl-3-in-3-vtl-trace", [THREE, '{"op": "interrupt", "vp": 0, "vtl": 3}'], 4,
     "vtl must be 0..2, got 3 (VTL 3 is the paravisor itself)", None),
    ("vtl-5", ['{"op": "interrupt", "vp": 0, "vtl": 5}'], 3,
     "vtl must be 0..1, got 5 (a 2-VTL partition has VTL 0..1 below the paravisor)", None),
    ("vtl-2-set-in-2-vtl-trace", ['{"op": "set", "vp": 0, "vtl": 2, "reg": "rip", "value": 1}'], 3,
     "VTL 2 is the paravisor itself", None),
    ("header-out-of-range", ['{"lower_vtls": 4}'], 3,
     "header: lower_vtls must be 2 or 3 (TDX has at most 3 L2 VMs below the paravisor), got 4", None),
    ("header-one", ['{"lower_vtls": 1}'], 3, "header: lower_vtls must be 2 or 3", None),
    ("header-not-an-int", ['{"lower_vtls": "3"}'], 3, "header: lower_vtls must be 2 or 3", None),
    ("header-bool", ['{"lower_vtls": true}'], 3, "header: lower_vtls must be 2 or 3", None),
    ("header-not-first", [RUN, THREE], 4,
     'missing "op" (a header such as {"lower_vtls": 3} may only be the first line)', None),
    ("header-with-other-keys", ['{"lower_vtls": 3, "vps": 2}'], 3,
     "header: unexpected key(s) 'vps' (known: lower_vtls)", None),
    ("header-against-the-caller", [THREE, RUN], 3, "header declares lower_vtls 3 but 2 was asked for", 2),
    ("enable-vtl-0", ['{"op": "enable_vtl", "vp": 0, "vtl": 0}'], 3,
     "enable_vtl: VTL 0 is always enabled; only a higher VTL can be enabled", None),
    ("enable-out-of-order", [THREE, ENABLE2], 4, "enable_vtl: VTL 2 cannot be enabled on VP 0 before VTL 1",
     None),
    ("return-kind-not-a-boolean",
     [ENABLE1, '{"op": "vtl_call", "vp": 0}', '{"op": "vtl_return", "vp": 0, "fast": 1}'], 5,
     "vtl_return: 'fast' must be true or false, got 1", None),
    ("return-kind-a-string", ['{"op": "vtl_return", "vp": 0, "fast": "yes"}'], 3,
     "vtl_return: 'fast' must be true or false, got 'yes'", None),
    ("fast-return-with-rax", ['{"op": "vtl_return", "vp": 0, "fast": true, "rax": 1}'], 3,
     "vtl_return: a fast return does not restore RAX/RCX, so 'rax' cannot be given", None),
    ("return-rcx-too-wide", ['{"op": "vtl_return", "vp": 0, "rcx": "0x10000000000000000"}'], 3,
     "does not fit rcx (8 bytes)", None),
    ("pv-get-without-register", ['{"op": "pv_get", "vp": 0, "vtl": 0}'], 3, "pv_get: missing 'reg'", None),
    ("pv-get-vtl-not-enabled", ['{"op": "pv_get", "vp": 0, "vtl": 1, "reg": "rip"}'], 3,
     "pv_get: VTL 1 is not enabled on VP 0", None),
    ("pv-set-vtl-not-enabled", ['{"op": "pv_set", "vp": 0, "vtl": 1, "reg": "rip", "value": 1}'], 3,
     "pv_set: VTL 1 is not enabled on VP 0", None),
    ("pv-set-value-too-wide", ['{"op": "pv_set", "vp": 0, "vtl": 0, "reg": "svi", "value": 256}'], 3,
     "value 256 does not fit svi (1 bytes)", None),
    ("pv-get-unknown-register", ['{"op": "pv_get", "vp": 0, "vtl": 0, "reg": "rxx"}'], 3,
     "unknown register 'rxx'", None),
    ("pv-get-extra-value", ['{"op": "pv_get", "vp": 0, "vtl": 0, "reg": "rip", "value": 1}'], 3,
     "pv_get: unexpected key(s) 'value'", None),
    ("pv-get-vtl-2-in-2-vtl-trace", ['{"op": "pv_get", "vp": 0, "vtl": 2, "reg": "rip"}'], 3,
     "vtl must be 0..1, got 2", None),
    ("vtl-call-from-the-top", [ENABLE1, '{"op": "vtl_call", "vp": 0}', '{"op": "vtl_call", "vp": 0}'], 5,
     "vtl_call: VP 0 is in VTL 1, the highest lower VTL of this 2-VTL partition; there is no lower "
     "VTL above it to call", None),
    ("vtl-call-to-disabled-vtl-2",
     [THREE, ENABLE1, '{"op": "vtl_call", "vp": 0}', '{"op": "vtl_call", "vp": 0}'], 6,
     "vtl_call: VTL 2 is not enabled on VP 0", None),
    ("vtl-return-from-vtl0", ['{"op": "vtl_return", "vp": 0}'], 3,
     "vtl_return: VP 0 is in VTL 0; there is no lower VTL to return to", None),
]


@pytest.mark.parametrize(("lines", "line", "words", "lower"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_rejected_with_line(lines: list[str], line: int, words: str, lower: int | None) -> None:
    err = _error(lines, lower)
    assert err.line == line
    assert words in err.reason
    assert str(err).startswith(f"line {line}: ")
    assert "\n" not in str(err)


def test_api_rejects_a_vtl_outside_the_partition() -> None:
    # The API checks what the parser checks: Event objects built by hand meet the same rule.
    sim = Simulation("bank", 1)
    with pytest.raises(TraceError, match=r"line 7: vtl must be 0\.\.1, got 2"):
        sim.apply(Event(Op.INTERRUPT, 0, 2, line=7))
    assert sim.events == 0


@pytest.mark.parametrize("count", [1, 4, True, 2.0, "3"])
def test_simulation_rejects_a_bad_vtl_count(count: object) -> None:
    with pytest.raises(ValueError, match="lower_vtls must be 2 or 3"):
        Simulation("bank", 1, lower_vtls=count)  # type: ignore[arg-type]


def test_header_round_trips_and_builds_the_partition() -> None:
    events = parse_trace("\n".join([THREE, ENABLE1, ENABLE2, RUN]))
    assert events.lower_vtls == 3 and len(events) == 3
    again = parse_trace(dump_trace(events))
    assert again.lower_vtls == 3 and list(again) == [
        Event(e.op, e.vp, e.vtl, e.reg, e.value, i + 2, e.fast, e.control) for i, e in enumerate(events)]
    assert simulate("split", events).lower_vtls == 3
    # A 2-VTL trace writes no header (the default partition), so old readers read it unchanged.
    assert not dump_trace(parse_trace(RUN)).startswith("{\"lower_vtls\"")


def test_simulate_refuses_a_trace_and_an_argument_that_disagree() -> None:
    with pytest.raises(ValueError, match="trace is for 3 lower VTLs but lower_vtls is 2"):
        simulate("bank", parse_trace(THREE + "\n" + RUN), lower_vtls=2)


def _doc_reasons() -> list[str]:
    """The backticked reasons of the error table in docs/trace-format.md (third column)."""
    text = DOC.read_text(encoding="utf-8")
    table = text[text.index("| error | example line | reason given |"):].split("\n\n", 1)[0]
    rows = [r for r in table.splitlines()[2:] if r.startswith("|")]
    reasons = []
    for row in rows:
        cell = row.rstrip().rstrip("|").rsplit("|", 1)[1]
        found = re.findall(r"`([^`]+)`", cell)
        assert found, f"error row without a backticked reason: {row}"
        reasons.append(found[0])
    return reasons


def _produced() -> list[str]:
    """Every reason the error cases of both test modules produce."""
    out = []
    for _, lines, _, _, vps in SHAPE_CASES:
        text = HEAD + "\n".join(lines) + "\n"
        try:
            events = parse_trace(text)
            needed = max((e.vp for e in events), default=0) + 1
            Simulation("bank", needed if vps is None else vps).run(events)
        except TraceError as exc:
            out.append(exc.reason)
    out += [_error(lines, lower).reason for _, lines, _, _, lower in CASES]
    return out


def test_every_documented_error_is_produced_by_a_case() -> None:
    produced = _produced()
    missing = []
    for reason in _doc_reasons():
        # "..." in the doc stands for the rest of a long message; each piece must appear in order.
        pieces = [p.strip() for p in reason.split("...") if p.strip()]
        pattern = ".*".join(re.escape(p) for p in pieces)
        if not any(re.search(pattern, got) for got in produced):
            missing.append(reason)
    assert missing == []
