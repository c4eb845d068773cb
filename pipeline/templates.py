"""Commented config templates for `astromlp init`; each runs as written on the bundled SDSS sample, and
`astromlp demo` runs the classification and photo-z ones."""

from __future__ import annotations

import json
import re

from astromlp.pipeline.kinds import TASK_KINDS

_COMMON_DATA = """\
# Catalog files or globs (FITS, VOTable, ECSV, CSV, Parquet), relative to this file.
# "astromlp:sample" is the bundled SDSS DR14 sample (ugriz magnitudes, spectroscopic class and redshift).
catalogs = ["astromlp:sample"]
# hdu = 1                       # FITS HDU or VOTable table to read (default: the first table)
# Values that mean "no measurement"; they become missing before anything else.
sentinels = [-9999, 99.99]
# Rows with a missing feature: "drop" them, "impute" training-split medians, or "error".
missing = "drop"
# Columns copied into prediction files next to the predictions.
keep_columns = ["objid", "ra", "dec"]
"""

_FEATURES = """\
[features]
# name = expression over catalog columns (+ - * / **, log10, sqrt, abmag_nmgy, ...; any column case).
u_g = "u - g"
g_r = "g - r"
r_i = "r - i"
i_z = "i - z"
r = "r"
"""

_REST = """\
[split]
# Fractions of rows held out; a row's split comes from a hash of its values and [run] seed, so it does
# not depend on file chunking or on the number of workers.
test = 0.2
validation = 0.1
{stratify}# key = ["ra", "dec"]          # columns identifying a row (default: every column the run reads)

[normalise]
method = "standard"             # standard | robust (median / IQR) | minmax | none; training split only

[model]
# MLPClassifier / MLPRegressor parameters (see `help(astromlp.nn.MLPClassifier)`). The values below are the
# estimator's defaults, chosen by cross-validation on SDSS and HTRU2 (benchmarks/quality_selection.md).
{task_model}hidden_layer_sizes = [64, 64]
activation = "relu"
optimizer = "adam"
learning_rate = 0.01
schedule = "reduce_on_plateau"  # halve the learning rate when the validation loss stalls
l2 = 0.0003                     # weight penalty l2/2 * sum(w^2), added to the mean loss of each minibatch
batch_size = 128
max_epochs = 500
early_stopping = true           # stop when the validation loss has not improved for `patience` epochs
patience = 30
tol = 0.0001                    # smallest relative validation-loss change that counts as an improvement
{starts}
[run]
seed = 42                       # one seed for the split, the initialisations and the bootstrap
{out}
# scheduler = "tcp://scheduler-host:8786"   # an existing Dask cluster (default: embedded local scheduler)
# workers = 4                   # or start a local cluster with this many worker processes

[report]
n_bootstrap = 200               # bootstrap resamples for the confidence intervals
magnitude = "r"                 # metrics per bin of this column
{report}"""

TASK_NAMES = tuple(TASK_KINDS)


#: The multi-start lines of [model], written in their place with the kind's values when its template sets them.
_STARTS = {"n_starts": (1, "# independent initialisations (multi-start), the lowest validation loss wins;\n"
                           "                                # each may run on a different Dask worker"),
           "start_selection": ("best", "# best (lowest validation loss) | ensemble (average of all starts)")}


def _task_model(template) -> str:
    values, why = template.model
    return why + "".join(f"{key} = {json.dumps(value)}\n" for key, value in values.items()  # JSON scalars are TOML
                         if key not in _STARTS and not _common_line(key).search(_REST))


def _common_line(key: str) -> re.Pattern:
    """The [model] line of `key` that every template writes (its value, then any comment); the first one follows
    the {task_model} placeholder."""
    return re.compile(rf"(?:^|(?<=}})){key} = [^#\n]*?(?=  #|$)", re.MULTILINE)


def _with_kind_values(rest: str, template) -> str:
    """The common [model] lines with the kind's own values written in their place (JSON scalars/lists are TOML)."""
    for key, value in template.model[0].items():
        rest = _common_line(key).sub(lambda _, key=key, value=value: f"{key} = {json.dumps(value)}", rest)
    return rest


def _starts(template) -> str:
    values = template.model[0]
    return "".join(f"{key} = {json.dumps(values.get(key, default))}".ljust(31) + f" {comment}\n"
                   for key, (default, comment) in _STARTS.items())


def template(task: str, out: str | None = None) -> str:
    """The commented config for `task`; its run directory is `out`, else left to the default runs/<config
    file's name> (so `my-photoz.toml` runs into runs/my-photoz/)."""
    kind = TASK_KINDS[task].template
    out_line = (f'out = "{out}"' if out else '# out = "runs/NAME"').ljust(31) + (
        " # the run directory, relative to this file" + ("" if out else "; default: runs/<this file's name>"))
    header = (f"# astromlp run configuration. {kind.purpose}\n"
              "# Runs as written on the bundled sample:  astromlp run THIS_FILE\n"
              "# Point [data] catalogs at your own files and adapt [task] and [features] to them.\n\n")
    data = "[data]\n" + _COMMON_DATA + kind.select
    rest = _with_kind_values(_REST, kind).format(stratify=kind.stratify, out=out_line, task_model=_task_model(kind),
                                                 starts=_starts(kind), report=kind.report)
    return "\n".join([header + kind.task_table, data, _FEATURES, rest])
