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
#: 3.5: the kernel's work around one TDG.VP.ENTER: 1 FXRSTOR + 1 FXSAVE, 1 RDMSR + 5 WRMSR
#: before the TDCALL (the sixth WRMSR, of XSS, only when it changed), 6 RDMSR + 5 WRMSR after
#: it, and 2 CR2 accesses.
KERNEL_FXRSTOR = 1
KERNEL_FXSAVE = 1
KERNEL_RDMSR = 1 + 6
KERNEL_WRMSR = 5 + 5
KERNEL_CR2 = 2
#: 4: kvm-unit-tests (after the b7ffc44d5b2e patch): CPUID handled in the kernel 1,291 cycles,
#: inl_from_qemu (to the user-space VMM) 6,209 cycles.
VMX_KERNEL_EXIT_CYCLES = 1291
VMX_USER_EXIT_CYCLES = 6209
#: 4: LKML (Dec 2020) KVM SVM: VMRUN to #VMEXIT about 1,344-1,376 cycles; whole KVM_RUN ioctl
#: about 2,528-2,576 cycles.
SVM_WORLD_SWITCH = (1344, 1376)
SVM_KVM_RUN = (2528, 2576)
