"""[sweep] expansion and validation: grid points, random draws, named feature sets, one-line errors."""

import math
import tomllib

import pytest

from astromlp.errors import AstromlpError
from astromlp.pipeline.config import parse_config
from astromlp.pipeline.sweep_config import parse_sweep


@pytest.fixture
def sweep_text(sdss_small, config_text):
    def text(sweep: str) -> str:
        return config_text(sdss_small) + "\n" + sweep
    return text


def _parse(text, tmp_path):
    return parse_sweep(text, tmp_path / "sweep.toml")


def test_grid_is_the_product_in_declared_order(sweep_text, tmp_path):
    sweep = _parse(sweep_text('[sweep]\n[sweep.grid.model]\nhidden_layer_sizes = [[8], [16, 8]]\n'
                              'learning_rate = [0.01, 0.001, 0.0001]\n[sweep.grid.normalise]\n'
                              'method = ["standard", "robust"]\n'), tmp_path)
    assert len(sweep.trials) == 2 * 3 * 2
    assert sweep.swept == ("model.hidden_layer_sizes", "model.learning_rate", "normalise.method")
    assert sweep.trials[0].params == {"model.hidden_layer_sizes": [8], "model.learning_rate": 0.01,
                                      "normalise.method": "standard"}
    assert sweep.trials[-1].params == {"model.hidden_layer_sizes": [16, 8], "model.learning_rate": 0.0001,
                                       "normalise.method": "robust"}
    config = parse_config(sweep.trials[-1].text, tmp_path / "x.toml")
    assert config.model["hidden_layer_sizes"] == (16, 8) and config.model["learning_rate"] == 0.0001
    assert config.normalise.method == "robust" and config.model["max_epochs"] == 15  # the base [model] kept
    assert [t.name for t in sweep.trials[:2]] == ["trial-000", "trial-001"]


def test_random_draws_are_seeded_log_uniform_and_crossed_with_the_grid(sweep_text, tmp_path):
    text = sweep_text('[sweep]\nn_trials = 200\n[sweep.grid.model]\nn_starts = [1, 2]\n[sweep.random.model]\n'
                      'learning_rate = { low = 1e-4, high = 1e-1, log = true }\n'
                      'max_epochs = { low = 3, high = 6 }\nactivation = { choices = ["relu", "tanh"] }\n')
    sweep = _parse(text, tmp_path)
    assert len(sweep.trials) == 400 and sweep.log_scaled == ("model.learning_rate",)
    rates = [t.params["model.learning_rate"] for t in sweep.trials[:200]]
    assert all(1e-4 <= r <= 1e-1 for r in rates)
    logs = sorted(math.log10(r) for r in rates)  # log-uniform: about a third of the draws per decade
    for decade in (-4, -3, -2):
        assert 40 < sum(decade <= v < decade + 1 for v in logs) < 95
    assert {t.params["model.max_epochs"] for t in sweep.trials} == {3, 4, 5, 6}
    assert {t.params["model.activation"] for t in sweep.trials} == {"relu", "tanh"}
    assert [t.params["model.learning_rate"] for t in sweep.trials[200:]] == rates  # the same draws per grid point
    assert _parse(text, tmp_path).trials == sweep.trials  # seeded by [run] seed


def test_feature_sets_replace_features_as_a_whole(sweep_text, tmp_path):
    sweep = _parse(sweep_text('[sweep]\n[sweep.features.colours]\nu_g = "u - g"\ng_r = "g - r"\n'
                              '[sweep.features.magnitudes]\nu = "u"\nr = "r"\n'), tmp_path)
    assert [t.params for t in sweep.trials] == [{"features": "colours"}, {"features": "magnitudes"}]
    assert tomllib.loads(sweep.trials[1].text)["features"] == {"u": "u", "r": "r"}


def test_trial_configs_name_catalogs_absolutely_and_no_run_directory(sweep_text, tmp_path, sdss_small):
    text = sweep_text('[sweep]\n[sweep.grid.model]\nlearning_rate = [0.01]\n').replace(str(sdss_small),
                                                                                      sdss_small.name)
    text = text.replace("[run]\n", '[run]\nout = "my-sweep"\n')
    sweep = parse_sweep(text, sdss_small.parent / "sweep.toml")
    assert sweep.out == sdss_small.parent / "my-sweep"
    trial = tomllib.loads(sweep.trials[0].text)
    assert trial["data"]["catalogs"] == [str(sdss_small)] and "out" not in trial["run"]


@pytest.mark.parametrize(("sweep", "message"), [
    ("[sweep]\n[sweep.grid.model]\nlearning_rat = [0.1]\n", "[sweep.grid.model] unknown key 'learning_rat'; did "
                                                           "you mean 'learning_rate'?"),
    ("[sweep]\n[sweep.grid.split]\ntest = [0.1]\n", "[sweep.grid] cannot sweep [split]"),
    ("[sweep]\n[sweep.grid.model]\nlearning_rate = []\n", "[sweep.grid.model] learning_rate is empty"),
    ("[sweep]\nn_trials = 3\n[sweep.random.model]\nlearning_rate = { low = 0.1, high = 0.01 }\n",
     "learning_rate = [0.1, 0.01] is an empty range; give low < high"),
    ("[sweep]\nn_trials = 3\n[sweep.random.model]\nlearning_rate = { low = 0, high = 0.1, log = true }\n",
     "a log-uniform range needs low > 0"),
    ("[sweep]\n[sweep.random.model]\nlearning_rate = { low = 0.001, high = 0.1 }\n", "needs [sweep] n_trials"),
    ("[sweep]\nmetric = \"acuracy\"\n[sweep.grid.model]\nlearning_rate = [0.1]\n",
     "metric 'acuracy' is not a classification metric; did you mean 'accuracy'?"),
    ("[sweep]\nrepeats = 3\n", "[sweep] unknown key 'repeats'"),
    ("[sweep]\n[sweep.grid.model]\nlearning_rate = [0.01, -1.0]\n", "sweep trial 1 (model.learning_rate = -1.0)"),
    ("[sweep]\n[sweep.grid.model]\nrandom_state = [1, 2]\n", "unknown key 'random_state'"),
])
def test_mistakes_are_one_line(sweep_text, tmp_path, sweep, message):
    with pytest.raises(AstromlpError) as error:
        _parse(sweep_text(sweep), tmp_path)
    assert message in str(error.value) and "\n" not in str(error.value)
    assert "sweep.toml" in str(error.value)


def test_a_config_without_sweep_says_so(sweep_text, tmp_path):
    with pytest.raises(AstromlpError, match=r"no \[sweep\] table"):
        _parse(sweep_text(""), tmp_path)


def test_the_default_metric_is_the_kinds_headline(sweep_text, tmp_path):
    sweep = _parse(sweep_text("[sweep]\n[sweep.grid.model]\nlearning_rate = [0.01]\n"), tmp_path)
    assert sweep.metric == "balanced_accuracy"


def test_the_guides_example_is_a_24_trial_sweep():
    from pathlib import Path

    from astromlp.pipeline.sweep_config import load_sweep

    example = Path(__file__).resolve().parents[2] / "examples" / "photoz_sweep.toml"
    sweep = load_sweep(example)
    assert len(sweep.trials) == 24 and sweep.metric == "sigma_nmad"
    assert sweep.swept == ("features", "model.hidden_layer_sizes", "model.learning_rate")
    assert sweep.out == example.parent / "runs" / "photoz_sweep"
    assert {t.params["features"] for t in sweep.trials} == {"colours", "colours_only"}


def test_the_command_prints_one_line_and_exits_2(sweep_text, tmp_path):
    from click.testing import CliRunner

    from astromlp.pipeline.cli import main

    path = tmp_path / "sweep.toml"
    path.write_text(sweep_text("[sweep]\n[sweep.grid.model]\nlearning_rate = []\n"))
    result = CliRunner().invoke(main, ["sweep", str(path), "--scheduler", "synchronous"])
    assert result.exit_code == 2
    assert result.output.startswith("astromlp: error: ") and len(result.output.strip().splitlines()) == 1
    assert "learning_rate is empty" in result.output and not (tmp_path / "runs").exists()
