"""A fit's kernels compile the common table rows when it uses only those (the first run's compile), all rows
otherwise, and the subset never changes a result."""

import tomllib

import numpy as np
import pytest

from astromlp.nn.kernels.rows import Rows
from astromlp.nn.layers import LayerSpec
from astromlp.nn.network import Network
from astromlp.nn.optimizers import SGD, Adam
from astromlp.nn.table_rows import NETWORK_ROWS, UPDATE_ROWS, network_subset, update_subset
from astromlp.nn.training import TrainConfig, train
from astromlp.pipeline.templates import TASK_NAMES, template
from tests.docs.conftest import EXAMPLES

# A loss left out of a template is the estimator's default: one of these.
DEFAULT_LOSSES = ("softmax_cross_entropy", "binary_cross_entropy", "squared_error")


@pytest.mark.parametrize("task", TASK_NAMES)
def test_every_template_fits_with_the_common_rows(task):
    """The first run compiles the common rows only: the templates (the demo's among them) must stay within them."""
    model = tomllib.loads(template(task))["model"]
    assert update_subset(model["optimizer"]) == "common"
    for loss in [model["loss"]] if "loss" in model else DEFAULT_LOSSES:
        assert network_subset([model["activation"], "identity"], loss) == "common", loss


def test_the_photoz_example_fits_with_the_common_rows():
    """After the demo, the photo-z example compiles no kernel of every row (AdamW is a common row)."""
    model = tomllib.loads((EXAMPLES / "photoz.toml").read_text())["model"]
    assert model["optimizer"] == "adamw" and update_subset(model["optimizer"]) == "common"
    assert network_subset([model["activation"], "identity"], model["loss"]) == "common"


def test_a_row_outside_the_common_ones_compiles_them_all():
    assert network_subset(["relu", "tanh", "identity"], "squared_error") == "all"
    assert network_subset(["relu", "identity"], "huber") == "all"
    assert network_subset(["prelu", "identity"], "squared_error") == "all"
    assert update_subset("sgd") == "all" and SGD.rows is UPDATE_ROWS["all"]
    rows = Rows(activation=(3, 0, 3), loss=())
    assert ("activation", 0) in rows and ("activation", 1) not in rows and ("loss", 0) not in rows
    assert repr(rows) == "Rows(activation=(0, 3), loss=())"


def _fit(X, Y, optimizer):
    net = Network.create(3, [LayerSpec(8, "relu"), LayerSpec(8, "relu", dropout=0.1)], 2, "squared_error",
                         rng=np.random.default_rng(0))
    result = train(net, X, Y, np.ones(len(X)), TrainConfig(optimizer, batch_size=32, max_epochs=3), 0)
    return net, result


def test_the_common_rows_and_all_rows_give_the_same_bits(monkeypatch):
    """A ReLU network with Adam trained, scored and differentiated by the kernels of every row gives the very
    numbers of the common rows' kernels: the subset only leaves rows out, it never changes one."""
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(300, 3)), rng.normal(size=(300, 2))
    common, common_result = _fit(X, Y, Adam())
    assert common.row_subset() == "common" and Adam.rows is UPDATE_ROWS["common"]
    monkeypatch.setattr(Network, "row_subset", lambda self: "all")
    monkeypatch.setattr(Adam, "rows", UPDATE_ROWS["all"])
    every, every_result = _fit(X, Y, Adam())
    assert every.kernel_layout().rows is NETWORK_ROWS["all"]  # the patch took
    assert np.array_equal(every.theta, common.theta)
    assert every_result.loss_curve == common_result.loss_curve
    every_loss, every_grad = every.loss_and_gradient(X, Y)
    monkeypatch.undo()
    common_loss, common_grad = common.loss_and_gradient(X, Y)
    assert every_loss == common_loss and np.array_equal(every_grad, common_grad)
