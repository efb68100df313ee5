"""The named structures users can ask for (``tdxlab layout NAME``), in teaching order."""

from __future__ import annotations

from tdxlab.layout.declare import StructDecl
from tdxlab.layout.engine import Layout, LayoutError, layout_of
from tdxlab.layout.structs import (
    FXSAVE,
    HCL_CPU_CONTEXT_X64,
    HCL_RUN,
    HCL_RUN_SNP,
    SNP_VP_CONTEXT,
    TDX_EXIT_INFO,
    TDX_L2_ENTER_GUEST_STATE,
    TDX_L2_TSC_DEADLINE,
    TDX_PRIVATE_REGS,
    TDX_VP_CONTEXT,
    TDX_VP_STATE,
)
from tdxlab.layout.vmsa import SEV_SELECTOR, SEV_VMSA, SEV_VMSA_PAGE

_DECLS: list[StructDecl] = [
    HCL_RUN,
    TDX_VP_CONTEXT,
    TDX_EXIT_INFO,
    TDX_VP_STATE,
    TDX_L2_ENTER_GUEST_STATE,
    TDX_L2_TSC_DEADLINE,
    FXSAVE,
    TDX_PRIVATE_REGS,
    SNP_VP_CONTEXT,
    HCL_RUN_SNP,
    HCL_CPU_CONTEXT_X64,
    SEV_VMSA,
    SEV_VMSA_PAGE,
    SEV_SELECTOR,
]

#: Every named structure, by the name its source gives it.
STRUCTS: dict[str, StructDecl] = {d.name: d for d in _DECLS}


def get(name: str) -> Layout:
    """The layout of the structure ``name``, with a one-line error listing known names."""
    try:
        return layout_of(STRUCTS[name])
    except KeyError:
        raise LayoutError(
            f"unknown structure {name!r}; known: {', '.join(STRUCTS)}"
        ) from None
