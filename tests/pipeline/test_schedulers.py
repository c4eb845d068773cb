"""Schedulers: local names, bad names and unreachable addresses are user errors, not tracebacks."""

import dask
import pytest

from astromlp.errors import AstromlpError
from astromlp.pipeline.schedulers import executor


def test_local_scheduler_computes_and_is_set_for_the_block():
    with executor("synchronous") as ex:
        assert ex.compute(dask.delayed(sum)([1, 2, 3])) == (6,)
        assert dask.config.get("scheduler") == "synchronous"
        assert "synchronous" in ex.description


def test_unknown_scheduler_name_is_a_user_error():
    with pytest.raises(AstromlpError, match="'thread' is neither one of threads"):
        with executor("thread"):
            pass


def test_unreachable_scheduler_is_a_user_error():
    with pytest.raises(AstromlpError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        with executor("tcp://127.0.0.1:9"):
            pass


def test_workers_and_an_address_together_are_refused():
    with pytest.raises(AstromlpError, match="give only one of them"):
        with executor("tcp://127.0.0.1:9", workers=2):
            pass
