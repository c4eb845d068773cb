"""Which table rows a fit's kernels compile (``kernels/rows.py``): the common rows, which the defaults and every
``astromlp init`` template use (identity and ReLU layers; squared and absolute error, binary and softmax
cross-entropy; Adam, and AdamW, Adam's regularised form that the guide recommends and the photo-z example uses),
or all of them. A first run compiles the common rows alone, a quarter less compile; with two subsets per table, a
sweep over activations compiles each kernel at most twice per dtype (the epoch kernel, which takes the network's
subset and the optimizer's, at most four times)."""

from __future__ import annotations

from collections.abc import Iterable

from astromlp.nn.activations import ACTIVATION_CODES, SLOPED_VALUE_TABLE, VALUE_TABLE
from astromlp.nn.kernels.rows import Rows
from astromlp.nn.kernels.updates import UPDATE_CODES, UPDATE_TABLE
from astromlp.nn.losses import KERNEL_TABLE, LOSS_CODES

COMMON_ACTIVATIONS = ("identity", "relu")
COMMON_LOSSES = ("squared_error", "absolute_error", "binary_cross_entropy", "softmax_cross_entropy")
COMMON_RULES = ("adam", "adamw")

#: Network rows (activations and losses), by subset name.
NETWORK_ROWS = {
    "common": Rows(activation=[ACTIVATION_CODES[name] for name in COMMON_ACTIVATIONS], sloped=(),
                   loss=[LOSS_CODES[name] for name in COMMON_LOSSES]),
    "all": Rows(activation=range(len(VALUE_TABLE)), sloped=range(len(SLOPED_VALUE_TABLE)),
                loss=range(len(KERNEL_TABLE))),
}
#: Update-rule rows, by subset name.
UPDATE_ROWS = {"common": Rows(rule=[UPDATE_CODES[name] for name in COMMON_RULES]),
               "all": Rows(rule=range(len(UPDATE_TABLE)))}


def network_subset(activations: Iterable[str], loss: str) -> str:
    """"common" when every layer's activation and the loss are common rows, else "all"."""
    return "common" if set(activations) <= set(COMMON_ACTIVATIONS) and loss in COMMON_LOSSES else "all"


def update_subset(rule: str) -> str:
    """"common" for a common update rule, else "all"."""
    return "common" if rule in COMMON_RULES else "all"
