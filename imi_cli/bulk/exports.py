"""Writing the directory back out in the formats the importers read."""

from __future__ import annotations

import io
import json
from typing import Any

from imi_cli.errors import UsageError


def to_json(data: Any) -> str:
    """Data as imi prints it: indented, non-ASCII kept, dates and paths as strings."""
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)


def export_authorities(records: list[dict[str, Any]], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(records, ensure_ascii=False, indent=2) + "\n"
    if fmt == "yaml":
        import yaml

        return yaml.safe_dump(records, allow_unicode=True, sort_keys=False)
    if fmt == "csv":
        return _csv(records)
    raise UsageError(msgid="use_one_of", params={"option": "--format", "value": fmt, "choices": "json, yaml or csv"})


def _csv(records: list[dict[str, Any]]) -> str:
    """One row per authority; every cell neutralised against formula injection (bulk.spreadsheet),
    which `imi authority import` undoes."""
    import csv  # (here: `imi_cli.cli.output` imports this module for ``to_json``, on every command)

    from imi_cli.bulk.spreadsheet import neutralise

    langs = sorted({lang for r in records for lang in r["names"]})
    columns = ["id", "kind", "country", "languages", "areas", "competences", "email", "phone",
               "address", "website", "coordinator", "requires_approval"] + [f"name:{lang}" for lang in langs]
    deactivated = any(r.get("deactivated") for r in records)
    if deactivated:  # a column only when it says something: `imi authority deactivate`
        columns.insert(columns.index("requires_approval") + 1, "deactivated")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for r in records:
        row = {k: r.get(k, "") for k in ("id", "kind", "country", "email", "phone", "address",
                                         "website", "coordinator")}
        row["requires_approval"] = "true" if r.get("requires_approval") else ""
        if deactivated:
            row["deactivated"] = "true" if r.get("deactivated") else ""
        row["languages"] = ";".join(r["languages"])
        row["areas"] = ";".join(r["areas"])
        row["competences"] = ";".join(f"{a}:{c}" for a, comps in r["areas"].items() for c in comps)
        row.update({f"name:{lang}": name for lang, name in r["names"].items()})
        writer.writerow({key: neutralise(str(value)) for key, value in row.items()})
    return out.getvalue()
