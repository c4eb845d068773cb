"""[model] multi_class, [report] baselines, [data] weight and [data] target_map through the pipeline: each wrong
value is one line naming the file and key; a one-vs-rest run trains, saves, reports and predicts (bit for bit as
evaluate); weights reach training; the relabelled classes are what the model predicts."""

import json

import numpy as np
import pandas as pd
import pytest

from astromlp.errors import AstromlpError
from astromlp.nn import load
from astromlp.nn.multiclass import class_scores
from astromlp.pipeline.artifacts import load_prepared
from astromlp.pipeline.config import load_config, parse_config
from astromlp.pipeline.models import TrainingData, fit_all_starts
from astromlp.pipeline.predict import predict_catalogs
from astromlp.pipeline.rundir import RunDirectory
from astromlp.pipeline.runner import RunOptions, run
from astromlp.pipeline.stages import check_weights
from astromlp.pipeline.templates import template
from tests.pipeline.test_config import MINIMAL

QUIET = RunOptions(scheduler="synchronous", quiet=True)


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "cat.csv").write_text("u,g,class\n1,2,A\n")
    return tmp_path


@pytest.mark.parametrize("text, expected", [
    (MINIMAL + '[model]\nmulti_class = "ova"\n', r"\[model\] multi_class = \"ova\" is not one of softmax, ovr, ovo"),
    (MINIMAL + '[model]\nmulti_class = "ovr"\ncalibrate = "temperature"\n',
     r"\[model\] calibrate = 'temperature': temperature scaling calibrates one softmax network"),
    (MINIMAL + '[model]\nmulti_class = "ovo"\nclass_weight = { A = 2.0 }\n',
     r"\[model\] class_weight = \{'A': 2.0\}: a class_weight mapping names the target's classes"),
    (MINIMAL.replace("classification", "regression").replace('"class"', '"g"') + '[model]\nmulti_class = "ovr"\n',
     r"\[model\] unknown key 'multi_class'"),
    (MINIMAL + '[report]\nbaselines = ["logistic", "logistc_ovr"]\n',
     r"\[report\] baselines names 'logistc_ovr', which is not a classification baseline; .*did you mean "
     r"'logistic_ovr'"),
    (MINIMAL + '[report]\nbaselines = "logistic"\n', r"\[report\] baselines = \"logistic\" is a string"),
    (MINIMAL.replace("classification", "regression").replace('"class"', '"g"')
     + '[report]\nbaselines = ["logistic"]\n', r"'logistic', which is not a regression baseline; .*ols, ridge"),
    (MINIMAL.replace("[data]", '[data]\nweight = 1'), r"\[data\] weight = 1 is an integer; expected a string"),
    (MINIMAL.replace("[data]", '[data]\ntarget_map = { QSO = 1 }'), r"\[data\] target_map = .*expected a table of "
     r"class = \"new class\""),
    (MINIMAL.replace("[data]", '[data]\ntarget_map = {}'), r"\[data\] target_map = \{\} is a table; expected"),
    (MINIMAL.replace("classification", "regression").replace('"class"', '"g"').replace(
        "[data]", '[data]\ntarget_map = { A = "B" }'), r"\[data\] target_map renames classes, but kind = "
     r"\"regression\" learns numbers"),
])
def test_a_wrong_value_is_one_line(folder, text, expected):
    with pytest.raises(AstromlpError, match=expected) as info:
        parse_config(text, folder / "run.toml")
    assert "\n" not in str(info.value) and "run.toml" in str(info.value)


@pytest.mark.parametrize("values, expected", [
    ([1.0, np.nan], r"weight column 'w' of cat.csv has 1 missing, infinite or negative values .*first: nan"),
    ([1.0, -2.0], r"has 1 missing, infinite or negative values .*first: -2.0"),
    ([np.inf, 1.0], r"first: inf"),
    ([0.0, 0.0], r"weight column 'w' of cat.csv is zero in every row used"),
    (["a", "b"], r"weight column 'w' of cat.csv holds values that are not numbers"),
])
def test_weights_are_finite_non_negative_numbers_not_all_zero(values, expected):
    with pytest.raises(AstromlpError, match=expected):
        check_weights(np.asarray(values, dtype=object), "w", "cat.csv")


def _catalog(sdss_small, tmp_path, n=1500):
    """SDSS rows with a weight column: 2 for quasars, 1 otherwise (integers, so they equal repeated rows)."""
    table = pd.read_csv(sdss_small, nrows=n)
    table["w"] = np.where(table["class"] == "QSO", 2.0, 1.0)
    path = tmp_path / "weighted.csv"
    table.to_csv(path, index=False)
    return path


def test_a_weight_column_of_text_or_negatives_stops_prepare_naming_file_and_column(sdss_small, tmp_path,
                                                                                   write_config, config_text):
    path = _catalog(sdss_small, tmp_path)
    table = pd.read_csv(path)
    table.loc[3, "w"] = -1.0
    table.to_csv(path, index=False)
    config = write_config(config_text(path, extra_data='weight = "W"'))  # any case, as every column
    with pytest.raises(AstromlpError, match=r"\[data\] weight column 'w' of .*weighted.csv has 1 missing, "
                                            r"infinite or negative"):
        run(load_config(config), QUIET)
    table.assign(w="heavy").to_csv(path, index=False)
    with pytest.raises(AstromlpError, match=r"\[data\] weight column 'w' of .*weighted.csv is (str|object)"):
        run(load_config(config), RunOptions(scheduler="synchronous", quiet=True, force=True))


def test_an_unknown_class_in_target_map_stops_prepare(sdss_small, write_config, config_text):
    config = write_config(config_text(sdss_small, extra_data='target_map = { QSSO = "GALAXY" }'))
    with pytest.raises(AstromlpError, match=r"\[data\] target_map names class 'QSSO', which target column 'class' "
                                            r"of .* does not hold \(classes: GALAXY, QSO, STAR\)"):
        run(load_config(config), QUIET)


MODEL = "[model]\nhidden_layer_sizes = [8]\nmax_epochs = 8\nn_starts = 1\n"


@pytest.fixture(scope="module")
def ovr_run(sdss_small, tmp_path_factory, config_text):
    folder = tmp_path_factory.mktemp("ovr")
    path = _catalog(sdss_small, folder)
    text = config_text(path, extra_data='weight = "w"', model=MODEL + 'multi_class = "ovr"\n',
                       extra='baselines = ["logistic", "logistic_ovr", "logistic_ovo"]\npurity = { GALAXY = 0.9 }\n')
    (folder / "run.toml").write_text(text)
    return run(load_config(folder / "run.toml"), QUIET), path


def test_a_one_vs_rest_run_reports_against_the_three_logistic_regressions(ovr_run):
    result, _ = ovr_run
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    assert metrics["models"] == ["MLP", "logistic regression", "logistic regression OvR", "logistic regression OvO"]
    model = load(result.run_dir / "model.zip")
    assert type(model).__name__ == "OneVsRestClassifier" and len(model.estimators_) == 3
    assert model.metadata_["multi_class"] == "ovr" and model.metadata_["weight"] == "w"
    training = json.loads((result.run_dir / "training.json").read_text())
    assert [s["member"] for s in training["starts"]] == ["GALAXY vs rest", "QSO vs rest", "STAR vs rest"]
    page = result.report.read_text()
    assert "one-vs-rest: one sigmoid network per class" in page and "one-vs-one logistic regression" in page
    assert "0: GALAXY vs rest (chosen)" in page and "2: STAR vs rest</th>" in page


def test_predict_streams_the_members_and_equals_evaluate_bit_for_bit(ovr_run, tmp_path):
    result, catalog = ovr_run
    out = tmp_path / "predicted.parquet"
    predict_catalogs(result.run_dir / "model.zip", [str(catalog)], out)
    predicted = pd.read_parquet(out).reset_index(names="row")
    evaluated = pd.read_parquet(result.run_dir / "predictions.parquet")
    both = evaluated.merge(predicted, on="row", suffixes=("_evaluate", "_predict"))
    assert len(both) == len(evaluated)
    for column in ("class_predicted", "probability_GALAXY", "probability_QSO", "probability_STAR"):
        np.testing.assert_array_equal(both[f"{column}_evaluate"], both[f"{column}_predict"])
    assert predicted["GALAXY_selected"].any()


def test_the_weight_column_trains_as_repeated_rows_in_full_batch(ovr_run):
    """Training reads the prepared weights: weight 2 equals the quasar rows given twice (full batch)."""
    result, _ = ovr_run
    prepared = load_prepared(RunDirectory(result.run_dir))
    w = prepared.weights["train"]
    np.testing.assert_array_equal(w, np.where(prepared.y["train"] == "QSO", 2.0, 1.0))
    X, y = prepared.X["train"], prepared.y["train"]
    twice = np.concatenate([np.arange(len(y)), np.flatnonzero(w == 2.0)])
    params = dict(hidden_layer_sizes=(6,), optimizer="sgd", learning_rate=0.1, batch_size=5000, max_epochs=4,
                  early_stopping=False, l2=0.0, chunk_size=5000)
    empty = (np.zeros((0, X.shape[1])), np.zeros(0, str))
    weighted = fit_all_starts("classification", params, 3, TrainingData(X, y, *empty, w, None))
    repeated = fit_all_starts("classification", params, 3, TrainingData(X[twice], y[twice], *empty))
    np.testing.assert_allclose(weighted.networks_[0].theta, repeated.networks_[0].theta, rtol=1e-10, atol=1e-12)


def test_validation_weights_reach_early_stopping(ovr_run):
    """The monitored loss is the weighted validation loss: doubling every validation weight leaves it, and
    weighting only quasars changes it."""
    result, _ = ovr_run
    prepared = load_prepared(RunDirectory(result.run_dir))
    X, y, Xv, yv = prepared.X["train"], prepared.y["train"], prepared.X["validation"], prepared.y["validation"]
    params = dict(hidden_layer_sizes=(6,), max_epochs=3, patience=50)
    curves = [fit_all_starts("classification", params, 3, TrainingData(X, y, Xv, yv, None, wv)).validation_loss_curve_
              for wv in (None, np.full(len(yv), 2.0), np.where(yv == "QSO", 5.0, 1.0))]
    np.testing.assert_allclose(curves[0], curves[1], rtol=1e-12)
    assert not np.allclose(curves[0], curves[2])


def test_target_map_merges_classes_and_the_model_predicts_the_new_names(sdss_small, tmp_path, write_config,
                                                                        config_text):
    text = config_text(sdss_small, extra_data='target_map = { GALAXY = "EXTRAGALACTIC", QSO = "EXTRAGALACTIC" }',
                       model=MODEL)
    result = run(load_config(write_config(text)), QUIET)
    model = load(result.run_dir / "model.zip")
    assert model.classes_.tolist() == ["EXTRAGALACTIC", "STAR"]
    assert model.metadata_["target_map"] == {"GALAXY": "EXTRAGALACTIC", "QSO": "EXTRAGALACTIC"}
    truth = pd.read_csv(sdss_small)["class"]
    evaluated = pd.read_parquet(result.run_dir / "predictions.parquet")
    expected = np.where(truth.iloc[evaluated["row"]] == "STAR", "STAR", "EXTRAGALACTIC")
    np.testing.assert_array_equal(evaluated["class_true"], expected)
    out = tmp_path / "p.parquet"
    predict_catalogs(result.run_dir / "model.zip", [str(sdss_small)], out)
    assert set(pd.read_parquet(out)["class_predicted"]) <= {"EXTRAGALACTIC", "STAR"}
    scores = class_scores(model, load_prepared(RunDirectory(result.run_dir)).X["test"])
    np.testing.assert_array_equal(evaluated[["probability_EXTRAGALACTIC", "probability_STAR"]].to_numpy(), scores)


def test_the_stargalaxy_template_classifies_stars_against_everything_else(tmp_path):
    config = parse_config(template("stargalaxy"), tmp_path / "stargalaxy.toml")
    assert config.data.target_map == {"GALAXY": "EXTRAGALACTIC", "QSO": "EXTRAGALACTIC"}
    assert config.data.select is None  # no class is dropped
    assert dict(config.report.purity) == {"EXTRAGALACTIC": 0.99}
