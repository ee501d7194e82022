"""Questionnaire catalogs: loading, checking, rendering, answers and translation.

The public API lives in :mod:`imi_cli.questionnaires.catalog`; import from there.
"""
