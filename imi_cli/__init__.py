"""imi-cli: an open, scriptable implementation of the EU Internal Market Information System.

The CLI is a thin layer; everything it does is importable from here and the
core modules (``imi_cli.log.store``, ``imi_cli.directory.authorities``, ``imi_cli.questionnaires`` ...).
"""

__version__ = "0.1.0"
