"""Licences in the form `imi cit import` reads, so that an export imports again unchanged."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from imi_cli.repositories.licences.service import FLAGS


def flat(licence: dict[str, Any]) -> dict[str, Any]:
    data = licence["record"]["licence"]
    row: dict[str, Any] = {"number": data["number"], "authority": data["authority"],
                           "company_name": data["company"]["name"],
                           "registration_number": data["company"]["registration_number"],
                           "address": data["company"]["address"], "valid_from": data["valid_from"],
                           "valid_to": data["valid_to"]}
    row.update({k: "yes" if data["conditions"].get(k) else "no" for k in FLAGS})
    if data.get("contact"):
        row["contact"] = data["contact"]
    return row


def export_licences(licences: list[dict[str, Any]], fmt: str) -> str:
    rows = [flat(x) for x in licences]
    if fmt == "json":
        return json.dumps({"licences": rows}, ensure_ascii=False, indent=2) + "\n"
    if fmt == "yaml":
        import yaml

        return str(yaml.safe_dump({"licences": rows}, allow_unicode=True, sort_keys=False))
    from imi_cli.bulk.spreadsheet import neutralise

    buffer = io.StringIO()
    columns = ["number", "authority", "company_name", "registration_number", "address", "valid_from", "valid_to",
               *FLAGS, "contact"]
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: neutralise(str(v)) for k, v in row.items()})
    return buffer.getvalue()
