"""Each stage's cache key covers exactly the config entries and inputs it declares: changing an entry reruns
the stages declaring it and those downstream of them, and nothing else."""

import dataclasses

import pytest

from astromlp.pipeline.config import FREE_TABLES, SECTIONS, parse_config
from astromlp.pipeline.runner import STAGES
from astromlp.pipeline.stage_keys import CATALOGS, LABELS, key_inputs

# A value of each kind of config rule that differs from any default or template value.
OTHER = {"str": "changed", "int": 3, "float": 0.05, "bool": None, "str_list": ("changed",),
         "number_list": (-1.0,), "int_or_str": 2, "select": {"changed": ("value",)},
         "class_targets": {"changed": 0.5}, "target_map": {"changed": "other"},
         "labels": {"catalog": "changed.fits", "radius_arcsec": 2.0, "ra": "ra", "dec": "dec"}}
ENTRIES = [f"{name}.{f.name}" for name, cls in SECTIONS.items() for f in dataclasses.fields(cls)] + list(FREE_TABLES)
# What a change of each section reruns, written out by hand: the design, not a copy of the declarations.
RERUNS = {
    "task": ["ingest", "prepare", "train", "evaluate"],
    "data": ["ingest", "prepare", "train", "evaluate"],
    "features": ["ingest", "prepare", "train", "evaluate"],
    "split.key": ["ingest", "prepare", "train", "evaluate"],
    "split": ["prepare", "train", "evaluate"],
    "normalise": ["prepare", "train", "evaluate"],
    "run.seed": ["prepare", "train", "evaluate"],
    "model": ["train", "evaluate"],
    "report.magnitude": ["ingest", "prepare", "train", "evaluate"],
    "report.purity": ["train", "evaluate"],  # the model file carries the network's thresholds for predict
    "report.completeness": ["train", "evaluate"],
    "report": ["evaluate"],
    "run": [],  # out, scheduler, workers: where and how a run computes, never what it computes
}


@pytest.fixture(scope="module")
def config(tmp_path_factory, sdss_small, config_text):
    folder = tmp_path_factory.mktemp("keys")
    return parse_config(config_text(sdss_small), folder / "run.toml")


def _changed(config, entry: str):
    """`config` with `entry` (section.key or a free table) set to another value."""
    if entry in FREE_TABLES:
        return dataclasses.replace(config, **{entry: {**config.section(entry), "changed": 1}})
    name, key = entry.split(".")
    section = getattr(config, name)
    field = next(f for f in dataclasses.fields(section) if f.name == key)
    rule = field.metadata["rule"]
    value = (not getattr(section, key)) if rule.kind == "bool" else OTHER[rule.kind]
    assert value != getattr(section, key)
    return dataclasses.replace(config, **{name: dataclasses.replace(section, **{key: value})})


def _reruns(entry: str) -> list[str]:
    return RERUNS.get(entry, RERUNS.get(entry.split(".")[0]))


def _stages_rerun(config, changed, before: dict, after: dict) -> list[str]:
    """The stages whose key differs between (config, inputs `before`) and (changed, inputs `after`)."""
    rerun = []
    for stage in STAGES:
        old, new = key_inputs(stage, config, before), key_inputs(stage, changed, after)
        if old != new:  # a rerun stage writes other outputs, which the stages reading them see
            rerun.append(stage.name)
        before[stage.name] = {"outputs": stage.name}
        after[stage.name] = {"outputs": stage.name + ("-rerun" if old != new else "")}
    return rerun


@pytest.mark.parametrize("entry", ENTRIES)
def test_a_config_change_reruns_exactly_the_stages_that_depend_on_it(config, entry):
    files = [{"path": "a.fits", "sha256": "0" * 64}]
    inputs = {CATALOGS: files, LABELS: None}
    assert _stages_rerun(config, _changed(config, entry), dict(inputs), dict(inputs)) == _reruns(entry)


def test_an_edited_labels_catalog_alone_reruns_ingest_and_all_after_it(config):
    """The [data] labels file's hash is an ingest input: the same config with the file's content changed."""
    files = [{"path": "a.fits", "sha256": "0" * 64}]
    before = {CATALOGS: files, LABELS: {"path": "spec.fits", "sha256": "1" * 64}}
    after = {CATALOGS: files, LABELS: {"path": "spec.fits", "sha256": "2" * 64}}
    assert _stages_rerun(config, config, before, after) == [stage.name for stage in STAGES]


def test_every_stage_reads_only_earlier_stages_and_writes_distinct_files():
    seen, written = {CATALOGS, LABELS}, []
    for stage in STAGES:
        assert set(stage.inputs) <= seen, f"{stage.name} reads a stage that runs after it"
        seen.add(stage.name)
        written += stage.outputs
    assert len(written) == len(set(written))
