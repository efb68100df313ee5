"""Issue 13, classes 3 and 4: every size has a limit with a clear error, and ``simulate`` runs a trace
of any length in bounded memory (peak RSS is measured by benchmarks/bench_scale.py, not here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tdxlab.commands import main
from tdxlab.sim.events import TraceError
from tdxlab.sim.machine import Simulation
from tdxlab.sim.model import MAX_VPS
from tdxlab.sim.trace import MAX_LOAD_BYTES, TraceStream, load_trace, parse_trace

ROOT = Path(__file__).resolve().parent.parent


def _one_line_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str], words: str) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err and "Traceback" not in err


def test_a_vp_index_past_the_limit_is_refused_before_anything_is_allocated() -> None:
    with pytest.raises(TraceError, match=f"vp must be below {MAX_VPS:,}"):
        parse_trace('{"op": "run", "vp": 1000000}\n')
    assert len(parse_trace(f'{{"op": "run", "vp": {MAX_VPS - 1}}}\n')) == 1
    with pytest.raises(ValueError, match=f"vps must be at most {MAX_VPS:,}"):
        Simulation("bank", MAX_VPS + 1)


def test_cli_limits(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _one_line_exit_2(capsys, ["simulate", "--design", "bank", "--scenario", "secure_call_round_trip",
                              "--vps", "1000000000"], f"--vps must be at most {MAX_VPS:,}")
    _one_line_exit_2(capsys, ["check", "--design", "bank", "--search", "1000000000"],
                     "--search: at most 100,000")
    _one_line_exit_2(capsys, ["simulate", "--design", "bank", "--trace", "/dev/zero"], "not a regular file")
    _one_line_exit_2(capsys, ["simulate", "--design", "bank", "--trace", str(tmp_path)], "not a regular file")
    _one_line_exit_2(capsys, ["simulate", "--design", "bank", "--scenario", "secure_call_round_trip",
                              "--no-steps", "--max-findings", "2000000"], "--max-findings: at most 1,000,000")


def test_a_fifo_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "trace.fifo"
    os.mkfifo(fifo)
    argv = [sys.executable, "-m", "tdxlab", "simulate", "--design", "bank", "--trace", str(fifo)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=ROOT, check=False)
    assert done.returncode == 2 and "not a regular file" in done.stderr and done.stderr.count("\n") == 1


def test_a_line_without_end_is_refused_before_it_fills_memory(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    path.write_bytes(b'{"op": "run", "vp": 0}\n' + b" " * (2 << 20) + b"\n")
    for read in (load_trace, lambda p: list(TraceStream(p))):
        with pytest.raises(TraceError, match="line longer than 1 MiB") as info:
            read(path)
        assert info.value.line == 2


def test_load_trace_refuses_a_file_too_big_to_hold(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    with path.open("wb") as f:
        f.truncate(MAX_LOAD_BYTES + 1)  # sparse: costs no disk
    with pytest.raises(TraceError, match=r"loaded whole .*streams"):
        load_trace(path)


def _long_trace(path: Path, rounds: int) -> int:
    """A valid naive-breaking trace: VTL 0 sets RIP, calls VTL 1, runs it, returns, many times."""
    lines = ['{"op": "enable_vtl", "vp": 0, "vtl": 1}']
    for i in range(rounds):
        lines += [f'{{"op": "set", "vp": 0, "vtl": 0, "reg": "rip", "value": {0x1000 + i}}}',
                  '{"op": "run", "vp": 0}', '{"op": "vtl_call", "vp": 0}', '{"op": "run", "vp": 0}',
                  '{"op": "vtl_return", "vp": 0, "fast": true}', '{"op": "run", "vp": 0}']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


def test_simulate_streams_counts_every_finding_and_keeps_the_first(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "long.jsonl"
    events = _long_trace(path, 2000)
    assert main(["simulate", "--design", "naive", "--trace", str(path), "--max-findings", "5"]) == 1
    out = capsys.readouterr().out
    assert f"({events:,} events, 1 VP, 2 lower VTLs)" in out
    shown = [ln for ln in out.splitlines() if ln.lstrip().startswith("[")]
    assert len(shown) == 5 and "more not shown" in out
    assert main(["simulate", "--design", "naive", "--trace", str(path), "--max-findings", "5",
                 "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["events"] == events and len(doc["findings"]) == 5
    assert doc["findings_total"] == doc["findings_not_shown"] + 5 == sum(doc["severity_counts"].values())
    # the step view records every step, and reports the same total
    assert main(["simulate", "--design", "naive", "--trace", str(path), "--steps", "--format", "json"]) == 1
    stepped = json.loads(capsys.readouterr().out)
    assert len(stepped["steps"]) == events and len(stepped["findings"]) == doc["findings_total"]
    assert main(["simulate", "--design", "bank", "--trace", str(path)]) == 0
    assert "no isolation finding" in capsys.readouterr().out


def test_recording_stops_at_its_limit_and_says_how_to_stream(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from tdxlab.sim import machine

    assert machine.MAX_RECORDED_STEPS == 100_000  # the documented limit; the test uses a smaller one
    monkeypatch.setattr(machine, "MAX_RECORDED_STEPS", 600)
    path = tmp_path / "long.jsonl"
    events = _long_trace(path, 600 // 6 + 1)
    assert events > 600
    assert main(["simulate", "--design", "bank", "--trace", str(path), "--steps"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "stops at 600" in err and "without --steps" in err
    assert main(["simulate", "--design", "bank", "--trace", str(path)]) == 0  # streamed: no limit


def test_the_reference_engine_makes_a_vp_only_when_it_is_used() -> None:
    # A trace that names only the last VP: one VP is made, not 4,096 (each about 37 KB).
    sim = Simulation("bank", MAX_VPS)
    result = sim.run(parse_trace(f'{{"op": "run", "vp": {MAX_VPS - 1}}}\n'))
    assert len(sim.vps) == result.vps == MAX_VPS
    assert [v.index for v in sim.vps.made()] == [MAX_VPS - 1]
    assert result.steps[0].active_vtl == (0,) * MAX_VPS  # a VP not made is in VTL 0, as at reset
    # what a VP never named held before the first event is still there when a view asks for it,
    # the same as a VP made up front (VP 0 of a one-VP partition)
    eager = Simulation("bank", 1)
    assert result.initial[0] == eager.initial[0] and result.initial_truth[0] == eager.initial_truth[0]
    # and making it later neither logs accesses nor claims a step wrote its reset values
    assert result.violations == [] and sim.mem.take() == []
