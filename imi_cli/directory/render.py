"""What `imi authority show` prints about one authority: labelled lines in the reader's language;
and table headings in it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from imi_cli.i18n import N_, _

KIND_LABELS = {"authority": N_("authority"), "area_coordinator": N_("area coordinator"),
               "national_coordinator": N_("national coordinator")}


def authority_lines(record: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """(label, value) pairs, the empty ones left out; the CLI draws them as a table."""
    from imi_cli.i18n import t
    from imi_cli.reference.areas import load_areas
    from imi_cli.reference.countries import country_name
    from imi_cli.reference.languages import language_name, pick

    name, name_lang = pick(record["names"], lang, record["languages"][0])
    areas = load_areas()
    kind = record["kind"]
    rows = [
        (_("id"), record["id"]), (_("name"), f"{name} [{name_lang}]"),
        (_("kind"), _(KIND_LABELS[kind]) if kind in KIND_LABELS else kind.replace("_", " ")),
        (_("country"), f"{country_name(record['country'], lang)} ({record['country']})"),
        (_("languages"), ", ".join(language_name(code, lang) for code in record["languages"])),
        (_("e-mail"), record.get("email")), (_("phone"), record.get("phone")),
        (_("address"), record.get("address")), (_("website"), record.get("website")),
        (_("coordinator"), record.get("coordinator")),
        # Translators: the state of an authority that its coordinator deactivated
        (_("state"), _("deactivated: left out of searches, receives no new requests")
         if record.get("deactivated") else None),
    ]
    # Translators: the label of an authority's name in another language; {code} is a language code (de, hu)
    rows += [(t("name [{code}]", code=code), text) for code, text in record["names"].items() if code != name_lang]
    for area, competences in record["areas"].items():
        label = areas[area].name(lang) if area in areas else area
        rows.append((label, ", ".join(competences) or "-"))
    return [(k, v) for k, v in rows if v]


def headings(columns: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Table columns (key, heading marked with ``N_``) with their headings in the interface language."""
    return [(key, _(heading) if heading else heading) for key, heading in columns]
