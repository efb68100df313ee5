"""Where every fact in tdxlab comes from.

A teaching kit that teaches a wrong fact is worse than none, so each layout row,
register classification and cost constant carries a :class:`Source`.  The keys
match section 0 of the reference sheet (``shared/reference/domain-facts.md``),
and the OpenVMM snapshot modelled here is pinned in :data:`OV_SNAPSHOT`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

#: The OpenVMM commit whose structures tdxlab models (2026-08-21).
OV_SNAPSHOT = "1488a37b7cfe"
#: The OHCL-Linux-Kernel commit of ``drivers/hv/mshv_vtl.h`` / ``mshv_vtl_main.c``.
K_SNAPSHOT = "2fa1a70f7046"
#: The Intel TDX module tag.
TM_TAG = "TDX_1.5.01"


class Origin(Enum):
    """The source families of the reference sheet, section 0."""

    OV = "OpenVMM"
    K = "OHCL-Linux-Kernel"
    TM = "Intel TDX module"
    TLFS = "Hyper-V TLFS"
    ISSUE = "openvmm issue/PR"
    SHEET = "tdxlab reference sheet"
    LINUX = "Linux kernel"
    PUBLISHED = "published measurement"
    TDXLAB = "tdxlab design"


class Confidence(Enum):
    """How sure the sheet is of a fact, using the sheet's own markers."""

    ASSERTED = "asserted"  # the source holds a compile-time assertion of it
    COMPUTED = "computed"  # computed from the source's declarations
    SOURCED = "sourced"  # stated in the source text
    DERIVED = "derived"  # arithmetic on sourced numbers
    MEASURED = "measured"  # a published measurement
    EXAMPLE = "example"  # illustrative output, conditions unstated
    UNVERIFIED = "unverified"  # could not be confirmed; the kit says so
    DESIGN = "design"  # a tdxlab design choice, not a fact about a real system


_VERSION = {
    Origin.OV: f"@{OV_SNAPSHOT}",
    Origin.K: f"@{K_SNAPSHOT}",
    Origin.TM: f"@{TM_TAG}",
}


@dataclass(frozen=True)
class Source:
    """One citation: which source family, which file or section, and how sure."""

    origin: Origin
    where: str
    confidence: Confidence = Confidence.SOURCED
    note: str = ""

    def cite(self, *, confidence: bool = False) -> str:
        """Return the citation as one line, e.g. ``OV@1488a37b7cfe openhcl/hcl/src/protocol.rs``.

        An unverified source always says so.  With ``confidence`` the other non-plain
        confidences (computed, asserted, derived ...) are added too, e.g. ``... [computed]``,
        so a reader of an export knows how a number was obtained, not only where.
        """
        text = f"{self.origin.name}{_VERSION.get(self.origin, '')} {self.where}"
        if self.unverified:
            text += " [unverified]"
        if self.note:
            text += f" ({self.note})"
        if confidence and self.confidence not in (Confidence.SOURCED, Confidence.UNVERIFIED):
            text += f" [{self.confidence.value}]"
        return text

    @property
    def unverified(self) -> bool:
        """True when the sheet could not confirm this fact; views must say so."""
        return self.confidence is Confidence.UNVERIFIED


# Frequently cited places, named once so every declaration points at the same text.
OV_PROTOCOL = Source(Origin.OV, "openhcl/hcl/src/protocol.rs", Confidence.COMPUTED)
OV_X86_TDX = Source(Origin.OV, "vm/x86/x86defs/src/tdx.rs", Confidence.COMPUTED)
OV_XSAVE = Source(Origin.OV, "vm/x86/x86defs/src/xsave.rs", Confidence.COMPUTED)
OV_SNP_DEFS = Source(Origin.OV, "vm/x86/x86defs/src/snp.rs", Confidence.COMPUTED)
OV_IOCTL_TDX = Source(Origin.OV, "openhcl/hcl/src/ioctl/tdx.rs (TdxPrivateRegs)")
OV_SNP_PROC = Source(
    Origin.OV, "openhcl/virt_mshv_vtl/src/processor/snp/mod.rs (switch_vtl copy list)"
)
TLFS_PRIVATE = Source(Origin.TLFS, "vsm.md, Virtual Processor State Isolation: Private State")
TLFS_SHARED = Source(Origin.TLFS, "vsm.md, Virtual Processor State Isolation: Shared State")
TDXLAB_DESIGN = Source(Origin.TDXLAB, "docs/designs.md", Confidence.DESIGN)
