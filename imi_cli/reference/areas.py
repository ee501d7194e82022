"""Legislative areas: data shipped in the package (``imi_cli/reference/data/areas.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from imi_cli.errors import NotFound
from imi_cli.reference.languages import pick


@dataclass(frozen=True)
class Area:
    id: str
    legal_basis: str
    names: dict[str, str]

    def name(self, lang: str) -> str:
        return pick(self.names, lang)[0]


@lru_cache(maxsize=1)
def load_areas() -> dict[str, Area]:
    from imi_cli.bulk.yaml_loader import load

    text = resources.files("imi_cli.reference.data").joinpath("areas.yaml").read_text(encoding="utf-8")
    return {
        entry["id"]: Area(entry["id"], entry["legal_basis"], dict(entry["name"]))
        for entry in load(text, "areas.yaml")
    }


def area_ids() -> frozenset[str]:
    return frozenset(load_areas())


def get_area(area_id: str) -> Area:
    try:
        return load_areas()[area_id]
    except KeyError:
        raise NotFound(f"no legislative area {area_id!r}",
                       hint="`imi area list` shows them all") from None
