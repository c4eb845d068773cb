"""docs/architecture.md stays true: every table it names exists where it says, its import table is the
contract tests/test_architecture.py enforces, and the pipeline guide's key table is what the stages declare."""

import ast
import re
from pathlib import Path

import pytest

from astromlp.pipeline.runner import STAGES
from astromlp.pipeline.stage_keys import CATALOGS, LABELS
from tests.test_architecture import ALLOWED

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def _section(text: str, title: str) -> str:
    return text.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def _bullets() -> list[str]:
    return re.split(r"\n- ", _section(PAGE, "Where a new one goes"))[1:]


def _top_level_names(path: Path) -> set[str]:
    names = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, ast.AnnAssign) else []
        names.update(t.id for t in targets if isinstance(t, ast.Name))
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
    return names


@pytest.mark.parametrize("bullet", _bullets(), ids=lambda b: b.split(":")[0].strip("* "))
def test_every_table_the_page_names_exists_in_the_file_it_names(bullet):
    files = [ROOT / name for name in re.findall(r"`([\w/]+\.py)`", bullet)]
    tables = re.findall(r"`([A-Z][A-Z_]+)`", bullet)
    assert files and tables, bullet
    defined = set().union(*(_top_level_names(path) for path in files))
    assert set(tables) <= defined, f"{bullet}: {sorted(set(tables) - defined)} not defined in {files}"


def test_the_page_covers_every_kind_of_addition_the_issue_names():
    named = {bullet.split(":")[0].strip("* ") for bullet in _bullets()}
    assert {"activation", "loss", "optimizer", "catalog format", "metric", "task kind", "stage"} <= named


def test_the_import_table_is_the_enforced_contract():
    rows = re.findall(r"^\| `(\w+)` \| (.+) \|$", _section(PAGE, "What each room may import"), re.MULTILINE)
    table = {room: set(re.findall(r"`(\w+)`", allowed)) for room, allowed in rows}
    assert table == {room: ALLOWED[room] for room in ("nn", "catalogs", "reports", "pipeline")}


def _guide_entry(text: str) -> str | None:
    """`[split] key` -> "split.key", `[data]` -> "data"; prose about inputs -> None."""
    match = re.fullmatch(r"`\[(\w+)\](?: (\w+))?`", text.strip())
    return None if match is None else ".".join(part for part in match.groups() if part)


def test_the_pipeline_guide_lists_what_each_stage_key_declares():
    guide = (ROOT / "docs" / "guide" / "pipeline.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| (\w+) \| (.+) \|$", _section(guide, "Resuming and recomputing"), re.MULTILINE))
    for stage in STAGES:
        listed = [_guide_entry(part) for part in rows[stage.name].split(", ")]
        assert tuple(entry for entry in listed if entry) == stage.config
        assert ("catalog files" in rows[stage.name]) == (CATALOGS in stage.inputs)
        assert ("`[data] labels` catalog" in rows[stage.name]) == (LABELS in stage.inputs)
