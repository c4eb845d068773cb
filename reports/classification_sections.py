"""The classification report's own sections beyond the shared tables: calibration per class and the operating
points of the [report] purity / completeness targets."""

from __future__ import annotations

from astromlp.reports.calibration import calibration_table
from astromlp.reports.operating_points import operating_points


def classification_sections(inputs, cases: dict, n_bootstrap: int, random_state: int) -> dict:
    """{"calibration": table or None, "operating_points": table or None}, on the headline's resamples."""
    validation = inputs.validation or {"y_true": [], "probabilities": {}}
    return {
        "calibration": calibration_table(cases, inputs.classes, n_bootstrap, random_state),
        "operating_points": operating_points(inputs.targets, inputs.classes, validation, cases, n_bootstrap,
                                             random_state),
    }
