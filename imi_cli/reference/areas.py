"""Legislative areas: data shipped in the package (``imi_cli/reference/data/areas.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from imi_cli.errors import NotFound
from imi_cli.reference.languages import pick

# Art. 14(1) of Regulation (EU) No 1024/2012: personal data is blocked 6 months after an
# exchange's formal closure; an area whose Union act provides for it may declare a longer
# period, never more than 18 months (``blocking_months`` in areas.yaml).
BLOCKING_MONTHS, MAX_BLOCKING_MONTHS = 6, 18


@dataclass(frozen=True)
class Area:
    id: str
    legal_basis: str
    names: dict[str, str]
    blocking_months: int = BLOCKING_MONTHS

    def name(self, lang: str) -> str:
        return pick(self.names, lang)[0]


@lru_cache(maxsize=1)
def load_areas() -> dict[str, Area]:
    from imi_cli.bulk.yaml_loader import load

    text = resources.files("imi_cli.reference.data").joinpath("areas.yaml").read_text(encoding="utf-8")
    return {entry["id"]: Area(entry["id"], entry["legal_basis"], dict(entry["name"]), _blocking(entry))
            for entry in load(text, "areas.yaml")}


def _blocking(entry: dict) -> int:
    """An area's blocking period in months: 6 unless declared longer, at most 18."""
    from imi_cli.errors import ImiError

    months = entry.get("blocking_months", BLOCKING_MONTHS)
    if isinstance(months, bool) or not isinstance(months, int) or not BLOCKING_MONTHS <= months <= MAX_BLOCKING_MONTHS:
        from imi_cli.i18n import t

        raise ImiError(t("areas.yaml: area {area!r}: blocking_months must be a whole number of months from {least} to "
                         "{most} (Regulation (EU) No 1024/2012, Art. 14(1))", area=entry.get("id"),
                         least=BLOCKING_MONTHS, most=MAX_BLOCKING_MONTHS))
    return months


def area_ids() -> frozenset[str]:
    return frozenset(load_areas())


def get_area(area_id: str) -> Area:
    try:
        return load_areas()[area_id]
    except KeyError:
        from imi_cli.i18n import _, t

        raise NotFound(t("no legislative area {area!r}", area=area_id),
                       hint=_("`imi area list` shows them all")) from None
