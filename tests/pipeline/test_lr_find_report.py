"""`[report] lr_find = true`: the range test's figure in the run report's training section, rerunning only the
evaluate stage; absent unless asked."""

import json

from astromlp.pipeline.config import load_config
from astromlp.pipeline.runner import RunOptions, run


def test_the_range_test_figure_joins_the_training_section_when_asked(sdss_small, write_config, config_text):
    path = write_config(config_text(sdss_small))
    run(load_config(path), RunOptions(scheduler="synchronous", quiet=True))
    report = path.parent / "runs/run/report.html"
    assert 'id="figure-lr_find"' not in report.read_text(encoding="utf-8")
    path.write_text(config_text(sdss_small).replace("n_bootstrap = 20", "n_bootstrap = 20\nlr_find = true"))
    result = run(load_config(path), RunOptions(scheduler="synchronous", quiet=True, resume=True))
    assert [s.name for s in result.stages if not s.reused] == ["evaluate"]
    text = report.read_text(encoding="utf-8")
    training = text[text.index('<section id="training">'):]
    training = training[:training.index("</section>")]
    figure = training[training.index('<figure id="figure-lr_find">'):]
    figure = figure[:figure.index("</figure>")]
    found = json.loads((path.parent / "runs/run/report_inputs.json").read_text())["training"]["lr_find"]
    assert "<svg" in figure and "Learning-rate range test" in figure
    assert f"suggested {found['suggestion']:.2g}" in figure
    assert 1e-6 < found["suggestion"] < found["rates"][int(min(range(len(found["smoothed"])),
                                                               key=found["smoothed"].__getitem__))]
