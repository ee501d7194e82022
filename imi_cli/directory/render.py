"""How `imi authority show` draws one authority on a terminal."""

from __future__ import annotations

from typing import Any

from imi_cli.cli.output import print_table


def render(record: dict[str, Any], lang: str) -> None:
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
    print_table([{"k": k, "v": v} for k, v in rows if v], [("k", ""), ("v", "")])
