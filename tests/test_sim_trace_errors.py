"""Every kind of malformed or impossible trace event is rejected with its line number and reason.

Each trace below starts with a comment and a blank line, so line numbers count those too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tdxlab.sim.designs import Design
from tdxlab.sim.events import Event, Op, TraceError
from tdxlab.sim.machine import Simulation
from tdxlab.sim.trace import load_trace, parse_trace

HEAD = "# a trace\n\n"  # lines 1-2
ENABLE = '{"op": "enable_vtl", "vp": 0, "vtl": 1}'
RUN = '{"op": "run", "vp": 0}'
SET0 = '{"op": "set", "vp": 0, "vtl": 0, "reg": "rip", "value": "0x1000"}'


def _error(lines: list[str], vps: int | None = None) -> TraceError:
    """Parse and simulate; return the TraceError raised (fails if none is)."""
    text = HEAD + "\n".join(lines) + "\n"
    with pytest.raises(TraceError) as info:
        events = parse_trace(text)
        needed = max((e.vp for e in events), default=0) + 1
        Simulation("bank", needed if vps is None else vps).run(events)
    return info.value


# (id, trace lines after the head, line of the error, words the reason must contain, vps)
CASES = [
    ("bad-json", [RUN, '{"op": "run", "vp": 0'], 4, "bad JSON", None),
    ("not-an-object", [RUN, "[1, 2]"], 4, "expected a JSON object, got list", None),
    ("unknown-op", ['{"op": "jump", "vp": 0}'], 3, "unknown op 'jump'", None),
    ("missing-op", ['{"vp": 0}'], 3, 'missing "op"', None),
    ("missing-key", [RUN, '{"op": "set", "vp": 0, "vtl": 0, "reg": "rip"}'], 4, "missing 'value'", None),
    ("extra-key", ['{"op": "run", "vp": 0, "vtl": 0}'], 3, "unexpected key(s) 'vtl'", None),
    ("non-int-vp", ['{"op": "run", "vp": "0"}'], 3, "'vp' must be an integer", None),
    ("bool-vp", ['{"op": "run", "vp": true}'], 3, "'vp' must be an integer", None),
    ("negative-vp", ['{"op": "run", "vp": -1}'], 3, "vp must be >= 0", None),
    ("vp-beyond-partition", [RUN, '{"op": "run", "vp": 2}'], 4, "vp 2 does not exist", 2),
    ("vtl-3", ['{"op": "interrupt", "vp": 0, "vtl": 3}'], 3, "vtl must be 0..1, got 3 (a 2-VTL partition",
     None),
    ("vtl-2", ['{"op": "set", "vp": 0, "vtl": 2, "reg": "rip", "value": 1}'], 3, "VTL 2 is the paravisor",
     None),
    ("enable-vtl-0", ['{"op": "enable_vtl", "vp": 0, "vtl": 0}'], 3, "VTL 0 is always enabled", None),
    ("enable-twice", [ENABLE, RUN, ENABLE], 5, "VTL 1 is already enabled on VP 0", None),
    ("unknown-register", ['{"op": "set", "vp": 0, "vtl": 0, "reg": "rxx", "value": 1}'], 3,
     "unknown register 'rxx'", None),
    ("unsimulated-register", ['{"op": "set", "vp": 0, "vtl": 0, "reg": "cr3", "value": 1}'], 3,
     "'cr3' is not carried by the TDX context page", None),
    ("value-too-wide", ['{"op": "set", "vp": 0, "vtl": 0, "reg": "rvi", "value": "0x100"}'], 3,
     "does not fit rvi (1 bytes)", None),
    ("value-negative", ['{"op": "set", "vp": 0, "vtl": 0, "reg": "rip", "value": -1}'], 3,
     "does not fit rip", None),
    ("value-not-a-number", ['{"op": "set", "vp": 0, "vtl": 0, "reg": "rip", "value": "0xzz"}'], 3,
     "value '0xzz' for rip is not a number", None),
    ("value-wrong-type", ['{"op": "set", "vp": 0, "vtl": 0, "reg": "rip", "value": 1.5}'], 3,
     "must be an integer or hex string", None),
    ("set-for-vtl-not-running", [ENABLE, '{"op": "set", "vp": 0, "vtl": 1, "reg": "rip", "value": 1}'], 4,
     "VTL 1 is not running on VP 0", None),
    ("set-for-vtl-not-enabled", ['{"op": "set", "vp": 0, "vtl": 1, "reg": "rip", "value": 1}'], 3,
     "VTL 1 is not enabled on VP 0", None),
    ("vtl-call-without-vtl1", [RUN, '{"op": "vtl_call", "vp": 0}'], 4, "VTL 1 is not enabled on VP 0", None),
    ("interrupt-for-disabled-vtl1", ['{"op": "interrupt", "vp": 0, "vtl": 1}'], 3,
     "VTL 1 is not enabled on VP 0", None),
    ("vtl-return-from-vtl0", [ENABLE, '{"op": "vtl_return", "vp": 0}'], 4,
     "VP 0 is in VTL 0; there is no lower VTL to return to", None),
    ("vtl-call-from-vtl1", [ENABLE, '{"op": "vtl_call", "vp": 0}', '{"op": "vtl_call", "vp": 0}'], 5,
     "VP 0 is in VTL 1, the highest lower VTL of this 2-VTL partition", None),
    ("switch-with-pending-set", [ENABLE, SET0, '{"op": "vtl_call", "vp": 0}'], 5,
     "the set at line 4 for VTL 0 never took effect", None),
    ("interrupt-switch-with-pending-set", [ENABLE, SET0, '{"op": "interrupt", "vp": 0, "vtl": 1}'], 5,
     "never took effect", None),
    ("trailing-pending-set", [RUN, SET0], 4, "never took effect: the trace ends", None),
    # issue 13: inputs that escaped the handling, oddities once accepted silently
    ("non-ascii-digits", ['{"op": "set", "vp": 0, "vtl": 0, "reg": "rip", "value": "\u0661\u0662"}'], 3,
     "is not a number (hex 0x... or decimal, ASCII digits)", None),
    ("kelvin-sign", ['{"op": "set", "vp": 0, "vtl": 0, "reg": "\u212aernel_gs_base", "value": 1}'], 3,
     "register names are ASCII", None),
    ("duplicate-key", ['{"op": "run", "vp": 0, "vp": 1}'], 3, "key 'vp' given twice in one object", None),
    ("long-integer", ['{"op": "run", "vp": ' + "9" * 5000 + "}"], 3, "integer literal of 5,000 characters",
     None),
    ("deep-nesting", ["[" * 1000 + "]" * 1000], 3, "nested too deeply", None),
    ("two-events-one-line", [RUN + "\x1e" + RUN], 3, "bad JSON: Extra data at column 23", None),
]


@pytest.mark.parametrize(("lines", "line", "words", "vps"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rejected_with_line(lines: list[str], line: int, words: str, vps: int | None) -> None:
    err = _error(lines, vps)
    assert err.line == line
    assert words in err.reason
    assert str(err).startswith(f"line {line}: ")
    assert "\n" not in str(err)


def test_non_switching_interrupt_with_pending_set_is_fine() -> None:
    # An interrupt for the running VTL does not switch, so a queued set may still wait for the run.
    events = parse_trace("\n".join([SET0, '{"op": "interrupt", "vp": 0, "vtl": 0}', RUN]))
    assert Simulation("bank").run(events).violations == []


def test_file_errors_name_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(HEAD + RUN + "\n" + '{"op": "fly", "vp": 0}\n', encoding="utf-8")
    with pytest.raises(TraceError) as info:
        load_trace(path)
    assert info.value.line == 4
    assert str(info.value).startswith(f"{path} line 4: unknown op 'fly'")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TraceError) as info:
        load_trace(tmp_path / "nope.jsonl")
    assert "cannot read trace" in str(info.value) and info.value.line is None


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "bin.jsonl"
    path.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(TraceError, match="not UTF-8"):
        load_trace(path)


# --- a rejected event leaves the simulation unchanged ------------------------------------------
IMPOSSIBLE = [
    ("enable-twice", Event(Op.ENABLE_VTL, 0, 1, line=9)),
    ("set-not-running", Event(Op.SET, 0, 0, "rip", 5, line=9)),  # VP 0 is in VTL 1
    ("call-from-vtl1", Event(Op.VTL_CALL, 0, line=9)),
    ("vp-beyond", Event(Op.RUN, 3, line=9)),
]


@pytest.mark.parametrize("event", [e for _, e in IMPOSSIBLE], ids=[n for n, _ in IMPOSSIBLE])
def test_rejected_event_leaves_state_unchanged(design: Design, event: Event) -> None:
    sim = Simulation(design, vps=2)
    for ok in (Event(Op.ENABLE_VTL, 0, 1), Event(Op.SET, 0, 0, "rip", 7), Event(Op.RUN, 0),
               Event(Op.VTL_CALL, 0), Event(Op.SET, 0, 1, "rdx", 3)):
        sim.apply(ok)
    before = sim.checkpoint()
    steps, events, writers = len(sim.steps), sim.events, dict(sim.mem.last_writer)
    with pytest.raises(TraceError) as info:
        sim.apply(event)
    assert info.value.line == 9
    assert sim.checkpoint().state_key() == before.state_key()
    assert (len(sim.steps), sim.events, sim.mem.last_writer) == (steps, events, writers)
    assert sim.mem.take() == []  # nothing was logged for the rejected event
    # ... and the simulation carries on as if the event had never been given.
    sim.apply(Event(Op.RUN, 0))
    sim.apply(Event(Op.VTL_RETURN, 0))
    sim.apply(Event(Op.RUN, 0))
    # VTL 0 sees the shared RDX VTL 1 left; RAX and RCX come from the VP VTL control page (a
    # non-fast return, default 0 and 0), so the trace carries its value in RDX, not RAX
    observed = sim.steps[-1].observed
    assert observed is not None and (observed["rdx"], observed["rax"], observed["rcx"]) == (3, 0, 0)
    assert sim.steps[-1].violations == ()


# --- valid_events is the one answer to "what may happen next" -----------------------------------
def _shape_space(vp: int) -> list[Event]:
    """Every event of every kind on ``vp`` with each VTL the format allows, built from the Op fields.

    Kinds that name a register name RIP (and value 1 when they take one); ``vtl_return`` comes in
    both return kinds, not fast (the default) and fast.
    """
    out = []
    for op in Op:
        vtls = (0, 1) if "vtl" in op.fields else (None,)
        for vtl in vtls:
            if op is Op.ENABLE_VTL and vtl == 0:
                continue  # rejected by the parser already (VTL 0 is always enabled)
            reg = "rip" if op.has_register else None
            value = 1 if "value" in op.fields else None
            out.append(Event(op, vp, vtl, reg, value))
            if "fast" in op.optional:
                out.append(Event(op, vp, vtl, fast=True))
    return out


PREFIXES = {
    "reset": [],
    "vtl1-enabled": [Event(Op.ENABLE_VTL, 0, 1)],
    "in-vtl1": [Event(Op.ENABLE_VTL, 0, 1), Event(Op.VTL_CALL, 0)],
    "set-pending": [Event(Op.ENABLE_VTL, 0, 1), Event(Op.SET, 0, 0, "rax", 2)],
    "in-vtl1-set-pending": [Event(Op.ENABLE_VTL, 0, 1), Event(Op.VTL_CALL, 0), Event(Op.SET, 0, 1, "rax", 2)],
}
# The paravisor may read and write any enabled VTL's registers between runs, whichever VTL is
# current and whether or not a set waits (docs/trace-format.md: "The paravisor acts between runs").
PV_VTL0 = {"pv_get vp0 vtl0 rip", "pv_set vp0 vtl0 rip=0x1"}
PV_BOTH = PV_VTL0 | {"pv_get vp0 vtl1 rip", "pv_set vp0 vtl1 rip=0x1"}
# What each state allows on VP 0 (by the trace-format rules of docs/trace-format.md).
ALLOWED = {
    "reset": {"enable_vtl vp0 vtl1", "set vp0 vtl0 rip=0x1", "run vp0", "interrupt vp0 vtl0"} | PV_VTL0,
    "vtl1-enabled": {"set vp0 vtl0 rip=0x1", "run vp0", "vtl_call vp0", "interrupt vp0 vtl0",
                     "interrupt vp0 vtl1"} | PV_BOTH,
    # both return kinds: not fast (RAX/RCX from the control page) and fast
    "in-vtl1": {"set vp0 vtl1 rip=0x1", "run vp0", "vtl_return vp0", "vtl_return vp0 fast",
                "interrupt vp0 vtl0", "interrupt vp0 vtl1"} | PV_BOTH,
    "set-pending": {"set vp0 vtl0 rip=0x1", "run vp0", "interrupt vp0 vtl0"} | PV_BOTH,
    "in-vtl1-set-pending": {"set vp0 vtl1 rip=0x1", "run vp0", "interrupt vp0 vtl0",
                            "interrupt vp0 vtl1"} | PV_BOTH,
}


@pytest.mark.parametrize("state", list(PREFIXES))
def test_valid_events_are_exactly_what_apply_accepts(design: Design, state: str) -> None:
    sim = Simulation(design, vps=1, record=False)
    for e in PREFIXES[state]:
        sim.apply(e)
    valid = sim.valid_events(0, ["rip"], [1])
    assert {str(e) for e in valid} == ALLOWED[state]
    for event in _shape_space(0):
        probe = Simulation(design, vps=1, record=False)
        for e in PREFIXES[state]:
            probe.apply(e)
        if event in valid:
            probe.apply(event)
        else:
            with pytest.raises(TraceError):
                probe.apply(event)


@pytest.mark.parametrize("vp", [2, -1, True, "0"])
def test_valid_events_of_a_vp_that_does_not_exist(vp: object) -> None:
    with pytest.raises(ValueError, match=r"does not exist \(partition has 2 VPs: 0\.\.1\)"):
        Simulation("bank", vps=2).valid_events(vp)  # type: ignore[arg-type]


def test_unfinished_names_the_sets_no_run_carried_out() -> None:
    sim = Simulation("bank", vps=2, record=False)
    for e in (Event(Op.SET, 0, 0, "rip", 1), Event(Op.SET, 1, 0, "rax", 2), Event(Op.RUN, 0),
              Event(Op.SET, 1, 0, "rbx", 3)):
        sim.apply(e)
    assert sim.unfinished() == [1, 3]  # VP 1's two sets wait; VP 0's ran
