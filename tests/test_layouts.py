"""Byte-exact layouts, pinned literally from the reference sheet (domain-facts section 1).

dissect.cstruct style: each table row is (field path, expected offset in hex, size), copied
from ``shared/reference/domain-facts.md`` (section numbers in the comments), never from
the code under test.  Then: leaves tile each structure, bytes round-trip to the pinned
offsets little-endian, bitfields write exactly their bits, and the numpy view agrees.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from facts import BANK_BYTES, BANK_FIELDS, BANK_LINES

from tdxlab.layout.catalog import STRUCTS, get
from tdxlab.layout.engine import Layout, LayoutError, RowKind

# --- 1.1 hcl_run (the run page); total 0x674, context at 0x110 -----------------------------------
HCL_RUN = [
    ("cancel", 0x000, 4),
    ("vtl_ret_action_size", 0x004, 4),
    ("flags", 0x008, 4),
    ("scan_proxy_irr", 0x00C, 1),
    ("offload_flags", 0x00D, 1),
    ("pad", 0x00E, 1),
    ("mode", 0x00F, 1),
    ("exit_message", 0x010, 256),
    ("context", 0x110, 1024),
    ("vtl_ret_actions", 0x510, 256),
    ("proxy_irr", 0x610, 32),
    ("target_vtl", 0x630, 1),
    ("proxy_irr_blocked", 0x634, 32),
    ("proxy_irr_exit", 0x654, 32),
    # 1.2 absolute run-page offsets of the TDX context members
    ("context.exit_info", 0x110, 88),
    ("context.pad1", 0x168, 48),
    ("context.vp_state", 0x198, 64),
    ("context.pad2", 0x1D8, 32),
    ("context.entry_rcx", 0x1F8, 8),
    ("context.gpr_list", 0x200, 160),
    ("context.l2_tsc_deadline", 0x2A0, 16),
    ("context.pad3", 0x2B0, 80),
    ("context.fx_state", 0x300, 512),
    ("context.pad4", 0x500, 16),
    # 1.5 absolute: RSP slot, rflags, rip, ssp, rvi, svi
    ("context.gpr_list.gps.rsp", 0x220, 8),
    ("context.gpr_list.rflags", 0x280, 8),
    ("context.gpr_list.rip", 0x288, 8),
    ("context.gpr_list.ssp", 0x290, 8),
    ("context.gpr_list.rvi", 0x298, 1),
    ("context.gpr_list.svi", 0x299, 1),
    # 2.1 absolute: CR2 and the global flags in vp_state
    ("context.vp_state.cr2", 0x1C0, 8),
    ("context.vp_state.flags", 0x1D0, 8),
]

# --- 1.2 tdx_vp_context (1024 asserted) -------------------------------------------------------------
TDX_VP_CONTEXT = [
    ("exit_info", 0x000, 88),
    ("pad1", 0x058, 48),
    ("vp_state", 0x088, 64),
    ("pad2", 0x0C8, 32),
    ("entry_rcx", 0x0E8, 8),
    ("gpr_list", 0x0F0, 160),
    ("l2_tsc_deadline", 0x190, 16),
    ("pad3", 0x1A0, 80),
    ("fx_state", 0x1F0, 512),
    ("pad4", 0x3F0, 16),
]

# --- 1.3 tdx_tdg_vp_enter_exit_info (88) ------------------------------------------------------------
EXIT_INFO = [
    ("rax", 0x00, 8), ("rcx", 0x08, 8), ("rdx", 0x10, 8), ("rsi", 0x18, 8), ("rdi", 0x20, 8),
    ("r8", 0x28, 8), ("r9", 0x30, 8), ("r10", 0x38, 8), ("r11", 0x40, 8), ("r12", 0x48, 8),
    ("r13", 0x50, 8),
]  # fmt: skip

# --- 1.4 tdx_vp_state (64) ----------------------------------------------------------------------------
VP_STATE = [
    ("msr_kernel_gs_base", 0x00, 8), ("msr_star", 0x08, 8), ("msr_lstar", 0x10, 8),
    ("msr_sfmask", 0x18, 8), ("msr_xss", 0x20, 8), ("cr2", 0x28, 8), ("msr_tsc_aux", 0x30, 8),
    ("flags", 0x38, 8),
]  # fmt: skip

# --- 1.5 TdxL2EnterGuestState (160); gps in canonical order, RSP at byte 32 -------------------------
L2_ENTER = [
    ("gps", 0x00, 128),
    ("gps.rax", 0x00, 8), ("gps.rcx", 0x08, 8), ("gps.rdx", 0x10, 8), ("gps.rbx", 0x18, 8),
    ("gps.rsp", 0x20, 8), ("gps.rbp", 0x28, 8), ("gps.rsi", 0x30, 8), ("gps.rdi", 0x38, 8),
    ("gps.r8", 0x40, 8), ("gps.r9", 0x48, 8), ("gps.r10", 0x50, 8), ("gps.r11", 0x58, 8),
    ("gps.r12", 0x60, 8), ("gps.r13", 0x68, 8), ("gps.r14", 0x70, 8), ("gps.r15", 0x78, 8),
    ("rflags", 0x80, 8), ("rip", 0x88, 8), ("ssp", 0x90, 8), ("rvi", 0x98, 1), ("svi", 0x99, 1),
    ("reserved", 0x9A, 6),
]  # fmt: skip

# --- 1.6 tdx_l2_tsc_deadline_state (16) ----------------------------------------------------------------
TSC_DEADLINE = [("deadline", 0x0, 8), ("update_deadline", 0x8, 1), ("pad", 0x9, 7)]

# --- 1.8 Fxsave (512) -------------------------------------------------------------------------------------
FXSAVE = [
    ("fcw", 0x00, 2), ("fsw", 0x02, 2), ("ftw", 0x04, 1), ("reserved", 0x05, 1), ("fop", 0x06, 2),
    ("fip", 0x08, 8), ("fdp", 0x10, 8), ("mxcsr", 0x18, 4), ("mxcsr_mask", 0x1C, 4),
    ("st", 0x20, 128), ("st.st0", 0x20, 16), ("st.st7", 0x90, 16),
    ("xmm", 0xA0, 256), ("xmm.xmm0", 0xA0, 16), ("xmm.xmm15", 0x190, 16),
    ("reserved2", 0x1A0, 48), ("unused", 0x1D0, 48),
]  # fmt: skip

# --- 1.9 hcl_cpu_context_x64 (1024 asserted); CR2 in the RSP slot ------------------------------------
CPU_CONTEXT = [
    ("gps_no_rsp", 0x000, 128), ("gps_no_rsp.cr2", 0x020, 8), ("fx_state", 0x080, 512),
    ("reserved", 0x280, 384),
]  # fmt: skip

# --- 1.10 snp_vp_context (1024; stimer0_config 64 and stimer0_flags 88 asserted) ---------------------
SNP_VP_CONTEXT = [
    ("vmsa_tweak_bitmap", 0x00, 64), ("stimer0_config", 0x40, 8), ("stimer0_count", 0x48, 8),
    ("stimer0_programmed_ref_time", 0x50, 8), ("stimer0_flags", 0x58, 4), ("reserved", 0x5C, 932),
]  # fmt: skip

HCL_RUN_SNP = [("context", 0x110, 1024), ("context.stimer0_flags", 0x168, 4),
               ("proxy_irr_exit", 0x654, 32)]

# --- 1.11 SevVmsa (0x670): every offset in the sheet's table (sizes from the OV field types) --------
SEV_VMSA = [
    ("es", 0x000, 16), ("cs", 0x010, 16), ("ss", 0x020, 16), ("ds", 0x030, 16),
    ("fs", 0x040, 16), ("gs", 0x050, 16),
    ("gdtr", 0x060, 16), ("ldtr", 0x070, 16), ("idtr", 0x080, 16), ("tr", 0x090, 16),
    ("pl0_ssp", 0x0A0, 8), ("pl1_ssp", 0x0A8, 8), ("pl2_ssp", 0x0B0, 8), ("pl3_ssp", 0x0B8, 8),
    ("u_cet", 0x0C0, 8),
    ("vmpl", 0x0CA, 1), ("cpl", 0x0CB, 1), ("efer", 0x0D0, 8),
    ("xss", 0x140, 8), ("cr4", 0x148, 8), ("cr3", 0x150, 8), ("cr0", 0x158, 8),
    ("dr7", 0x160, 8), ("dr6", 0x168, 8), ("rflags", 0x170, 8), ("rip", 0x178, 8),
    ("dr0", 0x180, 8), ("dr1", 0x188, 8), ("dr2", 0x190, 8), ("dr3", 0x198, 8),
    ("rsp", 0x1D8, 8), ("s_cet", 0x1E0, 8), ("ssp", 0x1E8, 8), ("rax", 0x1F8, 8),
    ("star", 0x200, 8), ("lstar", 0x208, 8), ("cstar", 0x210, 8), ("sfmask", 0x218, 8),
    ("kernel_gs_base", 0x220, 8),
    ("sysenter_cs", 0x228, 8), ("sysenter_esp", 0x230, 8), ("sysenter_eip", 0x238, 8),
    ("cr2", 0x240, 8), ("pat", 0x268, 8), ("dbgctl", 0x270, 8), ("spec_ctrl", 0x2E0, 8),
    ("pkru", 0x2E8, 4), ("tsc_aux", 0x2EC, 4),
    ("register_protection_nonce", 0x300, 8),
    ("rcx", 0x308, 8), ("rdx", 0x310, 8), ("rbx", 0x318, 8),
    ("secure_avic_control", 0x320, 8),
    ("rbp", 0x328, 8), ("rsi", 0x330, 8), ("rdi", 0x338, 8),
    ("r8", 0x340, 8), ("r9", 0x348, 8), ("r10", 0x350, 8), ("r11", 0x358, 8),
    ("r12", 0x360, 8), ("r13", 0x368, 8), ("r14", 0x370, 8), ("r15", 0x378, 8),
    ("exit_info1", 0x390, 8), ("exit_info2", 0x398, 8), ("exit_int_info", 0x3A0, 8),
    ("sev_features", 0x3B0, 8), ("v_intr_cntrl", 0x3B8, 8),
    ("virtual_tom", 0x3C8, 8), ("tlb_id", 0x3D0, 8), ("pcpu_id", 0x3D8, 8),
    ("event_inject", 0x3E0, 8), ("xcr0", 0x3E8, 8),
    ("x87dp", 0x400, 8), ("mxcsr", 0x408, 4), ("x87_fcw", 0x410, 2),
    ("xmm_registers", 0x470, 256), ("xmm_registers.xmm0", 0x470, 16),
    ("ymm_registers", 0x570, 256), ("ymm_registers.ymmh0", 0x570, 16),
]  # fmt: skip
SEV_VMSA_PAGE = [("vmsa", 0x000, 0x670), ("vmsa.rax", 0x1F8, 8), ("reserved", 0x670, 0x990)]
SEV_SELECTOR = [("selector", 0x0, 2), ("attrib", 0x2, 2), ("limit", 0x4, 4), ("base", 0x8, 8)]

#: structure -> (pinned rows, total size from the sheet)
PINNED: dict[str, tuple[list[tuple[str, int, int]], int]] = {
    "hcl_run": (HCL_RUN, 0x674),
    "tdx_vp_context": (TDX_VP_CONTEXT, 0x400),
    "tdx_tdg_vp_enter_exit_info": (EXIT_INFO, 88),
    "tdx_vp_state": (VP_STATE, 64),
    "TdxL2EnterGuestState": (L2_ENTER, 160),
    "tdx_l2_tsc_deadline_state": (TSC_DEADLINE, 16),
    "Fxsave": (FXSAVE, 512),
    "hcl_cpu_context_x64": (CPU_CONTEXT, 1024),
    "snp_vp_context": (SNP_VP_CONTEXT, 1024),
    "hcl_run_snp": (HCL_RUN_SNP, 0x674),
    "SevVmsa": (SEV_VMSA, 0x670),
    "sev_vmsa_page": (SEV_VMSA_PAGE, 4096),
    "SevSelector": (SEV_SELECTOR, 16),
}
PIN_CASES = [(s, p, o, n) for s, (rows, _) in PINNED.items() for p, o, n in rows]


@pytest.mark.parametrize(("struct", "path", "offset", "size"), PIN_CASES,
                         ids=[f"{s}.{p}" for s, p, _, _ in PIN_CASES])
def test_pinned_offset(struct: str, path: str, offset: int, size: int) -> None:
    row = get(struct).row(path)
    assert (row.offset, row.size) == (offset, size)


@pytest.mark.parametrize("struct", list(PINNED))
def test_pinned_size(struct: str) -> None:
    assert get(struct).size == PINNED[struct][1]


def test_every_catalogued_structure_is_pinned() -> None:
    # TdxPrivateRegs is a plain Rust struct whose field order the sheet does not give (2.1);
    # it is pinned by payload below instead.
    assert set(STRUCTS) - set(PINNED) == {"TdxPrivateRegs"}


def test_hcl_run_implicit_padding_after_target_vtl() -> None:
    """1.1: target_vtl (u8) is followed by 3 bytes of implicit padding."""
    holes = [(r.offset, r.size) for r in get("hcl_run").leaves() if r.kind is RowKind.HOLE]
    assert holes == [(0x631, 3)]


def test_sev_vmsa_reserved_fields_sit_at_linux_reserved_offsets() -> None:
    """1.11 cross-check: OV's reserved fields start at Linux's reserved offsets.

    Linux also keeps 0x320 and 0x3f0 reserved; OV names them (secure_avic_control,
    xsave_valid_bitmap).
    """
    vmsa = get("SevVmsa")
    ours = {r.offset for r in vmsa.leaves() if r.path.startswith("vmsa_reserved")}
    linux = {0xC8, 0xCC, 0xD8, 0x1C0, 0x248, 0x298, 0x2F0, 0x320, 0x380, 0x3F0}
    assert ours == linux - {0x320, 0x3F0}
    assert vmsa.row_at(0x320).path == "secure_avic_control"
    assert vmsa.row_at(0x3F0).path == "xsave_valid_bitmap"


@pytest.mark.parametrize("struct", list(STRUCTS))
def test_leaves_tile_the_structure(struct: str) -> None:
    layout = get(struct)
    leaves = sorted(layout.leaves(), key=lambda r: r.offset)
    assert leaves[0].offset == 0
    for a, b in itertools.pairwise(leaves):
        assert b.offset == a.end, f"{a.path} ends at {a.end:#x} but {b.path} starts at {b.offset:#x}"
    assert leaves[-1].end == layout.size
    assert sum(r.size for r in leaves) == layout.size


# --- byte round trip -----------------------------------------------------------------------------------
def _fill(layout: Layout) -> tuple[bytearray, dict[str, int]]:
    """Write a distinct value into every data leaf (every byte of leaf i differs from leaf i-1)."""
    buf = bytearray(layout.size)
    values: dict[str, int] = {}
    data = [r for r in layout.leaves() if r.kind is not RowKind.HOLE]
    for i, r in enumerate(data):
        raw = bytes(((i * 37 + k * 11) % 255) + 1 for k in range(r.size))
        values[r.path] = int.from_bytes(raw, "little")
        layout.write(buf, r.path, values[r.path])
    return buf, values


@pytest.mark.parametrize("struct", list(STRUCTS))
def test_round_trip_every_leaf(struct: str) -> None:
    layout = get(struct)
    buf, values = _fill(layout)
    for path, value in values.items():
        assert layout.read(buf, path) == value, path
    for r in layout.leaves():
        if r.kind is RowKind.HOLE:
            assert not any(buf[r.offset : r.end]), f"{r.path} was written"


@pytest.mark.parametrize(("struct", "path", "offset", "size"), PIN_CASES,
                         ids=[f"{s}.{p}" for s, p, _, _ in PIN_CASES])
def test_written_bytes_land_at_pinned_offset(struct: str, path: str, offset: int, size: int) -> None:
    layout = get(struct)
    buf = bytearray(layout.size)
    value = int.from_bytes(bytes(range(1, size + 1)) if size < 256 else b"\x5a" * size, "little")
    layout.write(buf, path, value)
    assert buf[offset : offset + size] == value.to_bytes(size, "little")
    assert not any(buf[:offset]) and not any(buf[offset + size :])


def test_write_at_base_offset() -> None:
    """A structure read inside a larger buffer (the VMSA page) lands relative to ``base``."""
    vmsa = get("SevVmsa")
    page = bytearray(8192)
    vmsa.write(page, "rip", 0x1122334455667788, base=4096)
    assert page[4096 + 0x178 : 4096 + 0x180] == bytes.fromhex("8877665544332211")


# --- bitfields ------------------------------------------------------------------------------------------
def test_vm_index_two_sets_exactly_bits_53_52_of_entry_rcx() -> None:
    run = get("hcl_run")
    buf = bytearray(run.size)
    run.write(buf, "context.entry_rcx.vm_index", 2)
    assert int.from_bytes(buf[0x1F8:0x200], "little") == 0x0020_0000_0000_0000
    assert sum(bin(b).count("1") for b in buf) == 1
    # Other bits survive a bitfield write.
    run.write(buf, "context.entry_rcx.invd_translations", 1)
    run.write(buf, "context.entry_rcx.vm_index", 1)
    assert int.from_bytes(buf[0x1F8:0x200], "little") == (1 << 52) | 1
    assert run.read(buf, "context.entry_rcx.vm_index") == 1


@pytest.mark.parametrize(("struct", "path", "lsb", "width"), [
    ("tdx_vp_context", "entry_rcx.invd_translations", 0, 2),
    ("tdx_vp_context", "entry_rcx.reserved0", 2, 50),
    ("tdx_vp_context", "entry_rcx.vm_index", 52, 2),
    ("tdx_vp_context", "entry_rcx.reserved1", 54, 10),
    ("tdx_vp_state", "flags.wbinvd", 0, 1),
    ("tdx_vp_state", "flags.wbnoinvd", 1, 1),
    ("snp_vp_context", "stimer0_flags.config_valid", 0, 1),
    ("snp_vp_context", "stimer0_flags.kernel_update", 1, 1),
    ("snp_vp_context", "stimer0_flags.expired", 2, 1),
    ("hcl_run", "offload_flags.offload_intr_inject", 0, 1),
    ("hcl_run", "offload_flags.offload_x2apic", 1, 1),
    ("hcl_run", "offload_flags.halted_other", 5, 1),
    ("hcl_run", "offload_flags.halted_hlt", 6, 1),
    ("hcl_run", "offload_flags.halted_idle", 7, 1),
    ("hcl_run", "mode.first", 0, 4),
    ("hcl_run", "mode.second", 4, 4),
    ("hcl_run", "target_vtl.target_vtl_value", 0, 4),
    ("hcl_run", "target_vtl.use_target_vtl", 4, 1),
    ("hcl_run", "flags.halted", 0, 1),
])  # fmt: skip
def test_bit_positions(struct: str, path: str, lsb: int, width: int) -> None:
    """1.1, 1.4, 1.7, 1.10 bit positions."""
    row = get(struct).row(path)
    assert (row.bit_lsb, row.bit_width) == (lsb, width)


@pytest.mark.parametrize(("struct", "path", "bits"), [
    ("tdx_vp_context", "entry_rcx.vm_index", "53:52"),  # 1.7
    ("tdx_vp_context", "entry_rcx.invd_translations", "1:0"),
    ("hcl_run", "target_vtl.use_target_vtl", "4:4"),  # 1.1
    ("tdx_vp_context", "entry_rcx", ""),  # the integer holding them is not a bit range
    ("hcl_run", "context.gpr_list.rip", ""),
])  # fmt: skip
def test_bit_range_is_msb_colon_lsb(struct: str, path: str, bits: str) -> None:
    assert get(struct).row(path).bit_range == bits


@pytest.mark.parametrize(("path", "value"), [
    ("context.entry_rcx.vm_index", 4),
    ("context.entry_rcx.invd_translations", -1),
    ("context.gpr_list.rvi", 0x100),
    ("context.gpr_list.rip", 1 << 64),
    ("cancel", -1),
])  # fmt: skip
def test_value_too_wide_raises(path: str, value: int) -> None:
    run = get("hcl_run")
    buf = bytearray(run.size)
    with pytest.raises(LayoutError, match="does not fit"):
        run.write(buf, path, value)
    assert not any(buf)


# --- 2.1: TdxPrivateRegs payload and its cache lines in the run page ------------------------------------
def test_tdx_private_regs_payload() -> None:
    regs = get("TdxPrivateRegs")
    fields = [r for r in regs.leaves() if r.kind is RowKind.FIELD]
    assert len(fields) == BANK_FIELDS
    assert sum(r.size for r in fields) == BANK_BYTES


#: 2.1: the run-page home of each banked register (absolute offsets).
PRIVATE_HOME = {
    "rsp": 0x220, "rflags": 0x280, "rip": 0x288, "ssp": 0x290, "rvi": 0x298, "svi": 0x299,
    "kernel_gs_base": 0x198, "star": 0x1A0, "lstar": 0x1A8, "sfmask": 0x1B0, "xss": 0x1B8,
    "tsc_aux": 0x1C8, "vm_flags": 0x1F8,
}  # fmt: skip


def test_private_registers_touch_four_cache_lines() -> None:
    run, regs = get("hcl_run"), get("TdxPrivateRegs")
    assert set(regs.registers()) == set(PRIVATE_HOME)
    lines = set()
    for reg, home in PRIVATE_HOME.items():
        row = run.register_row(reg)
        assert row is not None and row.offset == home, reg
        lines |= {i * 64 for i in row.cache_lines()}
    assert lines == set(BANK_LINES)


# --- numpy view -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("struct", list(STRUCTS))
def test_numpy_view_reads_what_layout_reads(struct: str) -> None:
    layout = get(struct)
    buf, values = _fill(layout)
    view = np.frombuffer(bytes(buf), dtype=layout.dtype())[0]
    assert layout.dtype().itemsize == layout.size
    for path, value in values.items():
        r = layout.row(path)
        got = view[path]
        if isinstance(got, np.integer):
            assert int(got) == value == layout.read(buf, path), path
        else:
            assert bytes(got) == bytes(buf[r.offset : r.end]), path
    assert set(values) == set(layout.dtype().names or ())
