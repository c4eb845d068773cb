"""The training section shows what L1 zeroed: exactly-zero weights per layer and the inputs switched off, from
a real lasso fit, with the feature names escaped."""

from __future__ import annotations

import numpy as np

from astromlp.nn import MLPRegressor
from astromlp.nn.sparsity import weight_sparsity
from astromlp.reports import EvaluationInputs, write_report


def test_zero_weights_and_switched_off_inputs_in_the_report(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(400, 4))
    y = 3.0 * X[:, 0] + 0.1 * rng.normal(size=400)
    names = ["g_r", "<b>noise</b>", "u_g", "r"]
    model = MLPRegressor(kind="linear", l1=0.05, l2=0.0, max_epochs=300, early_stopping=False,
                         random_state=0).fit(X, y)
    sparsity = weight_sparsity(model.coefs_, names)
    assert sparsity == {"layers": [{"layer": 1, "weights": 4, "zero_fraction": 0.75}],
                        "switched_off": ["<b>noise</b>", "u_g", "r"]}
    inputs = EvaluationInputs("regression", "mass", y, {"net": model.predict(X)}, "net",
                              training={"starts": model.starts_, "chosen_start": 0, "sparsity": sparsity})
    text = write_report(tmp_path, inputs, n_bootstrap=10).read_text(encoding="utf-8")
    assert "<td class=\"num\">75.0 %</td>" in text
    assert "<code>&lt;b&gt;noise&lt;/b&gt;</code>, <code>u_g</code>, <code>r</code>" in text


def test_an_mlp_reports_every_layer():
    coefs = [np.array([[0.0, 1.0], [0.0, 0.0], [2.0, 0.0]]), np.array([[0.0], [3.0]])]
    assert weight_sparsity(coefs, ["a", "b", "c"]) == {
        "layers": [{"layer": 1, "weights": 6, "zero_fraction": 4 / 6},
                   {"layer": 2, "weights": 2, "zero_fraction": 0.5}],
        "switched_off": ["b"]}


def test_mostly_dead_or_saturated_layers_are_findings_in_the_training_section(tmp_path):
    from astromlp.reports.training_findings import diagnostic_findings

    layers = [{"layer": 1, "activation": "tanh", "gradient_norm": 0.5, "saturated_fraction": 0.8},
              {"layer": 2, "activation": "relu", "gradient_norm": 0.1, "dead_fraction": 0.61},
              {"layer": 3, "activation": "identity", "gradient_norm": 0.2}]
    assert diagnostic_findings(layers) == [
        "layer 1: 80 % of sigmoid/tanh outputs saturated; standardise the inputs, lower the learning rate or use relu",
        "layer 2: 61 % of ReLU units never active; lower the learning rate or use leaky_relu"]
    assert diagnostic_findings([{**layers[1], "dead_fraction": 0.4}]) == []
    y = np.linspace(0, 1, 40)
    start = {"seed": 0, "loss_curve": [1.0], "diagnostics": [[], layers]}
    inputs = EvaluationInputs("regression", "mass", y, {"net": y}, "net",
                              training={"starts": [start], "chosen_start": 0})
    text = write_report(tmp_path, inputs, n_bootstrap=10).read_text(encoding="utf-8")
    assert "layer 2: 61 % of ReLU units never active; lower the learning rate or use leaky_relu" in text
    assert "<td class=\"num\">61.0 %</td>" in text
