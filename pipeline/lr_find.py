"""`astromlp lr-find CONFIG`: the learning-rate range test on a config's training split (ingested and prepared
as `astromlp run` would, nothing written to a run directory), as an HTML page with the loss-versus-rate figure."""

from __future__ import annotations

from pathlib import Path

from astromlp.nn import lr_find
from astromlp.pipeline.config import load_config
from astromlp.pipeline.models import estimator_class, estimator_params
from astromlp.pipeline.schedulers import executor
from astromlp.pipeline.stages import catalog_files, ingest, prepare
from astromlp.reports.figures_lr import write_range_test


def range_test(config_path: Path, output: Path, steps: int = 200, start: float = 1e-6, stop: float = 10.0,
               show_progress: bool = False) -> float:
    """Run the range test of the config's [model] on its training rows, write the page; returns the suggestion."""
    config = load_config(config_path)
    with executor(config.run.scheduler, config.run.workers, show_progress=show_progress) as ex:
        prepared = prepare(config, ingest(config, catalog_files(config)), ex)
    # the network's own parameters ([model] multi_class is the pipeline's: the test runs one softmax network)
    estimator = estimator_class(config.task.kind)(**estimator_params(config.model), random_state=config.run.seed)
    found = lr_find(estimator, prepared.X["train"], prepared.y["train"], start=start, stop=stop, steps=steps)
    write_range_test(output, found.to_dict(), f"Learning-rate range test: {config_path.name}")
    return found.suggestion
