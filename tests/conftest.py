"""Suite-wide: tests marked `slow` start first, so that with `-n auto` the long ones are spread over the workers
from the start instead of leaving one worker running a minute-long test alone at the end."""


def pytest_collection_modifyitems(items) -> None:
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # stable: the rest keep their order
