"""imi-cli: an open, scriptable implementation of the EU Internal Market Information System.

The CLI is a thin layer over this Python API:

    from imi_cli import Directory, Store

    with Store.open(path, key) as store:
        print(Directory(store).search("epitesz", lang="hu"))

Names load on first use, so `import imi_cli` (and `imi --help`) stays cheap. Every error
is an ``ImiError`` (``imi_cli.errors``) carrying a message id, parameters and an exit code.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# name -> module that defines it
_API = {
    "Store": "imi_cli.log.store",
    "Directory": "imi_cli.directory.authorities",
    "Users": "imi_cli.directory.users",
    "Requests": "imi_cli.exchanges.requests.service",
    "Catalog": "imi_cli.questionnaires.catalog",
    "ImiError": "imi_cli.errors",
    "ExitCode": "imi_cli.errors",
    "NotFound": "imi_cli.errors",
    "InvalidInput": "imi_cli.errors",
    "UsageError": "imi_cli.errors",
    "Rejected": "imi_cli.errors",
}
__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module 'imi_cli' has no attribute {name!r}")
    return getattr(importlib.import_module(_API[name]), name)
