"""Suite-wide: tests marked `slow` start first, so that with `-n auto` the long ones are spread over the workers
from the start instead of leaving one worker running a minute-long test alone at the end. The first-run compile
notice stays off unless a test turns it on."""

import os


def pytest_configure(config) -> None:
    # The command line turns the notice (and its two-process compile) on for its own process (pipeline/cli.py).
    # CLI tests run in-process: without this, a worker's later tests would compile one way or the other depending
    # on whether a CLI test happened to run before them. The notice's own tests set it themselves.
    os.environ["ASTROMLP_COMPILE_NOTICE"] = "0"


def pytest_collection_modifyitems(items) -> None:
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # stable: the rest keep their order
