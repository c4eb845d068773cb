"""astromlp.files.atomic_directory: a directory output appears whole or not at all, and replaces only its own kind."""

import pytest

from astromlp.errors import AstromlpError
from astromlp.files import atomic_directory


def _is_catalog(path):
    return (path / "properties").is_file()


def _write_catalog(folder, rows):
    (folder / "dataset").mkdir()
    (folder / "dataset" / "part.txt").write_text(rows)
    (folder / "properties").write_text("kind=catalog\n")


def _tree(folder):
    return {str(p.relative_to(folder)): p.read_text() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_directory_appears_complete_and_nothing_else_is_left(tmp_path):
    out = tmp_path / "catalog"
    with atomic_directory(out) as temporary:
        assert temporary.parent == tmp_path and temporary.is_dir() and not out.exists()
        _write_catalog(temporary, "1,2,3")
    assert _tree(out) == {"dataset/part.txt": "1,2,3", "properties": "kind=catalog\n"}
    assert [p.name for p in tmp_path.iterdir()] == ["catalog"]


def test_an_error_removes_the_temporary_and_keeps_the_previous_output(tmp_path):
    out = tmp_path / "catalog"
    out.mkdir()
    _write_catalog(out, "old")
    with pytest.raises(RuntimeError, match="disk"), atomic_directory(out, replaceable=_is_catalog) as temporary:
        _write_catalog(temporary, "new, half written")
        raise RuntimeError("disk gone")
    assert _tree(out) == {"dataset/part.txt": "old", "properties": "kind=catalog\n"}
    assert [p.name for p in tmp_path.iterdir()] == ["catalog"]


def test_a_previous_output_of_the_same_kind_is_replaced_whole(tmp_path):
    out = tmp_path / "catalog"
    out.mkdir()
    _write_catalog(out, "old")
    (out / "dataset" / "stale.txt").write_text("from the old catalog")
    with atomic_directory(out, replaceable=_is_catalog) as temporary:
        _write_catalog(temporary, "new")
    assert _tree(out) == {"dataset/part.txt": "new", "properties": "kind=catalog\n"}
    assert [p.name for p in tmp_path.iterdir()] == ["catalog"]


@pytest.mark.parametrize(("existing", "options", "message"), [
    ("folder", {"replaceable": _is_catalog, "kind": "a catalog"}, "already exists and is not a catalog; remove it"),
    ("folder", {}, "already exists and is not an output of this writer"),
    ("file", {"replaceable": _is_catalog}, "already exists and is not an output"),
    ("catalog", {"replaceable": _is_catalog, "overwrite": False}, "already exists; remove it or allow overwriting"),
])
def test_what_the_writer_did_not_make_is_never_replaced(tmp_path, existing, options, message):
    out = tmp_path / "out"
    if existing == "file":
        out.write_text("a user's notes")
    else:
        out.mkdir()
        (out / "notes.txt").write_text("a user's notes")
        if existing == "catalog":
            _write_catalog(out, "old")
    before = _tree(out) if out.is_dir() else out.read_text()
    with pytest.raises(AstromlpError, match=message), atomic_directory(out, **options) as temporary:
        _write_catalog(temporary, "new")
    assert (_tree(out) if out.is_dir() else out.read_text()) == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_something_appearing_at_the_target_meanwhile_is_kept(tmp_path):
    out = tmp_path / "catalog"
    with pytest.raises(AstromlpError, match="already exists and is not a catalog"), \
            atomic_directory(out, replaceable=_is_catalog, kind="a catalog") as temporary:
        _write_catalog(temporary, "new")
        out.mkdir()
        (out / "notes.txt").write_text("written by someone else")
    assert _tree(out) == {"notes.txt": "written by someone else"}
    assert [p.name for p in tmp_path.iterdir()] == ["catalog"]


def test_a_missing_parent_directory_is_one_line(tmp_path):
    with pytest.raises(AstromlpError, match="does not exist; create it first"), \
            atomic_directory(tmp_path / "missing" / "catalog"):
        pass
    assert list(tmp_path.iterdir()) == []
