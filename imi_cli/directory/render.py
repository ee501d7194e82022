"""What `imi authority show` prints about one authority: labelled lines in the reader's language."""

from __future__ import annotations

from typing import Any


def authority_lines(record: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """(label, value) pairs, the empty ones left out; the CLI draws them as a table."""
    from imi_cli.reference.areas import load_areas
    from imi_cli.reference.countries import country_name
    from imi_cli.reference.languages import language_name, pick

    name, name_lang = pick(record["names"], lang, record["languages"][0])
    areas = load_areas()
    rows = [
        ("id", record["id"]), ("name", f"{name} [{name_lang}]"),
        ("kind", record["kind"].replace("_", " ")),
        ("country", f"{country_name(record['country'], lang)} ({record['country']})"),
        ("languages", ", ".join(language_name(code, lang) for code in record["languages"])),
        ("e-mail", record.get("email")), ("phone", record.get("phone")),
        ("address", record.get("address")), ("website", record.get("website")),
        ("coordinator", record.get("coordinator")),
    ]
    rows += [(f"name [{code}]", text) for code, text in record["names"].items() if code != name_lang]
    for area, competences in record["areas"].items():
        label = areas[area].name(lang) if area in areas else area
        rows.append((label, ", ".join(competences) or "-"))
    return [(k, v) for k, v in rows if v]
