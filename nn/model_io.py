"""Model files without pickle: one zip holding ``model.json`` and the arrays as ``.npy`` files.

Loading treats the file as untrusted: JSON is parsed as data and checked whole against the schema
(``model_schema``), the member list must be exact, every member's size is bounded by the declared layout before
it is inflated (``model_members``), and arrays must be finite. The estimator's fitted state goes through its
``_fitted_state`` / ``_from_state`` pair, so this module knows the file, not the estimator's internals.
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
from astromlp.nn.layers import build_layout
from astromlp.nn.model_members import (
    ARRAYS,
    DOCUMENT,
    READ_ERRORS,
    array_member,
    check_member_list,
    check_unique,
    read_array,
    read_document,
)
from astromlp.nn.model_schema import FORMAT, FORMAT_VERSION, SchemaError, check_document, first_non_finite
from astromlp.nn.multiclass import meta_state, rebuild, strategy_of
from astromlp.nn.network import Network

__all__ = ["FORMAT", "FORMAT_VERSION", "load", "save"]
#: Which values each array may hold, and how the refused ones are named.
_VALUES = {"theta": (np.isfinite, "NaN or infinite"), "running_mean": (np.isfinite, "NaN or infinite"),
           "running_var": (lambda v: np.isfinite(v) & (v >= 0), "NaN, infinite or negative")}


def _versions() -> dict:
    found = {"python": platform.python_version()}
    for name in ("astromlp", "numpy", "numba", "scikit-learn"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def _network_entry(net: Network) -> dict:
    return {"n_inputs": net.layout.n_inputs, "loss": net.loss, "chunk": net.chunk, "dtype": net.dtype.name,
            "layers": [asdict(s) for s in net.layout.layers]}


def _params(estimator) -> dict:
    """The hyperparameters as JSON values; a numpy dtype (``dtype=np.float32``) as its name."""
    params = {k: to_jsonable(v) for k, v in estimator.get_params().items()}
    params["dtype"] = np.dtype(params["dtype"]).name
    return params


def _state(estimator) -> tuple[dict, object]:
    """The fitted state to write and the estimator whose hyperparameters it records. A one-vs-rest / one-vs-one
    classifier is its members' networks in order, the first member's history at the top (the schema's), and
    per member its share of the networks, classes, history and calibration."""
    if strategy_of(estimator) == "softmax":
        return estimator._fitted_state(), estimator
    members = [member._fitted_state() for member in estimator.estimators_]
    meta = meta_state(estimator)
    state = {**members[0], "classes": meta["classes"], "networks": [n for m in members for n in m["networks"]],
             "multiclass": {"strategy": meta["strategy"], "pairs": meta["pairs"],
                            "members": [{"networks": len(m["networks"]), "classes": m["classes"],
                                         "training": m["training"], "calibration": m.get("calibration")}
                                        for m in members]}}
    state.pop("calibration", None)
    return state, estimator.estimators_[0]


def save(estimator, path, metadata: dict | None = None) -> Path:
    """Write a fitted estimator to ``path`` atomically (a temporary file in the same folder, then renamed);
    scikit-learn's OneVsRestClassifier / OneVsOneClassifier around MLPClassifier too."""
    path = Path(path)
    state, member = _state(estimator)
    nets = state.pop("networks")
    metadata = metadata or {}
    doc = {"format": FORMAT, "format_version": FORMAT_VERSION, "estimator": type(member).__name__,
           "params": _params(member), **state,
           "networks": [_network_entry(n) for n in nets], "metadata": metadata, "versions": _versions()}
    try:
        text = json.dumps(doc, indent=1, allow_nan=True)  # the training history may hold NaN (a diverged start)
    except (TypeError, ValueError) as exc:
        raise AstromlpError(f"cannot save {path.name}: metadata is not JSON-serialisable ({exc})") from exc
    found = first_non_finite(metadata, "metadata")
    if found:
        raise AstromlpError(f"cannot save {path.name}: {found[0]} is {found[1]}; model files refuse non-finite "
                            "metadata, so replace it (e.g. by null)")
    with atomic_path(path) as temporary, zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(DOCUMENT, text)
        for k, net in enumerate(nets):
            for name in ARRAYS:
                buf = io.BytesIO()
                np.save(buf, getattr(net, name), allow_pickle=False)
                zf.writestr(array_member(name, k), buf.getvalue())
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
            check_unique(zf, name)
            doc = read_document(zf, name)
            networks = check_document(doc, name)
            check_member_list(zf, name, len(networks))
            nets = [_read_network(zf, name, k, specs, entry) for k, (specs, entry) in enumerate(networks)]
    except READ_ERRORS as exc:
        if isinstance(exc, AstromlpError):
            raise
        raise AstromlpError(f"{name} is not an astromlp model file (not a readable zip: {exc}); "
                            "was it truncated or written by another program?") from exc
    return _rebuild_estimator(doc, nets, name)


def _read_network(zf: zipfile.ZipFile, name: str, k: int, specs, entry: dict) -> Network:
    layout = build_layout(entry["n_inputs"], specs)
    dtype = np.dtype(entry["dtype"])
    n_stats = max(layout.n_stats, 1)
    arrays = {array: read_array(zf, name, array_member(array, k), dtype, size)
              for array, size in zip(ARRAYS, (layout.n_params, n_stats, n_stats), strict=True)}
    for array, values in arrays.items():
        acceptable, refused = _VALUES[array]
        if not acceptable(values).all():
            raise AstromlpError(f"{name}: array {array_member(array, k)} holds {refused} values; the model is "
                                "unusable: train and save it again")
    return Network(layout, arrays["theta"], arrays["running_mean"], arrays["running_var"], entry["loss"],
                   entry["chunk"])


def _rebuild_estimator(doc: dict, nets: list[Network], name: str):
    from astromlp.nn.density_estimator import MLPDensity
    from astromlp.nn.estimators import MLPClassifier, MLPRegressor

    cls = {"MLPClassifier": MLPClassifier, "MLPRegressor": MLPRegressor, "MLPDensity": MLPDensity}[doc["estimator"]]
    params = {k: tuple(v) if k == "hidden_layer_sizes" and isinstance(v, list) else v
              for k, v in doc["params"].items()}
    state = {**{key: doc[key] for key in ("n_features_in", "feature_names_in", "classes", "y_ndim", "training")},
             "calibration": doc.get("calibration"),
             **({"bin_edges": doc["bin_edges"]} if "bin_edges" in doc else {}),
             "networks": nets}
    try:
        est = cls(**params)
        est._validate_params()  # scikit-learn's own checks of every hyperparameter (no public equivalent)
        est = _members(doc, state, cls, params, name) if "multiclass" in doc else est._from_state(state)
    except SchemaError:
        raise
    except (TypeError, ValueError, OverflowError) as exc:  # AstromlpError, scikit-learn's InvalidParameterError
        raise AstromlpError(f"{name}: the hyperparameters in model.json do not fit its networks or are not "
                            f"understood ({' '.join(str(exc).split())}); save the model again") from exc
    est.metadata_ = doc["metadata"]
    est.versions_ = doc["versions"]
    return est


def _members(doc: dict, state: dict, cls: type, params: dict, name: str):
    """A one-vs-rest / one-vs-one classifier: each member rebuilt from its share of the networks."""
    meta, members, start = doc["multiclass"], [], 0
    for entry in meta["members"]:
        networks = state["networks"][start:start + entry["networks"]]
        member_state = {**state, "classes": entry["classes"], "training": entry["training"],
                        "calibration": entry["calibration"], "networks": networks}
        members.append(cls(**params)._from_state(member_state))
        start += entry["networks"]
    return rebuild({**meta, "classes": doc["classes"]}, members, cls(**params), name)
