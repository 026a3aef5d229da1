"""Scholarships paid on the chain: a treasury that m of n signers control, students
registered with their addresses, batched payouts that never pay anyone twice, vesting
tranches (CLTV for the student, CSV for a clawback), and a report that balances.

Modules, lowest first:

    vesting.py    the tranche script (OP_IF CLTV student / OP_ELSE CSV m-of-n) and its spends
    registry.py   the SQLite registry: students, payout batches and their states, clawbacks
    treasury.py   signer files, the P2WSH treasury, planning/signing/sending payouts
    report.py     one row per payment, and totals that must balance to the base unit
"""

from edu_chain.scholarship.registry import Registry as Registry
from edu_chain.scholarship.registry import RegistryError as RegistryError
from edu_chain.scholarship.treasury import Terms as Terms
from edu_chain.scholarship.treasury import init_treasury as init_treasury
from edu_chain.scholarship.treasury import load_signers as load_signers
from edu_chain.scholarship.treasury import plan_batches as plan_batches
from edu_chain.scholarship.treasury import run_payout as run_payout
from edu_chain.scholarship.vesting import Tranche as Tranche

__all__ = [
    "Registry",
    "RegistryError",
    "Terms",
    "Tranche",
    "init_treasury",
    "load_signers",
    "plan_batches",
    "run_payout",
]
