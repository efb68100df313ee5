"""Structures of the ``split`` design: tdxlab's concrete reading of openvmm #746's proposal.

#746 suggested "a page per VTL" and "moving the VTL-agnostic data into a separate
structure".  No such layout exists in OpenVMM, so this one is a *design* (marked
:attr:`~tdxlab.sources.Confidence.DESIGN`), chosen to change as little as possible:

* each lower VTL gets its own context page whose layout is the unchanged
  ``tdx_vp_context`` placed at page offset 0x110, so the guest-state list keeps its
  256-byte alignment at 0x200 and the kernel's load/save code is the same, just
  pointed at a different page per VTL (TDG.VP.ENTER caches the buffer GPA per VM
  index, so the interface allows this: TM ``tdg_vp_enter.c``);
* the run page keeps ``hcl_run``; its 1024-byte context union now holds
  ``tdx_shared_context``, the VTL-agnostic state (CR2, the FX image, the VP-wide
  cache-flush flags and the TSC-deadline timer), with the FX image at the same
  run-page offset 0x300 as today.

Registers that the TLFS calls shared but TDG.VP.ENTER must read from the per-VTL
guest-state buffer (the 15 GPRs other than RSP) cannot live in the shared struct;
the design copies them from the source VTL's page to the target's on a VTL switch.
"""

from __future__ import annotations

from tdxlab.layout.declare import Field, Prim, StructDecl, pad
from tdxlab.layout.structs import FXSAVE, TDX_L2_TSC_DEADLINE, TDX_VP_CONTEXT, hcl_run
from tdxlab.owners import Owner
from tdxlab.sources import TDXLAB_DESIGN

TDX_SHARED_CONTEXT = StructDecl(
    "tdx_shared_context",
    (
        Field("cr2", Prim.U64, reg="cr2"),
        Field("flags", Prim.U64, owner=Owner.GLOBAL, note="vp_state.flags (wbinvd/wbnoinvd), VP-wide"),
        Field("l2_tsc_deadline", TDX_L2_TSC_DEADLINE),
        pad("pad1", 464, note="keeps fx_state at run-page offset 0x300"),
        Field("fx_state", FXSAVE),
        pad("pad2", 16),
    ),
    TDXLAB_DESIGN,
    "split design: VTL-agnostic state in the run page's context union (one copy for all VTLs).",
    asserted_size=1024,
    asserted_offsets=(("fx_state", 0x1F0),),
)

#: The run page of the split design: same header, context union read as the shared struct.
HCL_RUN_SPLIT = hcl_run(TDX_SHARED_CONTEXT, "hcl_run_split")

TDX_VTL_PAGE = StructDecl(
    "tdx_vtl_page",
    (
        pad("header", 0x110, note="unused; keeps the context at the run page's offset"),
        Field("context", TDX_VP_CONTEXT, note="this VTL's own tdx_vp_context"),
    ),
    TDXLAB_DESIGN,
    "split design: one per lower VTL; only its private fields and the GPR list are used.",
    asserted_offsets=(("context.gpr_list", 0x200),),
)
