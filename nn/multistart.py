"""Multi-start: K networks from independent seeds (trained side by side by ``training.train_many``), then the
best kept (lowest validation loss) or all averaged. A diverged start never wins."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import clone

from astromlp.errors import AstromlpError
from astromlp.nn.network import Network
from astromlp.nn.training import TrainResult


def start_seeds(random_state: int | None, n_starts: int) -> list[int]:
    """Seeds of the K starts: ``random_state`` itself for one start, else K children of its SeedSequence.

    Start k of a K-start fit therefore equals a one-start fit with ``random_state=start_seeds(rs, K)[k]``.
    """
    if isinstance(random_state, np.random.RandomState | np.random.Generator):
        random_state = int(random_state.integers(2**32) if isinstance(random_state, np.random.Generator)
                           else random_state.randint(2**32))
    if n_starts == 1 and random_state is not None:
        return [int(random_state)]
    children = np.random.SeedSequence(random_state).spawn(n_starts)
    return [int(c.generate_state(1, np.uint32)[0]) for c in children]


@dataclass
class StartOutcome:
    """One trained start: its seed, network and what training reported."""

    seed: int
    network: Network
    result: TrainResult

    def record(self) -> dict:
        r = self.result
        return {"seed": self.seed, "final_train_loss": r.final_train_loss,
                "final_validation_loss": r.final_validation_loss, "epochs": r.epochs,
                "stop_reason": r.stop_reason, "diverged": r.diverged, "diverged_epoch": r.diverged_epoch,
                "rollbacks": list(r.rollbacks),
                "best_epoch": r.best_epoch, "seconds": r.seconds, "loss_curve": list(r.loss_curve),
                "validation_loss_curve": list(r.validation_loss_curve), "diagnostics": list(r.diagnostics)}


def record_score(record: dict) -> float:
    """What selection minimises: the best validation loss, else the final training loss; a diverged start
    scores infinity so that it never wins."""
    value = record["final_validation_loss"] if record["validation_loss_curve"] else record["final_train_loss"]
    return np.inf if record["diverged"] or not np.isfinite(value) else float(value)


def best_start(records: list[dict]) -> int:
    """Index of the start with the lowest score; refuses when every start diverged."""
    scores = [record_score(r) for r in records]
    if not np.isfinite(scores).any():
        raise AstromlpError(f"all {len(records)} starts diverged (non-finite loss); lower learning_rate, "
                            "or scale the features")
    return int(np.argmin(scores))


def merge_starts(estimators: list, start_selection: str = "best"):
    """One estimator from single-start fits of the same configuration (e.g. the K starts run as separate
    Dask tasks, each with ``random_state=start_seeds(rs, K)[k]``): the same result as a K-start fit."""
    if not estimators:
        raise AstromlpError("merge_starts needs at least one fitted estimator")
    first = estimators[0]
    merged = clone(first).set_params(n_starts=len(estimators), start_selection=start_selection)
    merged._from_state(first._fitted_state())
    merged._set_starts([r for e in estimators for r in e.starts_], [n for e in estimators for n in e.networks_])
    return merged
