"""Leap's utilities: the ids Leap Connect takes, by region, and the names partners know them by.

One source for the link forms, the filters, the messages and the sandbox.
"""

from __future__ import annotations

REGION_UTILITIES: dict[str, tuple[str, ...]] = {
    "CAISO": ("pge", "sce", "sdge"),
    "NYISO": ("cecony-utilityapi", "oru-utilityapi", "psegli-utilityapi"),
}
UTILITY_LABELS: dict[str, str] = {
    "pge": "Pacific Gas & Electric (PG&E)",
    "sce": "Southern California Edison (SCE)",
    "sdge": "San Diego Gas & Electric (SDG&E)",
    "cecony-utilityapi": "Consolidated Edison (ConEd)",
    "oru-utilityapi": "Orange and Rockland Utilities (O&RU)",
    "psegli-utilityapi": "PSEG Long Island (PSEG-LI)",
}
# ShareMyData exists only for the California utilities.
DIRECT_UTILITIES: tuple[str, ...] = ("pge", "sce", "sdge")
# The Meters API names a meter's utility by its own enum (`utility`: PGE, CECONY …, in
# leap-meters-v2.yml): the Connect ids of the utilities leapdash links to, so every page shows
# one name per utility.
METER_UTILITY_CODES: dict[str, str] = {
    "PGE": "pge",
    "SCE": "sce",
    "SDGE": "sdge",
    "CECONY": "cecony-utilityapi",
    "ORU": "oru-utilityapi",
    "PSEGLI": "psegli-utilityapi",
}
