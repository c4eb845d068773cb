"""Model files without pickle: one zip holding ``model.json`` and the arrays as ``.npy`` files.

Loading never runs code from the file: JSON is parsed as data and arrays are read with
``allow_pickle=False``, checked against the architecture the JSON declares before they are used.
"""

from __future__ import annotations

import io
import json
import platform
import zipfile
from dataclasses import asdict
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

from astromlp.errors import AstromlpError
from astromlp.files import atomic_path
from astromlp.jsonable import to_jsonable
from astromlp.nn.layers import LayerSpec, build_layout
from astromlp.nn.network import Network

FORMAT = "astromlp-model"
FORMAT_VERSION = 1
_ARRAYS = ("theta", "running_mean", "running_var")


def _versions() -> dict:
    found = {"python": platform.python_version()}
    for name in ("astromlp", "numpy", "numba", "scikit-learn"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def save(estimator, path, metadata: dict | None = None) -> Path:
    """Write a fitted estimator to ``path`` atomically (a temporary file in the same folder, then renamed)."""
    path = Path(path)
    nets = estimator.networks_
    doc = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "estimator": type(estimator).__name__,
        "params": {k: to_jsonable(v) for k, v in estimator.get_params().items()},
        "n_features_in": int(estimator.n_features_in_),
        "feature_names_in": to_jsonable(getattr(estimator, "feature_names_in_", None)),
        "classes": to_jsonable(getattr(estimator, "classes_", None)),
        "y_ndim": getattr(estimator, "_y_ndim", None),
        "networks": [{"n_inputs": n.layout.n_inputs, "loss": n.loss, "chunk": n.chunk, "dtype": n.dtype.name,
                      "layers": [asdict(s) for s in n.layout.layers]} for n in nets],
        "training": {"best_start": estimator.best_start_, "starts": estimator.starts_,
                     "n_iter": estimator.n_iter_},
        "metadata": metadata or {},
        "versions": _versions(),
    }
    try:
        text = json.dumps(doc, indent=1, allow_nan=True)
    except TypeError as exc:
        raise AstromlpError(f"cannot save {path.name}: metadata is not JSON-serialisable ({exc})") from exc
    with atomic_path(path) as temporary, zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("model.json", text)
        for k, net in enumerate(nets):
            for name in _ARRAYS:
                buf = io.BytesIO()
                np.save(buf, getattr(net, name), allow_pickle=False)
                zf.writestr(f"{name}_{k}.npy", buf.getvalue())
    return path


def load(path):
    """Read a model file written by ``save``; every problem is one AstromlpError naming the file."""
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise AstromlpError(f"model file {path} does not exist (or is a directory); give the path of a .zip "
                            "written by model.save")
    try:
        with zipfile.ZipFile(path) as zf:
            doc = _read_document(zf, name)
            nets = [_read_network(zf, name, k, spec) for k, spec in enumerate(doc["networks"])]
    except zipfile.BadZipFile as exc:
        raise AstromlpError(f"{name} is not an astromlp model file (not a readable zip: {exc}); "
                            "was it truncated or written by another program?") from exc
    return _rebuild_estimator(doc, nets, name)


def _read_document(zf: zipfile.ZipFile, name: str) -> dict:
    try:
        doc = json.loads(zf.read("model.json"))
    except KeyError:
        raise AstromlpError(f"{name} is not an astromlp model file (no model.json inside)") from None
    except (ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise AstromlpError(f"{name}: model.json is damaged ({exc}); save the model again") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise AstromlpError(f"{name} is not an astromlp model file (model.json has no format '{FORMAT}')")
    found = doc.get("format_version")
    if not isinstance(found, int) or found > FORMAT_VERSION:
        raise AstromlpError(f"{name} has model format version {found!r}, newer than this astromlp reads "
                            f"({FORMAT_VERSION}); upgrade astromlp")
    if doc.get("estimator") not in ("MLPClassifier", "MLPRegressor") or not doc.get("networks"):
        raise AstromlpError(f"{name}: model.json names no estimator or no network; the file is damaged")
    return doc


def _read_network(zf: zipfile.ZipFile, name: str, k: int, spec: dict) -> Network:
    try:
        layers = [LayerSpec(**layer) for layer in spec["layers"]]
        layout = build_layout(int(spec["n_inputs"]), layers)
        dtype = np.dtype(spec["dtype"])
    except (KeyError, TypeError, ValueError) as exc:
        raise AstromlpError(f"{name}: the architecture of network {k} in model.json is damaged ({exc})") from exc
    if dtype not in (np.float32, np.float64):
        raise AstromlpError(f"{name}: network {k} declares dtype {dtype}, expected float32 or float64")
    expected = {"theta": layout.n_params, "running_mean": max(layout.n_stats, 1),
                "running_var": max(layout.n_stats, 1)}
    arrays = {}
    for array_name, size in expected.items():
        member = f"{array_name}_{k}.npy"
        try:
            data = zf.read(member)
        except KeyError:
            raise AstromlpError(f"{name}: array {member} is missing; the file is incomplete") from None
        except (zipfile.BadZipFile, EOFError, OSError) as exc:
            raise AstromlpError(f"{name}: array {member} is damaged ({exc})") from exc
        try:
            arr = np.load(io.BytesIO(data), allow_pickle=False)
        except ValueError as exc:
            raise AstromlpError(f"{name}: array {member} is not a plain numeric array ({exc}); "
                                "object arrays are refused") from exc
        if arr.dtype != dtype or arr.shape != (size,):
            raise AstromlpError(f"{name}: array {member} has shape {arr.shape} and dtype {arr.dtype}, "
                                f"expected ({size},) {dtype}; the file does not match its architecture")
        arrays[array_name] = np.ascontiguousarray(arr)
    return Network(layout, arrays["theta"], arrays["running_mean"], arrays["running_var"], spec["loss"],
                   int(spec.get("chunk", 128)))


def _rebuild_estimator(doc: dict, nets: list[Network], name: str):
    from astromlp.nn.estimators import MLPClassifier, MLPRegressor

    cls = MLPClassifier if doc["estimator"] == "MLPClassifier" else MLPRegressor
    params = {k: tuple(v) if k == "hidden_layer_sizes" and isinstance(v, list) else v
              for k, v in doc.get("params", {}).items()}
    try:
        est = cls(**params)
    except TypeError as exc:
        raise AstromlpError(f"{name}: hyperparameters in model.json are not understood ({exc})") from exc
    est.networks_ = nets
    est.n_features_in_ = int(doc["n_features_in"])
    if doc.get("feature_names_in") is not None:
        est.feature_names_in_ = np.asarray(doc["feature_names_in"], dtype=object)
    if cls is MLPClassifier:
        est.classes_ = np.asarray(doc["classes"])
    else:
        est._y_ndim = doc.get("y_ndim") or 1
    training = doc.get("training", {})
    est.best_start_ = training.get("best_start", 0)
    est.starts_ = training.get("starts", [])
    est.n_iter_ = training.get("n_iter", 0)
    chosen = est.starts_[est.best_start_] if est.starts_ else {}
    est.loss_curve_ = chosen.get("loss_curve", [])
    est.validation_loss_curve_ = chosen.get("validation_loss_curve", [])
    est.metadata_ = doc.get("metadata", {})
    est.versions_ = doc.get("versions", {})
    return est
