"""Training progress on the terminal: one bar of epochs per start, fed locally by the estimator's per-epoch
hook and, on a cluster, by events the workers publish (distributed's log_event / subscribe_topic)."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from tqdm import tqdm

EVENT_TOPIC_PREFIX = "astromlp-epochs-"


class EpochBars:
    """One bar per start, total = the epoch budget; a start that stops early shows its reason."""

    def __init__(self, seeds: list[int], max_epochs: int, show: bool):
        self.bars = [
            tqdm(total=max_epochs, desc=f"start {k + 1}/{len(seeds)}", unit="epoch", position=k, leave=True,
                 file=sys.stderr, disable=not show, dynamic_ncols=True)
            for k in range(len(seeds))
        ]
        self.index = {seed: k for k, seed in enumerate(seeds)}

    def epoch(self, start: int, epoch: int, train_loss: float, monitored: float) -> None:
        """Record that `start` (0-based) finished `epoch` (0-based)."""
        bar = self.bars[start]
        bar.update(epoch + 1 - bar.n)
        bar.set_postfix(loss=f"{train_loss:.4g}", monitored=f"{monitored:.4g}", refresh=False)

    def event(self, event) -> None:
        """A worker's event (timestamp, {seed, epoch, loss, monitored}) for the start with that seed."""
        message = event[1]
        self.epoch(self.index[message["seed"]], message["epoch"], message["loss"], message["monitored"])

    def finish(self, records: list[dict]) -> None:
        """Show each start's final state from its training record (late worker events may still be in flight)."""
        for bar, record in zip(self.bars, records, strict=True):
            bar.update(record["epochs"] - bar.n)
            bar.set_postfix(stopped=record["stop_reason"], refresh=False)

    def close(self) -> None:
        for bar in self.bars:
            bar.close()


@contextmanager
def epoch_bars(seeds: list[int], max_epochs: int, show: bool, client=None) -> Iterator[tuple[EpochBars, str]]:
    """Bars for a fit's starts and, with a distributed client, the event topic the workers publish to."""
    bars = EpochBars(seeds, max_epochs, show)
    topic = EVENT_TOPIC_PREFIX + uuid.uuid4().hex
    if client is not None and show:
        client.subscribe_topic(topic, bars.event)
    try:
        yield bars, topic
    finally:
        if client is not None and show:
            client.unsubscribe_topic(topic)
        bars.close()


def publish_epochs(topic: str, seed: int):
    """An on_epoch hook for a start running on a Dask worker: each epoch becomes an event on `topic`."""
    from distributed import get_worker

    worker = get_worker()

    def publish(start, epoch, train_loss, monitored):
        worker.log_event(topic, {"seed": seed, "epoch": epoch, "loss": train_loss, "monitored": monitored})

    return publish
