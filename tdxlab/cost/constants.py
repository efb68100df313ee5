"""The named constants of the time model: value, unit, source and how sure we are.

Every number that turns a *count* (bytes copied, cache lines, pages) into
nanoseconds lives here, once, with its citation from section 4 of the reference
sheet (``shared/reference/domain-facts.md``).  Two of them matter most and are
**unverified**: no public TDG.VP.ENTER or VMGEXIT round-trip figure could be
retrieved, so both entry costs stand in with the newest published VMX figure
(an exit handled by a user-space VMM, kvm-unit-tests 2017).  Every view that
shows them says so (:func:`unverified_names`).

All constants are overridable: :class:`CostConstants` is a frozen dataclass, so
``dataclasses.replace(DEFAULT, tdx_entry_cycles=1291)`` gives a reviewer's own set,
and :func:`with_overrides` does the same from ``name=value`` text with one-line
errors (the CLI and the widget use it).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tdxlab.registers import Platform
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
_NESTED_WALK = Source(
    Origin.SHEET,
    "domain-facts 4: nested (EPT) 2-D walk, (n+1)(m+1)-1 references, 4-level both sides",
    Confidence.DERIVED,
)
_NO_TDX_FIGURE = Source(
    Origin.SHEET,
    "domain-facts 4: TDG.VP.ENTER round trip not found",
    Confidence.UNVERIFIED,
    note="stand-in: VMX exit handled by a user-space VMM (inl_from_qemu, 6209 cycles after the "
    "b7ffc44d5b2e patch); OpenHCL handles most TDX exits in VTL2 user mode",
)
_NO_SNP_FIGURE = Source(
    Origin.SHEET,
    "domain-facts 4: SEV-SNP VMGEXIT round trip / VMPL switch not found",
    Confidence.UNVERIFIED,
    note="stand-in: the same VMX user-space exit figure as TDX, so the fixed cost cancels "
    "between designs",
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
#: What the entry round trips stand in with, and where that figure was measured.
_STAND_IN = f"VMX exit to a user-space VMM (kvm-unit-tests inl_from_qemu; {_KVM_UNIT_TESTS.cite()})"


@dataclass(frozen=True)
class CostConstants:
    """The numbers the time model uses; see :data:`CONSTANTS` for unit and source of each.

    Frozen so that a set of constants can be a dictionary key and a sweep axis;
    change one with :func:`dataclasses.replace` or :func:`with_overrides`.
    """

    cpu_ghz: float = 2.7
    tdx_entry_cycles: float = 6209.0
    snp_entry_cycles: float = 6209.0
    l1_ns: float = 1.5
    l2_ns: float = 5.0
    l3_ns: float = 16.0
    dram_ns: float = 46.0
    copy_gb_per_s: float = 20.0
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
_POSITIVE = frozenset({"cpu_ghz", "copy_gb_per_s", "l1_kib", "l2_kib", "l3_kib", "tlb_entries"})

#: The defaults, as sourced below.
DEFAULT = CostConstants()


@dataclass(frozen=True)
class ConstantInfo:
    """What one constant means, its unit and source, and how it moves the cost.

    ``raises_cost`` says which way the model is monotone in it: latencies and
    cycle counts raise the cost; clock, bandwidth and capacities lower it.
    ``assumption`` marks a value chosen by tdxlab rather than read from a source.
    """

    name: str
    label: str
    unit: str
    source: Source
    raises_cost: bool
    assumption: bool = False
    stand_in_for: str = ""

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


#: One entry per field of :class:`CostConstants`, in field order.
CONSTANTS: dict[str, ConstantInfo] = {
    c.name: c
    for c in (
        ConstantInfo("cpu_ghz", "core clock", "GHz", _CLOCK, raises_cost=False, assumption=True),
        ConstantInfo("tdx_entry_cycles", "TDG.VP.ENTER round trip incl. return to VTL2 user mode",
                     "cycles", _NO_TDX_FIGURE, raises_cost=True,
                     stand_in_for=_STAND_IN),
        ConstantInfo("snp_entry_cycles", "VMGEXIT / VMPL-switch round trip incl. return to VTL2",
                     "cycles", _NO_SNP_FIGURE, raises_cost=True,
                     stand_in_for=_STAND_IN),
        ConstantInfo("l1_ns", "L1 data-cache hit", "ns", _D2L, raises_cost=True),
        ConstantInfo("l2_ns", "L2 hit", "ns", _D2L, raises_cost=True),
        ConstantInfo("l3_ns", "L3 hit (unshared)", "ns", _D2L, raises_cost=True),
        ConstantInfo("dram_ns", "DRAM access (64 MB working set, local)", "ns", _D2L, raises_cost=True),
        ConstantInfo("copy_gb_per_s", "copy bandwidth (DRAM stream, per module)", "GB/s", _D2L_BW,
                     raises_cost=False),
        ConstantInfo("walk_refs", "memory references per TLB miss (nested EPT walk)", "refs",
                     _NESTED_WALK, raises_cost=True),
        ConstantInfo("walk_ref_ns", "cost of one page-walk reference", "ns", _NO_TLB_FIGURE,
                     raises_cost=True, assumption=True),
        ConstantInfo("l1_kib", "L1 data-cache capacity per core", "KiB", _NOT_IN_SHEET,
                     raises_cost=False, assumption=True),
        ConstantInfo("l2_kib", "L2 capacity per core", "KiB", _NOT_IN_SHEET, raises_cost=False,
                     assumption=True),
        ConstantInfo("l3_kib", "L3 capacity available to the core", "KiB", _NOT_IN_SHEET,
                     raises_cost=False, assumption=True),
        ConstantInfo("tlb_entries", "second-level TLB entries (4 KiB pages)", "entries", _NOT_IN_SHEET,
                     raises_cost=False, assumption=True),
    )
}
assert tuple(CONSTANTS) == tuple(f.name for f in dataclasses.fields(CostConstants)), "CONSTANTS order"

#: Which constant is the entry round trip on each platform: the one place the time model
#: chooses between them (:func:`tdxlab.cost.timemodel.entry_cycles` and the vectorised sweep).
ENTRY_CYCLES: dict[Platform, str] = {
    Platform.TDX: "tdx_entry_cycles",
    Platform.SNP: "snp_entry_cycles",
}
assert set(ENTRY_CYCLES) == set(Platform) and set(ENTRY_CYCLES.values()) <= set(CONSTANTS), "ENTRY_CYCLES"

#: Published reference points a reviewer may switch to (``tdxlab cost --preset NAME``).
PRESETS: dict[str, CostConstants] = {
    "default": DEFAULT,
    # VMX exit handled in the kernel (CPUID, 1291 cycles after the patch): the lower bound if
    # OpenHCL's kernel could handle the exit without going to user mode (domain-facts 3.5).
    "kernel-exit": dataclasses.replace(DEFAULT, tdx_entry_cycles=1291.0, snp_entry_cycles=1291.0),
    # Nested VMX under Hyper-V with enlightened VMCS (8,304 cycles; domain-facts 4): an L2 guest.
    "nested-evmcs": dataclasses.replace(DEFAULT, tdx_entry_cycles=8304.0, snp_entry_cycles=8304.0),
}


def unverified_names() -> list[str]:
    """Names of constants whose values the reference sheet could not confirm."""
    return [n for n, c in CONSTANTS.items() if c.unverified]


def constants_rows(constants: CostConstants = DEFAULT) -> list[dict[str, object]]:
    """Every constant with value, unit, confidence and citation (tables in the CLI and notebook)."""
    rows: list[dict[str, object]] = []
    for name, info in CONSTANTS.items():
        rows.append({
            "name": name,
            "value": float(getattr(constants, name)),
            "unit": info.unit,
            "confidence": info.confidence + (" (assumption)" if info.assumption else ""),
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
            raise ValueError(f"{where} {item!r}: expected NAME=VALUE, e.g. tdx_entry_cycles=1291")
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
    "ENTRY_CYCLES",
    "PRESETS",
    "ConstantInfo",
    "CostConstants",
    "constants_rows",
    "from_preset",
    "parse_overrides",
    "unverified_names",
    "with_overrides",
]
