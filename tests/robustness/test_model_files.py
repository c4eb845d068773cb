"""Model files as untrusted input: hostile files (one per class of attack) are refused with one line naming the
file and key or member, and randomly mutated files either load and predict exactly like the original or are
refused with AstromlpError. The mutation search runs in a child process, so a crash fails the test."""

from __future__ import annotations

import io
import json
import math
import struct
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from astromlp.errors import AstromlpError
from astromlp.nn import MLPClassifier, load
from astromlp.nn.footprint import layout_counts
from astromlp.nn.layers import LayerSpec

ROOT = Path(__file__).resolve().parents[2]
MUTATED_FILES = 300  # examples the property test tries in the suite
FEATURES = ["u_g", "g_r", "r_i", "i_z"]


def training_data(n: int = 300):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(n, 4)), columns=FEATURES)
    y = np.where(X.u_g + X.g_r > 0.5, "QSO", np.where(X.r_i > 0, "STAR", "GALAXY"))
    return X, y


def write_model(path: Path) -> Path:
    """A two-network ensemble with batch norm and pipeline-like metadata: every part of the format in use."""
    X, y = training_data()
    clf = MLPClassifier(hidden_layer_sizes=(6, 5), batch_norm=True, n_starts=2, start_selection="ensemble",
                        random_state=3, max_epochs=4)
    metadata = {"features": [[f, f] for f in FEATURES],
                "normaliser": {"method": "standard", "center": [0.0] * 4, "scale": [1.0] * 4}}
    return clf.fit(X, y).save(path, metadata=metadata)


def rows() -> np.ndarray:
    return training_data(64)[0].to_numpy()


def probabilities(model) -> np.ndarray:
    with warnings.catch_warnings():  # fitted on a DataFrame, asked with an array: same columns
        warnings.simplefilter("ignore", UserWarning)
        return model.predict_proba(rows())


# ---- building hostile files ----------------------------------------------------------------------------

def members_of(path: Path) -> tuple[dict, dict[str, bytes]]:
    with zipfile.ZipFile(path) as zf:
        members = {info.filename: zf.read(info) for info in zf.infolist()}
    return json.loads(members.pop("model.json")), members


def write_zip(path: Path, entries: list[tuple[str, bytes]], compression=zipfile.ZIP_DEFLATED) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Duplicate name" is the point of some cases
        with zipfile.ZipFile(path, "w", compression) as zf:
            for member, data in entries:
                zf.writestr(member, data)
    return path


def rebuilt(path: Path, doc: dict, members: dict[str, bytes], extra: list[tuple[str, bytes]] = ()) -> Path:
    return write_zip(path, [("model.json", json.dumps(doc).encode()), *members.items(), *extra])


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def npy_header(shape: tuple, descr: str = "<f8") -> bytes:
    """A .npy header alone, declaring any shape (its data never follows)."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def resized_arrays(doc: dict, members: dict[str, bytes]) -> None:
    """Every network's arrays sized to match its layout as the document now declares it."""
    for k, net in enumerate(doc["networks"]):
        counts = layout_counts(net["n_inputs"], [LayerSpec(**layer) for layer in net["layers"]])
        members[f"theta_{k}.npy"] = npy(np.full(max(counts.n_params, 1), 0.1))
        for name in ("running_mean", "running_var"):
            members[f"{name}_{k}.npy"] = npy(np.ones(max(counts.n_stats, 1)))


def lie_about_size(path: Path, member: str, size: int) -> Path:
    """Rewrite the uncompressed size that the local and central headers declare for ``member``."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(member)
    struct.pack_into("<I", data, info.header_offset + 22, size)  # local header: uncompressed size
    entry = struct.unpack_from("<I", data, data.rfind(b"PK\x05\x06") + 16)[0]  # start of the central directory
    while data[entry:entry + 4] == b"PK\x01\x02":
        name_length, extra, comment = struct.unpack_from("<HHH", data, entry + 28)
        if data[entry + 46:entry + 46 + name_length] == member.encode():
            struct.pack_into("<I", data, entry + 24, size)
        entry += 46 + name_length + extra + comment
    path.write_bytes(bytes(data))
    return path


def json_edit(edit):
    def make(good: Path, out: Path) -> Path:
        doc, members = members_of(good)
        edit(doc, members)
        return rebuilt(out, doc, members)
    return make


def layer(doc: dict, **values) -> None:
    doc["networks"][0]["layers"][0].update(values)


def bomb(good: Path, out: Path) -> Path:
    """theta_0.npy replaced by 64 MiB of zeros, which deflate to about 64 KiB."""
    doc, members = members_of(good)
    members["theta_0.npy"] = npy(np.zeros(2**23))
    return rebuilt(out, doc, members)


def lying_bomb(good: Path, out: Path) -> Path:
    """The same bomb, its headers declaring the honest size of theta_0.npy."""
    honest = len(members_of(good)[1]["theta_0.npy"])
    return lie_about_size(bomb(good, out), "theta_0.npy", honest)


def duplicated(member: str):
    def make(good: Path, out: Path) -> Path:
        doc, members = members_of(good)
        first = json.dumps(doc).encode() if member == "model.json" else members[member]
        return rebuilt(out, doc, members, [(member, first)])
    return make


def with_members(change):
    def make(good: Path, out: Path) -> Path:
        doc, members = members_of(good)
        change(members)
        return rebuilt(out, doc, members)
    return make


def raw_json(text_change):
    def make(good: Path, out: Path) -> Path:
        doc, members = members_of(good)
        return write_zip(out, [("model.json", text_change(json.dumps(doc)).encode()), *members.items()])
    return make


def truncated_array(members: dict[str, bytes]) -> None:
    members["theta_0.npy"] = members["theta_0.npy"][:-8]


HOSTILE = {
    # sizes that reached the kernels: zero or negative units / pieces / inputs, theta sized to match
    "zero units": (json_edit(lambda d, m: (layer(d, units=0), resized_arrays(d, m))), r"layers\[0\]\.units"),
    "negative units": (json_edit(lambda d, m: (layer(d, units=-3), resized_arrays(d, m))), r"layers\[0\]\.units"),
    "zero pieces": (json_edit(lambda d, m: (layer(d, pieces=0), resized_arrays(d, m))), r"layers\[0\]\.pieces"),
    "zero inputs": (json_edit(lambda d, m: d.update(n_features_in=0)), "n_features_in"),
    "negative inputs": (json_edit(lambda d, m: (d["networks"][0].update(n_inputs=-1), resized_arrays(d, m))),
                        r"networks\[0\]\.n_inputs"),
    "zero chunk": (json_edit(lambda d, m: d["networks"][1].update(chunk=0)), r"networks\[1\]\.chunk"),
    # files that loaded and gave garbage with exit 0
    "inputs disagree with the features": (
        json_edit(lambda d, m: (d["networks"][0].update(n_inputs=3), resized_arrays(d, m))),
        r"networks\[0\]\.n_inputs must be 4"),
    "normaliser shorter than the features": (
        json_edit(lambda d, m: d["metadata"]["normaliser"].update(center=[0.0] * 3)), r"metadata\.normaliser\.center"),
    "more outputs than classes": (
        json_edit(lambda d, m: ([n["layers"][-1].update(units=4) for n in d["networks"]], resized_arrays(d, m))),
        "network 0 has layers of 6-5-4 units where the hyperparameters and classes imply layers of 6-5-3 units"),
    "NaN weights": (with_members(lambda m: m.update({"theta_1.npy": npy(np.full(
        np.load(io.BytesIO(m["theta_1.npy"])).size, np.nan))})), r"theta_1\.npy holds NaN"),
    "negative running variance": (with_members(lambda m: m.update({"running_var_0.npy": npy(
        -1 - np.load(io.BytesIO(m["running_var_0.npy"])))})), r"running_var_0\.npy holds NaN, infinite or negative"),
    # unbounded inflation
    "deflate bomb": (bomb, r"theta_0\.npy declares \d+ bytes"),
    "deflate bomb with lying headers": (lying_bomb, r"theta_0\.npy (is damaged|inflates beyond|has shape)"),
    "header claiming 10**13 elements": (with_members(lambda m: m.update({"theta_0.npy": npy_header((10**13,))})),
                                        r"theta_0\.npy has shape \(10000000000000,\)"),
    "layout claiming 10**13 parameters": (json_edit(lambda d, m: layer(d, units=2**27)), "parameters in all"),
    # member lists
    "two model.json members": (duplicated("model.json"), "model.json appears 2 times"),
    "two theta members": (duplicated("theta_0.npy"), "theta_0.npy appears 2 times"),
    "extra member": (with_members(lambda m: m.update({"notes.txt": b"hello"})), "unexpected member 'notes.txt'"),
    "arrays of an undeclared network": (json_edit(lambda d, m: d.update(networks=d["networks"][:1])),
                                        "unexpected member"),
    # edited fields: wrong types, missing keys, out-of-range indices, NaN and Infinity tokens
    "units as a string": (json_edit(lambda d, m: layer(d, units="6")), r"layers\[0\]\.units must be an integer"),
    "units as true": (json_edit(lambda d, m: layer(d, units=True)), r"layers\[0\]\.units"),
    "missing layer key": (json_edit(lambda d, m: d["networks"][0]["layers"][0].pop("alpha")), "missing.*alpha"),
    "missing networks": (json_edit(lambda d, m: d.pop("networks")), "missing.*networks"),
    "networks not a list": (json_edit(lambda d, m: d.update(networks={"0": 1})), "networks must be a list"),
    "best start out of range": (json_edit(lambda d, m: d["training"].update(best_start=7)), "best_start"),
    "huge chunk": (json_edit(lambda d, m: d["networks"][0].update(chunk=10**30)), "chunk"),
    "unknown activation": (json_edit(lambda d, m: layer(d, activation="__import__")), "activation must be one of"),
    "NaN token in a layer": (raw_json(lambda t: t.replace('"bn_eps": 1e-05', '"bn_eps": NaN', 1)), "bn_eps"),
    "Infinity token in metadata": (raw_json(lambda t: t.replace('"scale": [1.0', '"scale": [Infinity', 1)),
                                   r"metadata\.normaliser\.scale\[0\] must be a finite number"),
    "unsorted classes": (json_edit(lambda d, m: d.update(classes=["STAR", "QSO", "GALAXY"])), "classes"),
    "mixed classes": (json_edit(lambda d, m: d.update(classes=["GALAXY", 1, "STAR"])), "classes"),
    "regression loss in a classifier": (json_edit(lambda d, m: d["params"].update(loss="huber")),
                                        "regression loss"),
    "unknown hyperparameter": (json_edit(lambda d, m: d["params"].update(colour="red")), "colour"),
    "hyperparameter out of range": (json_edit(lambda d, m: d["params"].update(dtype="float16")), "dtype"),
    "deeply nested metadata": (raw_json(lambda t: t.replace('"metadata": {', '"metadata": {"x": ' + "[" * 100_000
                                                                      + "]" * 100_000 + ",", 1)),
                               "model.json is damaged"),
    "huge integer literal": (raw_json(lambda t: t.replace('"n_iter": ', '"n_iter": ' + "9" * 5000 + ", \"x\": ", 1)),
                             "model.json is damaged"),
    # messages that misled
    "float format version": (json_edit(lambda d, m: d.update(format_version=1.0)),
                             "format_version must be a positive integer, got 1.0"),
    "truncated array": (with_members(truncated_array), r"theta_0\.npy holds \d+ bytes of data .* truncated"),
    "object array": (with_members(lambda m: m.update({"theta_0.npy": npy(np.array([{}], dtype=object))})),
                     "object arrays are refused"),
}


@pytest.fixture(scope="module")
def good_model(tmp_path_factory) -> Path:
    return write_model(tmp_path_factory.mktemp("model") / "good.zip")


def test_the_valid_model_loads_and_predicts_like_the_fitted_one(good_model):
    loaded = load(good_model)
    assert len(loaded.networks_) == 2 and probabilities(loaded).shape == (64, 3)
    assert np.array_equal(probabilities(loaded), probabilities(load(good_model)))


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_model_files_are_refused_with_one_line(tmp_path, good_model, case):
    make, pattern = HOSTILE[case]
    bad = make(good_model, tmp_path / "bad.zip")
    with pytest.raises(AstromlpError, match=pattern) as info:
        load(bad)
    message = str(info.value)
    assert "\n" not in message and "bad.zip" in message
    assert "newer" not in message or case != "float format version"


# ---- the mutation property test -------------------------------------------------------------------------

HOSTILE_VALUES = [None, True, False, -1, 0, 2**31, 2**63, -(10**30), 10**30, -0.5, 1e308, math.nan, math.inf,
                  -math.inf, "", "x", "1", [], [1], {}, {"a": 1}]


def json_paths(value, path=()) -> list[tuple]:
    """Every key path of the document, the first two entries of each list standing for the rest."""
    out = [path]
    items = value.items() if isinstance(value, dict) else enumerate(value[:2]) if isinstance(value, list) else ()
    for key, item in items:
        out += json_paths(item, (*path, key))
    return out


def edit_document(doc: dict, path: tuple, action: str, value) -> None:
    if not path:
        return
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if action == "delete":
        del parent[path[-1]]
    elif action == "add" and isinstance(parent, dict):
        parent["zz_unknown"] = value
    else:
        parent[path[-1]] = value


ZIP_MUTATIONS = ("duplicate", "drop", "extra", "truncate", "flip", "huge_shape", "wrong_dtype", "lying_size")


def mutate_zip(good: Path, out: Path, kind: str, position: int) -> Path:
    doc, members = members_of(good)
    names = sorted(members)
    member = names[position % len(names)]
    if kind == "duplicate":
        return rebuilt(out, doc, members, [(member, members[member])])
    if kind == "drop":
        del members[member]
    elif kind == "extra":
        return rebuilt(out, doc, members, [(f"{member}.bak", b"x")])
    elif kind == "huge_shape":
        members[member] = npy_header((10**(6 + position % 10),))
    elif kind == "wrong_dtype":
        members[member] = npy(np.load(io.BytesIO(members[member])).astype(np.float32))
    rebuilt(out, doc, members)
    data = out.read_bytes()
    if kind == "truncate":
        out.write_bytes(data[:position % len(data)])
    elif kind == "flip":
        index = position % len(data)
        out.write_bytes(data[:index] + bytes([data[index] ^ (1 << position % 8)]) + data[index + 1:])
    elif kind == "lying_size":
        lie_about_size(out, member, (position * 7919) % 2**32)
    return out


def match_arrays(doc: dict, members: dict[str, bytes]) -> None:
    """Arrays resized to the layout the edited document declares, where that layout is countable and small, as an
    attacker would to pass the shape checks (e.g. zero units with theta sized to match); unchanged sizes keep
    their values, so an edit that changes nothing still predicts the same."""
    for k, net in enumerate(doc.get("networks") or []):
        try:
            counts = layout_counts(net["n_inputs"], [LayerSpec(**layer) for layer in net["layers"]])
            sizes = {"theta": max(counts.n_params, 1), "running_mean": max(counts.n_stats, 1),
                     "running_var": max(counts.n_stats, 1)}
        except Exception:  # a mutated layout that cannot even be counted: leave the arrays as they are
            continue
        for array, size in sizes.items():
            member = f"{array}_{k}.npy"
            if member in members and 0 < size <= 10**6 and np.load(io.BytesIO(members[member])).size != size:
                members[member] = npy(np.full(size, 0.5))


def check_mutation(good: Path, out: Path, reference: np.ndarray, mutation) -> None:
    """The property: the mutated file loads and predicts exactly like the original, or is refused."""
    if mutation[0] == "zip":
        mutate_zip(good, out, mutation[1], mutation[2])
    else:
        doc, members = members_of(good)
        paths = json_paths(doc)
        action, index, value, resize = mutation
        edit_document(doc, paths[index % len(paths)], action, value)
        if resize:
            match_arrays(doc, members)
        write_zip(out, [("model.json", json.dumps(doc).encode()), *members.items()])
    try:
        model = load(out)
    except AstromlpError as exc:
        assert "\n" not in str(exc) and out.name in str(exc)
        return
    assert np.array_equal(probabilities(model), reference)


mutations = st.one_of(
    st.tuples(st.sampled_from(["set", "delete", "add"]), st.integers(0, 10**6), st.sampled_from(HOSTILE_VALUES),
              st.booleans()),
    st.tuples(st.just("zip"), st.sampled_from(ZIP_MUTATIONS), st.integers(0, 10**6)))


def run_property(good: str, workdir: str) -> None:
    """Entry point of the child process: the hypothesis search over mutations of the model at ``good``."""
    good_path, out = Path(good), Path(workdir) / "mutated.zip"
    reference = probabilities(load(good_path))
    tried = []

    @settings(max_examples=MUTATED_FILES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(mutations)
    def search(mutation):
        tried.append(mutation)
        check_mutation(good_path, out, reference, mutation)

    search()
    print(f"mutated files tried: {len(tried)}")


@pytest.mark.slow
def test_mutated_model_files_load_identically_or_are_refused(tmp_path, good_model):
    """In a child process: an abort or segfault there is a failure here, with its signal."""
    code = "import sys; from tests.robustness.test_model_files import run_property; run_property(*sys.argv[1:])"
    child = subprocess.run([sys.executable, "-c", code, str(good_model), str(tmp_path)], cwd=ROOT,
                           capture_output=True, text=True, timeout=1800)
    assert child.returncode == 0, f"child exited with {child.returncode}:\n{child.stdout[-3000:]}{child.stderr[-3000:]}"
    assert f"mutated files tried: {MUTATED_FILES}" in child.stdout
