"""What each page design costs: counts from the protocol, a time model, sweeps, host measurements.

Layers (the core imports no plotting or UI library):

* :mod:`tdxlab.cost.accounting` — counts (bytes copied, cache lines, pages) derived
  from the simulator's access log on canonical micro-traces, or on any recorded trace;
* :mod:`tdxlab.cost.constants` — the named, sourced, overridable constants;
* :mod:`tdxlab.cost.timemodel` — counts -> nanoseconds per entry, split into parts;
* :mod:`tdxlab.cost.sweep` — vectorised sweeps and break-even switch fractions;
* :mod:`tdxlab.cost.host` — a host analogue measured on this machine (not TDX hardware).

The names below are the short path: ``cost.account("bank").copy_in_bytes``,
``cost.ns_per_entry(cost.account(result))``.
"""

from tdxlab.cost.accounting import DesignCosts, TraceCosts, account, account_all, event_costs
from tdxlab.cost.constants import CONSTANTS, DEFAULT, PRESETS, CostConstants, unverified_names, with_overrides
from tdxlab.cost.timemodel import PARTS, Breakdown, breakdown, ns_per_entry

__all__ = [
    "CONSTANTS",
    "DEFAULT",
    "PARTS",
    "PRESETS",
    "Breakdown",
    "CostConstants",
    "DesignCosts",
    "TraceCosts",
    "account",
    "account_all",
    "breakdown",
    "event_costs",
    "ns_per_entry",
    "unverified_names",
    "with_overrides",
]
