"""Sizes counted from a layout without building it: equal to what build_layout and make_workspace allocate, and
a fit that would not fit in memory refused up front with one line giving the figures."""

import numpy as np
import pytest

from astromlp.errors import AstromlpError
from astromlp.nn import MLPClassifier, MLPRegressor
from astromlp.nn.footprint import available_memory, check_fits, layout_counts, training_bytes, workspace_bytes
from astromlp.nn.layers import LayerSpec, build_layout
from astromlp.nn.workspace import make_workspace

LAYOUTS = {
    "dense": (4, [LayerSpec(8, "relu"), LayerSpec(3)]),
    "batch norm": (5, [LayerSpec(7, "tanh", batch_norm=True), LayerSpec(6, "relu", batch_norm=True), LayerSpec(1)]),
    "maxout": (3, [LayerSpec(5, pieces=3), LayerSpec(4, pieces=2, batch_norm=True), LayerSpec(2)]),
}


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_counts_equal_the_built_layout(name):
    n_inputs, layers = LAYOUTS[name]
    built, counted = build_layout(n_inputs, layers), layout_counts(n_inputs, layers)
    assert (counted.n_params, counted.n_stats) == (built.n_params, built.n_stats)
    assert (counted.total_cols, counted.total_units, counted.max_cols) == (built.total_cols, built.total_units,
                                                                            built.max_cols)


@pytest.mark.parametrize("name", list(LAYOUTS))
@pytest.mark.parametrize(("capacity", "chunk", "dtype"), [(1, 1, np.float64), (130, 128, np.float32),
                                                          (1000, 7, np.float64)])
def test_workspace_bytes_equal_the_allocated_workspace(name, capacity, chunk, dtype):
    n_inputs, layers = LAYOUTS[name]
    allocated = sum(a.nbytes for a in make_workspace(build_layout(n_inputs, layers), capacity, chunk, dtype))
    assert workspace_bytes(layout_counts(n_inputs, layers), capacity, chunk, np.dtype(dtype).itemsize) == allocated


def test_training_bytes_by_hand():
    """One dense 2-3-1 layout, float64, batch 4 in one chunk, no validation: 13 parameters."""
    counts = layout_counts(2, [LayerSpec(3), LayerSpec(1)])
    assert counts.n_params == 2 * 3 + 3 + 3 * 1 + 1 == 13
    # h, z, dh; a, dropout, da, maxout; batch-norm stats; partial sums, losses; chunk gradients, transposed weights
    workspace = 3 * 4 * 4 * 8 + 4 * 4 * (3 * 8 + 8) + 2 * 8 + 2 * 3 * 8 + 8 + 13 * 8 + 13 * 8
    per_start = 6 * 13 * 8 + 6 * 8 + workspace
    assert training_bytes(counts, batch=4, validation_rows=0, chunk=4, itemsize=8, starts=3) == 3 * per_start


def test_check_fits_gives_both_figures_and_the_fix():
    check_fits(2**30, 2**30, "this fit", "use less")
    with pytest.raises(AstromlpError, match=r"^this fit would need about 3.0 GiB of memory, more than the 1.0 GiB "
                                            r"available; use fewer units$"):
        check_fits(3 * 2**30, 2**30, "this fit", "use fewer units")


def test_available_memory_is_a_positive_figure():
    assert available_memory() > 0


@pytest.mark.parametrize("fit", [
    lambda X, y: MLPClassifier((60_000, 60_000), max_epochs=1).fit(X, y),
    lambda X, y: MLPRegressor((60_000, 60_000), n_starts=4, max_epochs=1).fit(X, X[:, 0]),
    lambda X, y: MLPClassifier((60_000, 60_000)).partial_fit(X, y, classes=[0, 1]),
])
def test_a_layout_too_large_for_memory_is_refused_before_allocating(fit):
    """Two 60,000-unit hidden layers hold 3.6e9 weights: about 170 GiB with the optimizer's moments."""
    X = np.random.default_rng(0).normal(size=(200, 3))
    y = (X[:, 0] > 0).astype(int)
    with pytest.raises(AstromlpError, match=r"would need about [\d,.]+ GiB of memory, more than the .* available; "
                                            "use fewer hidden units or fewer starts") as info:
        fit(X, y)
    assert "\n" not in str(info.value) and "3600" in str(info.value)
