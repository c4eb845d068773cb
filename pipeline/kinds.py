"""The task kinds a run can learn: each composes the report's kind (metrics, baselines, figures, title) with
the estimator that learns it and the config template `astromlp init` writes; registered once, by name.

reports/ may not import the pipeline, so the report-side parts are a `reports.ReportKind` and this table adds
what only the pipeline needs; a new kind is one ReportKind in reports/builtin_kinds.py and one entry here.
"""

from __future__ import annotations

from dataclasses import dataclass

from astromlp.nn import MLPClassifier, MLPDensity, MLPRegressor
from astromlp.reports import ReportKind
from astromlp.reports.builtin_kinds import CLASSIFICATION, PHOTOZ, PHOTOZ_PDF, REGRESSION, STARGALAXY


@dataclass(frozen=True)
class ConfigTemplate:
    """The kind-specific lines of the `astromlp init` config: its purpose, [task], [data] select, [split]."""

    purpose: str
    task_table: str
    select: str = ""
    stratify: str = ""
    #: [model] values set apart from the estimator's defaults, and the comment saying why
    model: tuple[dict[str, str], str] = ({}, "")
    #: extra [report] lines (e.g. a purity target)
    report: str = ""


@dataclass(frozen=True)
class TaskKind:
    """One task kind: what the report judges, which estimator learns it, the config `init` writes, and
    whether `astromlp demo` runs it."""

    report: ReportKind
    estimator: type
    template: ConfigTemplate
    demo: bool = False

    @property
    def name(self) -> str:
        return self.report.name

    @property
    def labelled(self) -> bool:
        """The target is class labels (prepare factorises it, evaluate predicts probabilities)."""
        return self.report.labelled


_KINDS = (
    TaskKind(CLASSIFICATION, MLPClassifier, ConfigTemplate(
        "Classification of SDSS sources into GALAXY / STAR / QSO from their colours and r magnitude.",
        '[task]\nkind = "classification"        # classification | regression | photoz | photoz-pdf | stargalaxy\n'
        'target = "class"              # the catalog column holding the labels\n',
        stratify="stratify = true                 # same class mix in every split\n"), demo=True),
    TaskKind(REGRESSION, MLPRegressor, ConfigTemplate(
        "Regression of the redshift of SDSS galaxies and quasars from their colours and r magnitude.",
        '[task]\nkind = "regression"            # classification | regression | photoz | photoz-pdf | stargalaxy\n'
        'target = "redshift"           # the numeric column to predict\n',
        select='select = { class = ["GALAXY", "QSO"] } # keep only rows whose class is listed\n')),
    TaskKind(PHOTOZ, MLPRegressor, ConfigTemplate(
        "Photometric redshift of SDSS galaxies, judged with the astronomy metrics (bias, sigma_NMAD, "
        "outliers).",
        '[task]\nkind = "photoz"                # classification | regression | photoz | photoz-pdf | stargalaxy\n'
        'target = "redshift"           # the spectroscopic redshift column\n',
        select='select = { class = ["GALAXY"] } # keep only rows whose class is listed\n',
        model=({"loss": "absolute_error"},
               "# ... except the loss: on the SDSS galaxies the median fit (absolute_error) had sigma_NMAD 0.0151\n"
               "# against 0.0171 for squared_error in cross-validation (benchmarks/quality_selection.md, round 6).\n")),
        demo=True),
    TaskKind(PHOTOZ_PDF, MLPDensity, ConfigTemplate(
        "Photometric-redshift PDFs of SDSS galaxies: a probability density per galaxy on a grid of redshift bins,\n"
        "# with its mode, median, 68 % / 95 % intervals and ODDS; `predict -o pdfs.hdf5` writes a qp ensemble.",
        '[task]\nkind = "photoz-pdf"            # classification | regression | photoz | photoz-pdf | stargalaxy\n'
        'target = "redshift"           # the spectroscopic redshift column\n',
        select='select = { class = ["GALAXY"] } # keep only rows whose class is listed\n',
        model=({"z_grid": 200, "label_width": 1.0, "hidden_layer_sizes": (64, 64, 64), "n_starts": 3,
                "start_selection": "ensemble"},
               "# ... plus the PDF's grid: 200 bins from 0 to the training redshifts' 99.9th percentile plus a\n"
               "# margin (or a list of bin edges), and soft labels spread by a Gaussian of 1 bin; and a deep\n"
               "# ensemble of 3 starts (their PDFs averaged), which lowered the CRPS by 0.00026 +- 0.00011 (2 %)\n"
               "# against 1 start in cross-validation (benchmarks/quality_selection.md, round 7). MLPDensity's\n"
               "# three hidden layers had the fewest |dz| > 0.15 outliers of the mode in cross-validation among\n"
               "# wider, deeper, longer-trained and slower-learning networks (round 9).\n"))),
    TaskKind(STARGALAXY, MLPClassifier, ConfigTemplate(
        "Star/galaxy separation of SDSS sources, stars against everything else (galaxies and quasars "
        "relabelled EXTRAGALACTIC), from their colours and r magnitude, with a 99 % purity cut on the "
        "extragalactic sample.",
        '[task]\nkind = "stargalaxy"            # classification | regression | photoz | photoz-pdf | stargalaxy\n'
        'target = "class"              # the catalog column holding the labels\n',
        select='# Two classes: STAR against everything else (the model stores the map and predicts these names).\n'
               'target_map = { GALAXY = "EXTRAGALACTIC", QSO = "EXTRAGALACTIC" }\n',
        stratify="stratify = true                 # same class mix in every split\n",
        report="purity = { EXTRAGALACTIC = 0.99 }   # the probability cut giving a 99 % pure extragalactic sample "
               "(chosen on validation)\n")),
)
TASK_KINDS: dict[str, TaskKind] = {kind.name: kind for kind in _KINDS}
"""name -> TaskKind, in the order `init --task` and the configuration reference list them."""


def task_kind(name: str) -> TaskKind:
    """The kind called `name` (config validation has already checked it is one of TASK_KINDS)."""
    return TASK_KINDS[name]
