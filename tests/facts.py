"""Figures the tests pin, each stated once, with the reference-sheet section it comes from.

``shared/reference/domain-facts.md`` is the source; nothing here is computed by tdxlab.
When a change moves one of these figures (say a register joins the bank), the figure is
restated here, once, and every test that pins it follows.
"""

from __future__ import annotations

#: 2.1: ``TdxPrivateRegs`` has 13 fields with 90 bytes of payload (11 u64 + 2 u8), copied
#: into the run page before every entry and out after it.
BANK_FIELDS = 13
BANK_BYTES = 90
#: 2.1: in the run page those fields occupy four 64-byte cache lines.
BANK_LINES = (0x180, 0x1C0, 0x200, 0x280)
#: 1.5/2.1: TDG.VP.ENTER reads the 15 GPRs other than RSP (8 bytes each) from the entered
#: VM's own guest-state buffer, so the split design copies them on each VTL switch.
SPLIT_SWITCH_GPRS = 15
SPLIT_SWITCH_BYTES = 120
#: 2.2 (modelled subset): OV SNP ``switch_vtl`` copies 15 GPRs (120 B), CR2 (8 B), ST0-7
#: (8 x 10 B) and XMM0-15 (16 x 16 B); not the x87 control/status fields or MXCSR.
SNP_SWITCH_REGS = 40
SNP_SWITCH_BYTES = 464
