"""IMI countries: the EU-27 plus Iceland, Liechtenstein and Norway, named by Babel."""

from __future__ import annotations

from functools import cache

COUNTRIES: tuple[str, ...] = (
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
    "IS", "LI", "NO",
)
COUNTRY_SET = frozenset(COUNTRIES)
# IMI (as every EU institution) writes Greece EL, and so is it stored and shown; ISO 3166's GR
# is taken for it. Babel names territories by their ISO codes.
_ALIASES = {"GR": "EL"}
_ISO = {"EL": "GR"}


def normalize_country(code: str) -> str | None:
    """The stored code for ``code`` (case-insensitive), or None if not an IMI country."""
    upper = code.strip().upper()
    upper = _ALIASES.get(upper, upper)
    return upper if upper in COUNTRY_SET else None


COMMISSION = "EU"  # the European Commission takes part (alerts, notifications): not a member state


def normalize_participant(code: str) -> str | None:
    """A member state's stored code, or EU for the European Commission."""
    return COMMISSION if code.strip().upper() == COMMISSION else normalize_country(code)


@cache
def country_name(code: str, lang: str = "en") -> str:
    from babel import Locale

    return Locale.parse(lang).territories.get(_ISO.get(code, code), code)


def list_countries(lang: str) -> list[dict[str, str]]:
    return [{"code": c, "name": country_name(c, lang)} for c in COUNTRIES]
