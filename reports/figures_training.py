"""The training figure: the loss curve of every start, the chosen start highlighted."""

from __future__ import annotations

import numpy as np

from astromlp.reports.svg import MUTED, NETWORK_COLOUR, log_y, new_figure, to_svg
from astromlp.reports.training_findings import rollback_epochs

VALIDATION_COLOUR = "#d95f02"
DIVERGED_COLOUR = "#c0392b"
ROLLBACK_COLOUR = "#7570b3"


def loss_curves(training: dict) -> str | None:
    """Training (solid) and validation (dashed) loss per epoch of every start; None without curves."""
    starts = training.get("starts") or []
    if not any(start.get("loss_curve") for start in starts):
        return None
    chosen = training.get("chosen_start")
    figure, axes = new_figure(7.5, 3.2)
    for k, start in enumerate(starts):
        if k != chosen:
            _plot_start(axes, start, "other starts", MUTED, MUTED, width=0.9)
    if chosen is not None and 0 <= chosen < len(starts):
        seed = starts[chosen].get("seed")
        name = f"chosen start {chosen}" + (f" (seed {seed})" if seed is not None else "")
        _plot_start(axes, starts[chosen], name, NETWORK_COLOUR, VALIDATION_COLOUR, width=2.2)
    axes.set_xlabel("epoch")
    axes.set_ylabel("loss")
    if _all_positive(starts):
        log_y(axes)
    handles, labels = axes.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    axes.legend(unique.values(), unique.keys(), loc="upper right")
    return to_svg(figure, "loss_curves")


def _plot_start(
    axes, start: dict, name: str, train_colour: str, validation_colour: str, width: float
) -> None:
    train = _curve(start.get("loss_curve"))
    validation = _curve(start.get("validation_loss_curve"))
    axes.plot(np.arange(1, len(train) + 1), train, color=train_colour, lw=width, label=f"{name}: training")
    if len(validation):
        axes.plot(
            np.arange(1, len(validation) + 1),
            validation,
            color=validation_colour,
            lw=width,
            ls="--",
            label=f"{name}: validation",
        )
    finite = np.flatnonzero(np.isfinite(train))
    if start.get("diverged") and len(finite):
        axes.plot(
            finite[-1] + 1, train[finite[-1]], "x", color=DIVERGED_COLOUR, ms=7, mew=2, label="diverged"
        )
    spikes = np.asarray(rollback_epochs(start), dtype=int)
    monitored = validation if len(validation) == len(train) else train  # the curve the spike was seen on
    if len(spikes):
        axes.plot(spikes + 1, monitored[spikes], "v", color=ROLLBACK_COLOUR, ms=8,
                  label="loss spike: back to the best epoch, rate halved")


def _curve(values) -> np.ndarray:
    return np.asarray(values if values is not None else [], dtype=float)


def _all_positive(starts: list[dict]) -> bool:
    values = np.concatenate(
        [_curve(s.get(key)) for s in starts for key in ("loss_curve", "validation_loss_curve")]
        or [np.empty(0)]
    )
    finite = values[np.isfinite(values)]
    return finite.size > 0 and bool(np.all(finite > 0))
