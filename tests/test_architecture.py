"""The import contract between rooms (docs/architecture.md): arrows point one way, and the foundation
(``astromlp``, ``astromlp.errors``, ``astromlp.files``, ``astromlp.jsonable``) imports no room."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {"foundation": "astromlp", "nn": "astromlp.nn", "catalogs": "astromlp.catalogs",
           "reports": "astromlp.reports", "pipeline": "astromlp.pipeline"}
ROOMS = ("nn", "catalogs", "reports", "pipeline")
#: which other rooms each room may import; every room may import the foundation.
ALLOWED = {"foundation": set(), "nn": set(), "catalogs": set(), "reports": {"nn"},
           "pipeline": {"nn", "catalogs", "reports"}}


def imported_modules(path: Path, package: str) -> set[str]:
    """Every absolute module name `path` imports, relative imports resolved against `package`."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module) if part)
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def room_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "astromlp":
        return None
    return parts[1] if len(parts) > 1 and parts[1] in ROOMS else "foundation"


def violations(root: Path, folder: str) -> list[str]:
    """`folder`'s imports of rooms that ALLOWED does not give it, as "file imports module" lines."""
    broken = []
    for path in sorted((root / folder).rglob("*.py")):
        relative = path.relative_to(root / folder).with_suffix("")
        package = ".".join([FOLDERS[folder], *relative.parts[:-1]])
        for module in sorted(imported_modules(path, package)):
            room = room_of(module)
            if room not in (None, "foundation", folder) and room not in ALLOWED[folder]:
                broken.append(f"{path.relative_to(root)} imports {module}")
            elif folder == "foundation" and room in ROOMS:
                broken.append(f"{path.relative_to(root)} imports {module}")
    return broken


@pytest.mark.parametrize("folder", list(FOLDERS))
def test_a_room_imports_only_what_the_contract_allows(folder):
    broken = violations(ROOT, folder)
    assert not broken, "imports against docs/architecture.md:\n" + "\n".join(broken)


def test_the_contract_catches_forbidden_imports(tmp_path):
    (tmp_path / "nn" / "kernels").mkdir(parents=True)
    (tmp_path / "nn" / "kernels" / "bad.py").write_text("import numpy\nfrom ...pipeline.config import Config\n")
    (tmp_path / "catalogs").mkdir()
    (tmp_path / "catalogs" / "bad.py").write_text("from astromlp.errors import AstromlpError\nimport astromlp.nn\n")
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "fine.py").write_text("from astromlp.nn import load\nfrom . import metrics\n")
    (tmp_path / "foundation").mkdir()
    (tmp_path / "foundation" / "bad.py").write_text("from astromlp.reports import metrics\n")
    assert violations(tmp_path, "nn") == ["nn/kernels/bad.py imports astromlp.pipeline.config",
                                          "nn/kernels/bad.py imports astromlp.pipeline.config.Config"]
    assert violations(tmp_path, "catalogs") == ["catalogs/bad.py imports astromlp.nn"]
    assert violations(tmp_path, "reports") == []
    assert violations(tmp_path, "foundation") == ["foundation/bad.py imports astromlp.reports",
                                                  "foundation/bad.py imports astromlp.reports.metrics"]
