"""`imi request attachment list|save`: the files a request carries (the request's own and
each answer's), listed, and saved to a file with their SHA-256 checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

from imi_cli.cli.environment import state
from imi_cli.cli.options import data_options, listing_options
from imi_cli.cli.output import emit, message, print_json
from imi_cli.i18n import N_, _, nt, t

app = typer.Typer(no_args_is_help=True, help="The files a request carries: list them, save one (its sha256 "
                                             "checked).")
COLUMNS = [("index", N_("#")), ("name", N_("name")), ("size", N_("size")), ("sha256", N_("sha256")),
           ("source", N_("given with")), ("round", N_("answer round")), ("content", N_("content"))]
# who gave an attachment, and what became of a content this store does not hold
SOURCES = {"request": N_("the request"), "answer": N_("an answer")}
CONTENTS = {"held": N_("held"), "withheld": N_("withheld"), "blocked": N_("blocked"), "erased": N_("erased")}
SHOWN_DIGEST = 12  # on a terminal; `save` takes any 4 or more of its first hex digits


@app.command("list")
@listing_options
def list_(rid: str = typer.Argument(..., metavar="ID", help="Request id (or a unique start of it).")) -> None:
    """The files a request carries, the request's own and each answer's: number, name, size,
    sha256 and whether this store holds the content."""
    from imi_cli.cli.ids import full_id
    from imi_cli.exchanges.attachments import of_stored_request

    s = state()
    with s.open_store() as store:
        rid = full_id(store.conn, "request", rid)
        items = of_stored_request(store, rid)
    rows = [a.as_dict() for a in items]
    emit(rows, as_json=s.as_json, columns=[(k, _(h)) for k, h in COLUMNS], shown=_shown())
    if not items and not s.as_json:
        message(t("request {id} carries no attachments", id=rid))


def _shown() -> dict[str, Any]:
    from imi_cli.i18n import formats

    return {"sha256": lambda d: f"{d[:SHOWN_DIGEST]}…" if isinstance(d, str) else "",
            "size": lambda n: formats.number(n) if isinstance(n, int) else "",
            "round": lambda n: str(n) if n else "",
            "source": lambda code: _(SOURCES[code]) if code in SOURCES else str(code),
            "content": lambda code: _(CONTENTS[code]) if code in CONTENTS else str(code)}


@app.command("save")
@data_options
def save(
    rid: str = typer.Argument(..., metavar="ID", help="Request id (or a unique start of it)."),
    name: str = typer.Argument(..., metavar="NAME", help=(
        "The attachment: its name as listed, its number in the list, or the start of its sha256 (when two have "
        "one name).")),
    output: Optional[str] = typer.Option(None, "-o", "--output", metavar="FILE", help=(
        "The file to write (default: the attachment's name, made safe, in the current folder); a folder: that "
        "name in it; -: standard output (the bytes as they are).")),
    force: bool = typer.Option(False, "--force", help="Replace the file if it exists."),
    reason: Optional[str] = typer.Option(None, "--reason", metavar="WHY", help=(
        "Why the file is needed (goes into the access log). A blocked request's attachment is saved only by a "
        "data-protection officer, with a reason.")),
) -> None:
    """Save an attachment of a request to a file, after checking its sha256 against the signed
    record: a damaged or altered one is refused and nothing is written. The file is new
    (--force replaces one), written at once or not at all, readable by you only (mode 0600:
    attachments carry personal data). The read goes into the access log.
    """
    from imi_cli.cli.ids import full_id
    from imi_cli.exchanges.attachments import log_read, read_request_attachment

    s = state()
    with s.open_store() as store:
        rid = full_id(store.conn, "request", rid)
        to_stdout = output == "-"
        if to_stdout:
            _check_stdout()
        item, data, blocked = read_request_attachment(store, rid, name, reason)
        target = None if to_stdout else _target(output, item.name, force)
        log_read(store, rid, blocked=blocked, reason=reason)
    if target is None:
        _write_stdout(data)
        return
    from imi_cli.exchanges.attachments import write_new

    write_new(target, data, force=force)
    if s.as_json:
        print_json({"saved": str(target), **item.as_dict()})
    else:
        from imi_cli.i18n import formats

        message(nt("Saved {name} ({size} byte, sha256 checked) to {path}",
                   "Saved {name} ({size} bytes, sha256 checked) to {path}", len(data),
                   name=item.name, size=formats.number(len(data)), path=str(target)))


def _target(output: Optional[str], name: str, force: bool) -> Path:
    """Where the file goes, checked before anything is written: -o as given (a folder: the
    attachment's safe name in it), or the safe name in the current folder."""
    import os

    from imi_cli.cli.output_files import check_output_file
    from imi_cli.exchanges.attachments import exists, safe_name

    path = Path(safe_name(name)) if output is None else Path(output).expanduser()
    if output is not None and (path.is_dir() or output.endswith(("/", os.sep))):  # "case/": a folder
        path = path / safe_name(name)
    check_output_file(path, "-o")
    if os.path.lexists(path) and not force:
        raise exists(path)
    return path


def _check_stdout() -> None:
    from imi_cli.cli.environment import environment
    from imi_cli.errors import UsageError

    if environment().stdout.isatty():
        raise UsageError(_("-o - writes the file's bytes as they are: not to a terminal, which would act on "
                           "control sequences the sender put in them"),
                         hint=_("pipe it (| less, > FILE) or give -o FILE"))


def _write_stdout(data: bytes) -> None:
    from imi_cli.cli.environment import environment
    from imi_cli.errors import ImiError

    out = environment().stdout
    binary = getattr(out, "buffer", None)
    if binary is None:
        raise ImiError(_("standard output takes no bytes here; give -o FILE"))
    out.flush()
    binary.write(data)
    binary.flush()
