"""Which registers the simulator tracks, and their architectural reset values.

The simulator tracks every guest register the TDX context page carries
(``tdx_vp_context``): the 16 GPRs, RFLAGS, RIP, SSP, RVI/SVI, the six banked MSRs,
CR2 and the FXSAVE image registers.  The list is *derived* from the layout
declaration, so a register added there is simulated with no extra code.
The TDX entry flags (``vm_flags``) are paravisor control, not guest state; the
checker verifies only their ``vm_index`` bits (which L2 VM gets entered).
"""

from __future__ import annotations

import numbers

from tdxlab.layout.engine import layout_of
from tdxlab.layout.structs import TDX_VP_CONTEXT
from tdxlab.owners import Owner
from tdxlab.registers import REGISTERS, Platform, UnknownRegisterError

#: Lower VTLs a partition has unless it says otherwise: VTL 0 and VTL 1 (VTL 2 is the paravisor).
DEFAULT_LOWER_VTLS = 2
#: The most lower VTLs a partition may declare.  TDX allows up to 3 L2 VMs below the L1
#: paravisor (TM ``tdx_tdvps.h``: ``MAX_L2_VMS = MAX_VMS - 1 = 3``; reference sheet 3.6) and
#: SNP has VMPL 1-3 below the paravisor at VMPL 0 (sheet 1.10).
MAX_LOWER_VTLS = 3


def check_lower_vtls(value: object, where: str = "lower_vtls") -> int:
    """A partition's number of lower VTLs (2 or 3), or a one-line error naming ``where``.

    One VTL alone is not a partition property the kit models: a partition that never
    enables VTL 1 is a 2-VTL partition whose VTL 1 stays disabled.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) \
            or int(value) not in range(DEFAULT_LOWER_VTLS, MAX_LOWER_VTLS + 1):
        raise ValueError(f"{where} must be {DEFAULT_LOWER_VTLS} or {MAX_LOWER_VTLS} (TDX has at most "
                         f"{MAX_LOWER_VTLS} L2 VMs below the paravisor), got {value!r}")
    return int(value)


def paravisor_vtl(lower_vtls: int) -> int:
    """The VTL number of the paravisor above ``lower_vtls`` lower VTLs (VTL 2 in OpenHCL today)."""
    return lower_vtls

#: Guest registers the simulator tracks, in context-page order.
MODELLED: tuple[str, ...] = tuple(
    r for r in layout_of(TDX_VP_CONTEXT).registers() if r != "vm_flags"
)
_MODELLED_SET = frozenset(MODELLED)

#: Architectural reset values that are not zero (x86 RFLAGS bit 1; OV xsave.rs FCW and MXCSR).
RESET_VALUES: dict[str, int] = {"rflags": 0x2, "fcw": 0x37F, "mxcsr": 0x1F80}


def reset_value(reg: str) -> int:
    """The value a register holds before any guest writes it."""
    return RESET_VALUES.get(reg, 0)


#: How much of a bad value an error message echoes: a 10 MB value is shown by its start and length.
SHOWN_CHARS = 40


def shown(value: object, *, escape: bool = False) -> str:
    """``repr(value)`` (``ascii`` with ``escape``), cut to :data:`SHOWN_CHARS` characters plus its length."""
    text = ascii(value) if escape else repr(value)
    if len(text) <= SHOWN_CHARS:
        return text
    return f"{text[:SHOWN_CHARS]}... ({len(text):,} characters)"


def check_modelled(reg: str) -> str:
    """Return the canonical name of a simulated register, or raise a one-line error.

    Names are ASCII: ``str.lower`` would fold the Kelvin sign (U+212A) to ``k``, so
    ``\u212aernel_gs_base`` would otherwise name ``kernel_gs_base``.
    """
    if not reg.isascii():
        raise UnknownRegisterError(f"unknown register {shown(reg, escape=True)}: register names are ASCII")
    name = reg.lower()
    if name not in REGISTERS:
        raise UnknownRegisterError(f"unknown register {shown(reg)}")
    if name not in _MODELLED_SET:
        raise UnknownRegisterError(
            f"register {name!r} is not carried by the TDX context page, so it is not simulated; "
            f"simulated: {', '.join(MODELLED[:20])}, ..."
        )
    return name


def arch_owner(reg: str, platform: Platform) -> Owner:
    """The architectural class of ``reg``: what each VTL must observe (truth for the checker)."""
    return REGISTERS[reg].owner(platform)


def _value_widths() -> dict[str, int]:
    """The narrowest slot any simulated structure gives each register.

    The VMSA stores TSC_AUX in 32 bits and each x87 register in 80 bits (10 bytes),
    where the TDX structures give them 8 and 16 bytes; a value wider than the narrowest
    slot cannot be held by every design, so a trace may not set it (otherwise the SNP
    design would truncate it and the checker would report a violation that is really
    an impossible input).
    """
    from tdxlab.layout.structs import TDX_PRIVATE_REGS
    from tdxlab.layout.vmsa import SEV_VMSA

    widths = {r: REGISTERS[r].width for r in MODELLED}
    for decl in (TDX_VP_CONTEXT, TDX_PRIVATE_REGS, SEV_VMSA):
        layout = layout_of(decl)
        for reg in MODELLED:
            row = layout.register_row(reg)
            if row is not None:
                widths[reg] = min(widths[reg], row.size)
    return widths


_WIDTHS = _value_widths()


def width_of(reg: str) -> int:
    """Value width in bytes a ``set`` may use: the register's narrowest slot in any design."""
    return _WIDTHS[reg]


#: The most VPs a partition may have, and so the highest VP index plus one (docs/trace-format.md):
#: Hyper-V's own limit is of this order, and every VP costs the reference engine about 37 KB.
MAX_VPS = 4096


def check_vps(value: object, name: str = "vps") -> int:
    """A VP count: a positive integer up to :data:`MAX_VPS`, or a one-line error naming it."""
    n = positive_count(value, name)
    if n > MAX_VPS:
        raise ValueError(f"{name} must be at most {MAX_VPS:,}, got {n:,}")
    return n


def positive_count(value: object, name: str = "vps") -> int:
    """A count from user input (VPs, repeats) as an int, or a one-line error naming it.

    One check for every count the kit takes: a bool is not a count, numpy integers are.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)
