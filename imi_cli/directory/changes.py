"""An update that changes only what it is given: the current record and the changes merged into
a record that the registration checks (``imi_cli.directory.records``) bring to normal form, so
``imi authority update`` and ``imi user update`` emit the very events an import would."""

from __future__ import annotations

from typing import Any

from imi_cli.errors import BadOptions, Problem
from imi_cli.i18n import _, t

# Fields an update sets as given; an empty value removes an optional one (``--phone ""``).
AUTHORITY_TEXTS = ("email", "phone", "address", "website", "coordinator")


def merged_authority(record: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``record`` with ``changes``: ``names`` ({lang: text}, an empty text drops that language's
    name), ``languages`` and ``areas`` (lists that replace the old ones; an area kept keeps its
    competences), ``competences`` (a list that replaces every competence), the texts of
    ``AUTHORITY_TEXTS``, ``requires_approval`` and ``deactivated`` (booleans). A key that is
    absent or None leaves its field as it is."""
    raw = {k: v for k, v in record.items()}
    names = dict(record["names"])
    for lang, text in (changes.get("names") or {}).items():
        if text.strip():
            names[lang] = text
        else:
            names.pop(lang, None)
    raw["names"] = names
    if changes.get("languages") is not None:
        raw["languages"] = changes["languages"]
    areas = {area: list(comps) for area, comps in record["areas"].items()}
    if changes.get("areas") is not None:
        areas = {area: areas.get(area, []) for area in changes["areas"]}
    if changes.get("competences") is not None:
        areas = {area: [] for area in areas}
        raw["competences"] = changes["competences"]
    raw["areas"] = areas
    for field in AUTHORITY_TEXTS:
        value = changes.get(field)
        if value is not None:
            raw[field] = value
            if not value.strip() and field != "email":  # the e-mail is required: the check says so
                raw.pop(field)
    for flag in ("requires_approval", "deactivated"):
        if changes.get(flag) is not None:
            raw[flag] = bool(changes[flag])
            if not raw[flag]:
                raw.pop(flag)
    return raw


def merged_user(record: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``record`` with ``changes``: ``name``, ``email``, ``authority`` (texts), ``roles`` (items
    ``role`` or ``area:role`` that replace the old ones), then ``add_roles`` and
    ``remove_roles`` (such items, added to or taken from them). BadOptions if a role to remove
    is not held, or the record lacks the name and e-mail an update must sign again."""
    ident = record["id"]
    raw = {k: record.get(k) for k in ("id", "name", "email", "authority")}
    raw.update({k: changes[k] for k in ("name", "email", "authority") if changes.get(k) is not None})
    if raw["name"] is None or raw["email"] is None:
        raise BadOptions(t("this store does not hold the name and e-mail of {id} (its authority is out of your "
                           "reach), so it cannot update the user", id=ident),
                         hint=_("a coordinator above the user's authority, or its administrator, updates it"))
    held = [(area, role) for area, roles in record["roles"].items() for role in roles]
    if changes.get("roles") is not None:
        held = [_pair(item) for item in changes["roles"]]
    problems: list[Problem] = []
    for item in changes.get("remove_roles") or []:
        if _pair(item) in held:
            held.remove(_pair(item))
        else:
            problems.append(Problem("--remove-role", None, t("{id} does not hold the role {role!r}", id=ident,
                                                              role=item)))
    held += [pair for pair in map(_pair, changes.get("add_roles") or []) if pair not in held]
    if problems:
        raise BadOptions(t("nothing was changed"), problems=problems)
    roles: dict[str, list[str]] = {}
    for area, role in held:
        roles.setdefault(area, []).append(role)
    raw["roles"] = roles
    return raw


def _pair(item: str) -> tuple[str, str]:
    """``area:role`` -> (area, role); a bare ``role`` holds in every area ("*")."""
    area, sep, role = item.strip().rpartition(":")
    return (area.strip() if sep else "*", role.strip())
