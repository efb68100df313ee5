"""The named constants of the time model: value, unit, source, how sure we are, and a range.

Every number that turns a *count* (bytes copied, cache lines, pages, instructions) into
nanoseconds lives here, once, with its citation from section 4 of the reference sheet
(``shared/reference/domain-facts.md``) or, where the sheet has none, marked as tdxlab's own
assumption.  Most of the numbers that decide the *scale* are **unverified**: no public
TDG.VP.ENTER or VMGEXIT round trip could be retrieved, so the entry round trips stand in
with the published VMX and SVM figures, and the per-instruction costs of the kernel's
fixed work (FXSAVE, FXRSTOR, RDMSR, WRMSR) are not in the sheet at all.  Every view that
shows them says so (:func:`unverified_names`), and every unverified constant carries a
plausible range (:attr:`ConstantInfo.low` .. :attr:`ConstantInfo.high`, with why) that the
sensitivity analysis (:mod:`tdxlab.cost.sensitivity`) sweeps to show which conclusions flip.

How the round trips are composed per platform is declared in :mod:`tdxlab.cost.fixed`.

All constants are overridable: :class:`CostConstants` is a frozen dataclass, so
``dataclasses.replace(DEFAULT, user_mode_cycles=0)`` gives a reviewer's own set,
and :func:`with_overrides` does the same from ``name=value`` text with one-line
errors (the CLI and the widget use it).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tdxlab.sources import Confidence, Origin, Source

# --- sources (reference sheet section 4) ------------------------------------------------------
_KVM_UNIT_TESTS = Source(
    Origin.LINUX,
    'commit b7ffc44d5b2e "x86/kvm/vmx: Defer TR reload after VM exit" (kvm-unit-tests vmexit, 2017)',
    Confidence.MEASURED,
    note="Intel host model not stated",
)
_CVM_EVAL = Source(
    Origin.PUBLISHED,
    "TUM-DSE/CVM_eval benchmarks/vmexit/README.md (example output)",
    Confidence.EXAMPLE,
    note="1,744 cycles = 646 ns and 10,400 cycles = 3,851 ns, i.e. 2.70 cycles per ns",
)
_D2L = Source(
    Origin.PUBLISHED,
    'd2l.ai "Hardware" chapter latency table (E. Eshelman gist)',
    Confidence.MEASURED,
    note="generic server CPU; DRAM row: TinyMemBench, Broadwell E5-2690v4, 64 MB local",
)
_D2L_BW = Source(
    Origin.PUBLISHED,
    'd2l.ai "Hardware" chapter: DDR4 20-25 GB/s per module',
    Confidence.MEASURED,
    note="compiled figure; the low end is used",
)
_HOT_COPY = Source(
    Origin.SHEET,
    'domain-facts 4: "4 KiB page copy, cache-hot: tens of ns"',
    Confidence.UNVERIFIED,
    note="4,096 B in about 40 ns is about 100 GB/s; the sheet marks the row derived, unverified",
)
_NESTED_WALK = Source(
    Origin.SHEET,
    "domain-facts 4: nested (EPT) 2-D walk, (n+1)(m+1)-1 references, 4-level both sides",
    Confidence.DERIVED,
)
_NO_TDX_FIGURE = Source(
    Origin.SHEET,
    "domain-facts 4: TDG.VP.ENTER round trip not found",
    Confidence.UNVERIFIED,
    note="stand-in: a VMX exit handled in the kernel (kvm-unit-tests CPUID, 1,291 cycles after the "
    "b7ffc44d5b2e patch): the TDX module's entry to the L2 and its exit back to the L1 kernel",
)
_USER_MODE = Source(
    Origin.SHEET,
    "domain-facts 4: kvm-unit-tests inl_from_qemu 6,209 minus CPUID 1,291 cycles (after the patch)",
    Confidence.UNVERIFIED,
    note="derived from two measured VMX figures: what going on to the user-space VMM and back adds "
    "to an exit; that OpenHCL's VTL2 user-mode round trip costs the same is unverified",
)
_CR_ACCESS = Source(
    Origin.SHEET,
    "domain-facts 4: MOV to/from CR8 without exit, 11-17 cycles (kvm-unit-tests)",
    Confidence.UNVERIFIED,
    note="a CR8 figure used for the kernel's CR2 accesses: an assumption",
)
_NOT_IN_SHEET_INSN = Source(
    Origin.TDXLAB,
    "per-instruction cycles of FXSAVE/FXRSTOR/RDMSR/WRMSR are not in the reference sheet",
    Confidence.UNVERIFIED,
    note="assumption of order of magnitude (serialising MSR accesses cost tens to hundreds of "
    "cycles); the sensitivity range spans it",
)
_SVM_LKML = Source(
    Origin.PUBLISHED,
    "LKML Dec 2020, KVM SVM vmload/vmsave host-state handling "
    "(https://lkml.iu.edu/hypermail/linux/kernel/2012.2/00527.html)",
    Confidence.UNVERIFIED,
    note="VMRUN to #VMEXIT back in KVM about 1,344-1,376 cycles, AMD host, not SEV; an SEV-SNP "
    "world switch (VMSA encryption, RMP checks) is unverified",
)
_SVM_HOST = Source(
    Origin.PUBLISHED,
    "LKML Dec 2020 (same post): whole KVM_RUN ioctl about 2,528-2,576 cycles",
    Confidence.UNVERIFIED,
    note="minus the VMRUN round trip (1,344-1,376) leaves about 1,190 cycles of host software per "
    "exit; what Hyper-V spends relaying a VMGEXIT to a lower VMPL is unverified",
)
_NO_TLB_FIGURE = Source(
    Origin.SHEET,
    "domain-facts 4: TLB-miss latency in ns not found",
    Confidence.UNVERIFIED,
    note="assumption: each walk reference hits L1 (paging-structure caches warm)",
)
_NOT_IN_SHEET = Source(
    Origin.TDXLAB,
    "cache and TLB capacities are not in the reference sheet",
    Confidence.UNVERIFIED,
    note="assumption: typical recent server core; tdxlab.cost.host reports this machine's own",
)
_CLOCK = Source(
    Origin.TDXLAB,
    "assumed core clock for cycles -> ns",
    Confidence.DERIVED,
    note=f"assumption; 2.70 GHz is the cycles/ns ratio in the example output of {_CVM_EVAL.cite()}",
)
#: What the TDX round trip stands in with, and where that figure was measured.
_STAND_IN = f"VMX exit handled in the kernel (kvm-unit-tests CPUID; {_KVM_UNIT_TESTS.cite()})"


@dataclass(frozen=True)
class CostConstants:
    """The numbers the time model uses; see :data:`CONSTANTS` for unit and source of each.

    Frozen so that a set of constants can be a dictionary key and a sweep axis;
    change one with :func:`dataclasses.replace` or :func:`with_overrides`.
    """

    cpu_ghz: float = 2.7
    tdx_entry_cycles: float = 1291.0
    user_mode_cycles: float = 4918.0
    fxrstor_cycles: float = 100.0
    fxsave_cycles: float = 100.0
    rdmsr_cycles: float = 50.0
    wrmsr_cycles: float = 100.0
    cr_cycles: float = 14.0
    snp_world_switch_cycles: float = 1360.0
    snp_host_cycles: float = 1190.0
    l1_ns: float = 1.5
    l2_ns: float = 5.0
    l3_ns: float = 16.0
    dram_ns: float = 46.0
    copy_gb_per_s: float = 20.0
    hot_copy_gb_per_s: float = 100.0
    walk_refs: float = 24.0
    walk_ref_ns: float = 1.5
    l1_kib: float = 48.0
    l2_kib: float = 2048.0
    l3_kib: float = 32768.0
    tlb_entries: float = 2048.0

    def __post_init__(self) -> None:
        """Reject values the model cannot use (one line naming the constant)."""
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"constant {f.name}: expected a number, got {value!r}")
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"constant {f.name}: must be a finite number >= 0, got {value!r}")
            if f.name in _POSITIVE and value == 0:
                raise ValueError(f"constant {f.name}: must be > 0 (it divides), got {value!r}")


#: Constants the model divides by (or uses as capacities): zero is meaningless.
_POSITIVE = frozenset({"cpu_ghz", "copy_gb_per_s", "hot_copy_gb_per_s", "l1_kib", "l2_kib", "l3_kib",
                       "tlb_entries"})

#: The defaults, as sourced below.
DEFAULT = CostConstants()


@dataclass(frozen=True)
class ConstantInfo:
    """What one constant means, its unit and source, how it moves the cost, and its plausible range.

    ``raises_cost`` says which way the model is monotone in it: latencies and
    cycle counts raise the cost; clock, bandwidth and capacities lower it.
    ``assumption`` marks a value chosen by tdxlab rather than read from a source.
    ``low``/``high`` bound the values the sensitivity analysis tries, for every constant
    that is unverified or an assumption; ``range_why`` says where the bounds come from.
    """

    name: str
    label: str
    unit: str
    source: Source
    raises_cost: bool
    assumption: bool = False
    stand_in_for: str = ""
    low: float | None = None
    high: float | None = None
    range_why: str = ""

    @property
    def default(self) -> float:
        """The default value (from :data:`DEFAULT`)."""
        return float(getattr(DEFAULT, self.name))

    @property
    def unverified(self) -> bool:
        """True when the sheet could not confirm the value: every view must say so."""
        return self.source.unverified

    @property
    def confidence(self) -> str:
        """The sheet's marker: measured, example, derived or unverified."""
        return self.source.confidence.value

    @property
    def uncertain(self) -> bool:
        """True for the constants the sensitivity analysis sweeps (unverified or an assumption)."""
        return self.unverified or self.assumption


def _c(name: str, label: str, unit: str, source: Source, raises_cost: bool, *,
       assumption: bool = False, stand_in_for: str = "",
       span: tuple[float, float, str] | None = None) -> ConstantInfo:
    low, high, why = span if span is not None else (None, None, "")
    return ConstantInfo(name, label, unit, source, raises_cost, assumption, stand_in_for, low, high, why)


_ASSUMED_SPAN = "assumption: a factor of about 2 to 4 either side of the default"

#: One entry per field of :class:`CostConstants`, in field order.
CONSTANTS: dict[str, ConstantInfo] = {
    c.name: c
    for c in (
        _c("cpu_ghz", "core clock", "GHz", _CLOCK, False, assumption=True,
           span=(2.0, 3.8, "assumption: base to turbo clocks of recent server parts")),
        _c("tdx_entry_cycles", "TDG.VP.ENTER to the L2 and its exit back to the L1 kernel", "cycles",
           _NO_TDX_FIGURE, True, stand_in_for=_STAND_IN,
           span=(1181.0, 8304.0, "domain-facts 4: VMX VMCALL round trip (1,181) to a nested VMX L2 "
                 "round trip with enlightened VMCS (8,304)")),
        _c("user_mode_cycles", "to VTL2 user mode and back, once per exit (the run loop is there)",
           "cycles", _USER_MODE, True,
           span=(0.0, 5565.0, "0: the exit is handled in the kernel (domain-facts 3.5 offload paths); "
                 "5,565: inl_from_qemu before the patch (6,856) minus 1,291")),
        _c("fxrstor_cycles", "one FXRSTOR (512 B image)", "cycles", _NOT_IN_SHEET_INSN, True,
           assumption=True, span=(50.0, 400.0, _ASSUMED_SPAN)),
        _c("fxsave_cycles", "one FXSAVE (512 B image)", "cycles", _NOT_IN_SHEET_INSN, True,
           assumption=True, span=(50.0, 400.0, _ASSUMED_SPAN)),
        _c("rdmsr_cycles", "one RDMSR", "cycles", _NOT_IN_SHEET_INSN, True, assumption=True,
           span=(25.0, 200.0, _ASSUMED_SPAN)),
        _c("wrmsr_cycles", "one WRMSR", "cycles", _NOT_IN_SHEET_INSN, True, assumption=True,
           span=(50.0, 500.0, _ASSUMED_SPAN)),
        _c("cr_cycles", "one MOV to or from CR2", "cycles", _CR_ACCESS, True, assumption=True,
           span=(11.0, 100.0, "11: the low end of the CR8 figure; 100: assumption")),
        _c("snp_world_switch_cycles", "one VMRUN and its #VMEXIT (SVM world switch)", "cycles",
           _SVM_LKML, True,
           span=(1344.0, 5000.0, "1,344: the LKML figure's low end (not SEV); 5,000: assumption, "
                 "SEV-SNP's encrypted VMSA and RMP checks can only add")),
        _c("snp_host_cycles", "hypervisor software per exit it relays", "cycles", _SVM_HOST, True,
           span=(500.0, 5000.0, _ASSUMED_SPAN)),
        _c("l1_ns", "L1 data-cache hit", "ns", _D2L, True),
        _c("l2_ns", "L2 hit", "ns", _D2L, True),
        _c("l3_ns", "L3 hit (unshared)", "ns", _D2L, True),
        _c("dram_ns", "DRAM access (64 MB working set, local)", "ns", _D2L, True),
        _c("copy_gb_per_s", "copy bandwidth of bytes not in L1 (DRAM stream, per module)", "GB/s",
           _D2L_BW, False),
        _c("hot_copy_gb_per_s", "copy bandwidth of bytes in L1", "GB/s", _HOT_COPY, False,
           span=(30.0, 200.0, "assumption around the sheet's 'tens of ns' per 4 KiB")),
        _c("walk_refs", "memory references per TLB miss (nested EPT walk)", "refs", _NESTED_WALK, True),
        _c("walk_ref_ns", "cost of one page-walk reference", "ns", _NO_TLB_FIGURE, True, assumption=True,
           span=(1.5, 46.0, "from an L1 hit to a DRAM access (domain-facts 4 latency rows)")),
        _c("l1_kib", "L1 data-cache capacity per core", "KiB", _NOT_IN_SHEET, False, assumption=True,
           span=(32.0, 64.0, "assumption: L1D sizes of recent x86 server cores")),
        _c("l2_kib", "L2 capacity per core", "KiB", _NOT_IN_SHEET, False, assumption=True,
           span=(512.0, 4096.0, "assumption: L2 sizes of recent x86 server cores")),
        _c("l3_kib", "L3 capacity available to the core", "KiB", _NOT_IN_SHEET, False, assumption=True,
           span=(4096.0, 131072.0, "assumption: the L3 share one core can use")),
        _c("tlb_entries", "second-level TLB entries (4 KiB pages)", "entries", _NOT_IN_SHEET, False,
           assumption=True, span=(1024.0, 4096.0, "assumption: STLB sizes of recent x86 cores")),
    )
}
assert tuple(CONSTANTS) == tuple(f.name for f in dataclasses.fields(CostConstants)), "CONSTANTS order"
assert all(c.low is not None and c.high is not None and c.low <= c.default <= c.high
           for c in CONSTANTS.values() if c.uncertain), "every uncertain constant has a range around it"

#: Published reference points a reviewer may switch to (``tdxlab cost --preset NAME``).
PRESETS: dict[str, CostConstants] = {
    "default": DEFAULT,
    # The exit handled in VTL2's kernel, no trip to user mode: the kernel's offload paths
    # (interrupt-pending exits, simple ICR writes, HLT; domain-facts 3.5).  The lower bound.
    "kernel-exit": dataclasses.replace(DEFAULT, user_mode_cycles=0.0),
    # TDG.VP.ENTER costing what a nested VMX L2 round trip costs under Hyper-V with
    # enlightened VMCS (8,304 cycles; domain-facts 4): TDX partitioning is an L2 under the module.
    "nested-evmcs": dataclasses.replace(DEFAULT, tdx_entry_cycles=8304.0),
}


def unverified_names() -> list[str]:
    """Names of constants whose values the reference sheet could not confirm."""
    return [n for n, c in CONSTANTS.items() if c.unverified]


def uncertain_names() -> list[str]:
    """Names of the constants the sensitivity analysis sweeps: unverified or tdxlab's assumption."""
    return [n for n, c in CONSTANTS.items() if c.uncertain]


def constants_rows(constants: CostConstants = DEFAULT) -> list[dict[str, object]]:
    """Every constant with value, unit, confidence, range and citation (CLI, notebook, report)."""
    rows: list[dict[str, object]] = []
    for name, info in CONSTANTS.items():
        rows.append({
            "name": name,
            "value": float(getattr(constants, name)),
            "unit": info.unit,
            "confidence": info.confidence + (" (assumption)" if info.assumption else ""),
            "range": "" if info.low is None else f"{info.low:g}..{info.high:g}",
            "meaning": info.label,
            "source": info.source.cite(),
        })
    return rows


def with_overrides(base: CostConstants = DEFAULT, overrides: Mapping[str, float] | None = None,
                   **more: float) -> CostConstants:
    """``base`` with some constants replaced; unknown names are a one-line error listing the known."""
    changes = {**(overrides or {}), **more}
    unknown = sorted(set(changes) - set(CONSTANTS))
    if unknown:
        raise ValueError(f"unknown cost constant(s) {', '.join(unknown)}; known: {', '.join(CONSTANTS)}")
    return dataclasses.replace(base, **{k: float(v) for k, v in changes.items()})


def parse_overrides(items: Iterable[str], where: str = "--constant") -> dict[str, float]:
    """Parse ``name=value`` strings (CLI); errors name the item and where it came from."""
    out: dict[str, float] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ValueError(f"{where} {item!r}: expected NAME=VALUE, e.g. user_mode_cycles=0")
        if name not in CONSTANTS:
            raise ValueError(f"{where} {item!r}: unknown constant {name!r}; known: {', '.join(CONSTANTS)}")
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"{where} {item!r}: {raw.strip()!r} is not a number") from None
        out[name] = value
    return out


def from_preset(preset: str = "default", items: Iterable[str] = (), *, preset_option: str = "--preset",
                constant_option: str = "--constant") -> CostConstants:
    """A named preset with ``name=value`` overrides applied (the CLI's ``--preset``/``--constant``).

    Errors are one-line :class:`ValueError` naming the option, e.g. an unknown preset or
    a malformed override; the CLI reports them with exit code 2.
    """
    if preset not in PRESETS:
        raise ValueError(f"{preset_option}: unknown preset {preset!r}; known: {', '.join(PRESETS)}")
    return with_overrides(PRESETS[preset], parse_overrides(items, constant_option))


__all__ = [
    "CONSTANTS",
    "DEFAULT",
    "PRESETS",
    "ConstantInfo",
    "CostConstants",
    "constants_rows",
    "from_preset",
    "parse_overrides",
    "uncertain_names",
    "unverified_names",
    "with_overrides",
]
