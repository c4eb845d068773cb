"""The pipeline's task kinds compose the report's, one entry each, and no code outside the registry compares
a task kind's name."""

import re
from pathlib import Path

import pytest

from astromlp.nn import MLPClassifier
from astromlp.pipeline.kinds import TASK_KINDS
from astromlp.pipeline.templates import template
from astromlp.reports import REPORT_KINDS

ROOT = Path(__file__).resolve().parents[2]


def test_every_report_kind_is_a_pipeline_kind_and_back():
    assert list(TASK_KINDS) == list(REPORT_KINDS)
    for name, kind in TASK_KINDS.items():
        assert kind.report is REPORT_KINDS[name]
        assert kind.labelled == (kind.estimator is MLPClassifier)


@pytest.mark.parametrize("name", list(TASK_KINDS))
def test_each_template_declares_its_own_kind(name):
    assert f'kind = "{name}"' in template(name)


def test_no_module_compares_a_kind_by_name():
    names = "|".join(re.escape(name) for name in TASK_KINDS)
    comparison = re.compile(rf"""[=!]=\s*["']({names})["']|["']({names})["']\s*[=!]=""")
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for folder in ("catalogs", "pipeline", "reports", "foundation")  # nn knows losses, not task kinds
             for path in sorted((ROOT / folder).rglob("*.py"))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if comparison.search(line)]
    assert not found, "compare a declared property of the kind instead:\n" + "\n".join(found)
