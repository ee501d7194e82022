"""Options of every command that imports a file (authorities, users, licences, registers):

    @app.command("import")
    @data_options
    @import_file_options
    def import_(file: Path = ..., *, reading: FileReading) -> None: ...

adds ``--delimiter`` and ``--encoding`` (handed to the command as one ``reading``, for
``imi_cli.bulk.readers.read_records``) and ``--all-problems``: a person is shown the first
PROBLEMS_SHOWN problems of a file and how many more there are, unless it is given.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from imi_cli.errors import InvalidInput

F = TypeVar("F", bound=Callable[..., Any])
PROBLEMS_SHOWN = 50

_OPTIONS = [
    ("file_delimiter", str | None, typer.Option(
        None, "--delimiter", help="CSV cell delimiter: ',' ';' or tab (default: the one the header line uses).")),
    ("file_encoding", str | None, typer.Option(
        None, "--encoding", help="The file's encoding, e.g. cp1250 (default: UTF-8; UTF-16 with a BOM).")),
    ("all_problems", bool, typer.Option(
        False, "--all-problems", help="List every problem found (default: the first 50, then how many more).")),
]


def import_file_options(func: F) -> F:
    """A decorator: the command gets ``reading`` (a FileReading) from the options above."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from imi_cli.bulk.decoding import codec
        from imi_cli.bulk.readers import FileReading, delimiter_of

        delimiter, encoding = kwargs.pop("file_delimiter", None), kwargs.pop("file_encoding", None)
        all_problems = kwargs.pop("all_problems", False)
        if encoding:
            codec(encoding)  # an unknown one is a usage error before the store is opened
        reading = FileReading(delimiter=delimiter_of(delimiter) if delimiter else None, encoding=encoding)
        try:
            return func(*args, reading=reading, **kwargs)
        except InvalidInput as error:
            error.shown = None if all_problems else PROBLEMS_SHOWN
            raise

    # Typer reads a command's options from its signature: ``reading`` is not one, the three are
    signature = inspect.signature(func)
    kept = [p for name, p in signature.parameters.items() if name != "reading"]
    extra = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=kind)
             for name, kind, option in _OPTIONS]
    wrapper.__signature__ = signature.replace(parameters=[*kept, *extra])  # type: ignore[attr-defined]
    annotations = {k: v for k, v in func.__annotations__.items() if k != "reading"}
    wrapper.__annotations__ = {**annotations, **{name: kind for name, kind, _ in _OPTIONS}}
    return wrapper  # type: ignore[return-value]
