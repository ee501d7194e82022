"""The helper process (the signature checker) yields to the process it works for
when the cores are all busy (log/piped.py ``NICER``)."""

from __future__ import annotations

import os

from imi_cli.log import crypto_pool
from imi_cli.log.piped import NICER


def test_a_checker_runs_nicer_than_the_process_it_works_for() -> None:
    checker = crypto_pool.new_checker()
    assert checker is not None
    try:
        mine = os.getpriority(os.PRIO_PROCESS, 0)
        assert os.getpriority(os.PRIO_PROCESS, checker._process.pid) == min(19, mine + NICER)
    finally:
        checker.close()
