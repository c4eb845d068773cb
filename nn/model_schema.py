"""The schema of ``model.json``: every key's type and range, the sizes the layout implies and the agreements
between keys, checked before any array is read. Each problem is one AstromlpError naming the file and key."""

from __future__ import annotations

import math
from collections.abc import Callable

from astromlp.errors import AstromlpError
from astromlp.nn.activations import ACTIVATION_CODES
from astromlp.nn.footprint import layout_counts
from astromlp.nn.layers import LayerSpec
from astromlp.nn.losses import LOSS_CODES

FORMAT = "astromlp-model"
FORMAT_VERSION = 1
ESTIMATORS = ("MLPClassifier", "MLPRegressor", "MLPDensity")
DTYPES = ("float32", "float64")
#: Bounds far above any real model and far below what would exhaust memory: a file declaring more is refused
#: before anything is allocated (2**28 parameters are 2 GiB in float64).
MAX_PARAMS = 2**28
MAX_FEATURES = 2**20
MAX_LAYERS = 1024
MAX_NETWORKS = 1024
MAX_PIECES = 1024
MAX_CHUNK = 2**20
#: Metadata lists that the pipeline stores one entry per input feature (``pipeline.runner.model_metadata``).
PER_FEATURE_METADATA = (("features",), ("normaliser", "center"), ("normaliser", "scale"))

Check = Callable[[object], str | None]  # None when the value is acceptable, else what was expected


def _integer(lo: int, hi: int) -> Check:
    def check(value):
        if type(value) is not int or not lo <= value <= hi:
            return f"an integer in [{lo}, {hi}]"
    return check


def _number(lo: float, hi: float, *, lo_open: bool = False, hi_open: bool = False) -> Check:
    def check(value):
        if type(value) not in (int, float) or not math.isfinite(value):
            return f"a finite number in {'(' if lo_open else '['}{lo}, {hi}{')' if hi_open else ']'}"
        if value < lo or value > hi or (lo_open and value == lo) or (hi_open and value == hi):
            return f"a number in {'(' if lo_open else '['}{lo}, {hi}{')' if hi_open else ']'}"
    return check


def _one_of(choices) -> Check:
    def check(value):
        if not isinstance(value, str) or value not in choices:
            return f"one of {sorted(choices)}"
    return check


def _of_type(kind: type, label: str) -> Check:
    def check(value):
        if type(value) is not kind:
            return label
    return check


def _optional(check: Check) -> Check:
    return lambda value: None if value is None else check(value)


LAYER: dict[str, Check] = {
    "units": _integer(1, MAX_PARAMS), "activation": _one_of(ACTIVATION_CODES),
    "alpha": _number(0, math.inf, hi_open=True), "pieces": _integer(1, MAX_PIECES),
    "batch_norm": _of_type(bool, "true or false"), "dropout": _number(0, 1, hi_open=True),
    "bn_momentum": _number(0, 1), "bn_eps": _number(0, 1, lo_open=True),  # a small epsilon beside the variance
}
NETWORK: dict[str, Check] = {
    "n_inputs": _integer(1, MAX_FEATURES), "loss": _one_of(LOSS_CODES), "chunk": _integer(1, MAX_CHUNK),
    "dtype": _one_of(DTYPES), "layers": _of_type(list, "a list of layers"),
}
TOP: dict[str, Check] = {
    "estimator": _one_of(ESTIMATORS), "params": _of_type(dict, "an object of hyperparameters"),
    "n_features_in": _integer(1, MAX_FEATURES), "feature_names_in": _optional(_of_type(list, "a list of names")),
    "classes": _optional(_of_type(list, "a list of class labels")), "y_ndim": _optional(_integer(1, 2)),
    "networks": _of_type(list, "a list of networks"), "training": _of_type(dict, "an object"),
    "metadata": _of_type(dict, "an object"), "versions": _of_type(dict, "an object"),
}
#: Keys only some estimators write: the density's bin edges (MLPDensity, where it is required) and the
#: classifier's calibration (files written before it lack it).
TOP_OPTIONAL: dict[str, Check] = {"bin_edges": _of_type(list, "a list of bin edges"),
                                  "calibration": _optional(_of_type(dict, "an object")),
                                  "multiclass": _of_type(dict, "an object")}
#: A one-vs-rest / one-vs-one classifier: its strategy, each member's class pair and, per member, its share of
#: ``networks`` (in order) with the member's own classes, training history and calibration.
MULTICLASS: dict[str, Check] = {"strategy": _one_of(("ovr", "ovo")), "pairs": _of_type(list, "a list of pairs"),
                                "members": _of_type(list, "a list of members")}
MEMBER: dict[str, Check] = {"networks": _integer(1, MAX_NETWORKS), "classes": _of_type(list, "[0, 1]"),
                            "training": _of_type(dict, "an object"),
                            "calibration": _optional(_of_type(dict, "an object"))}
CALIBRATION: dict[str, Check] = {"method": _one_of(("none", "temperature")), "temperature": _number(1e-2, 1e2)}
TRAINING: dict[str, Check] = {
    "best_start": _integer(0, MAX_NETWORKS - 1), "starts": _of_type(list, "a list of start records"),
    "n_iter": _integer(0, 2**62),
}
#: Keys written since the training history kept the estimator's own curves; older files lack them.
TRAINING_OPTIONAL: dict[str, Check] = {
    "loss": _optional(_of_type(float, "a number")), "loss_curve": _of_type(list, "a list of losses"),
    "validation_loss_curve": _of_type(list, "a list of losses"),
}


class SchemaError(AstromlpError):
    """A model.json that does not follow the schema; ``where`` is the key path."""


def _fail(name: str, where: str, expected: str, value) -> AstromlpError:
    shown = repr(value) if len(repr(value)) <= 40 else f"{type(value).__name__} {repr(value)[:40]}..."
    return SchemaError(f"{name}: model.json key {where} must be {expected}, got {shown}; the file was edited or "
                       "damaged: save the model again")


def _join(where: str, key) -> str:
    return key if not where else f"{where}.{key}"


def _check_table(name: str, where: str, value, table: dict[str, Check], optional: dict | None = None) -> None:
    """``value`` is an object with exactly the keys of ``table`` (and perhaps of ``optional``), each acceptable."""
    if not isinstance(value, dict):
        raise _fail(name, where, "an object", value)
    optional = optional or {}
    missing = [key for key in table if key not in value]
    unknown = [key for key in value if key not in table and key not in optional]
    if missing or unknown:
        raise _fail(name, where or "(top level)", f"an object with the keys {sorted(table)}",
                    f"missing {missing}, unknown {unknown}")
    for key, item in value.items():
        problem = (table.get(key) or optional[key])(item)
        if problem:
            raise _fail(name, _join(where, key), problem, item)


def first_non_finite(value, where: str) -> tuple[str, float] | None:
    """Key path and value of the first NaN or infinity inside nested lists and objects (iteratively: no depth
    limit)."""
    stack = [(value, where)]
    while stack:
        item, path = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return path, item
        if isinstance(item, dict):
            stack.extend((v, f"{path}.{k}") for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(item))
    return None


def check_header(doc, name: str) -> None:
    """What the file is: an astromlp model of a format version this code reads."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise AstromlpError(f"{name} is not an astromlp model file (model.json has no format '{FORMAT}')")
    found = doc.get("format_version")
    if type(found) is not int or found < 1:
        raise _fail(name, "format_version", "a positive integer", found)
    if found > FORMAT_VERSION:
        raise AstromlpError(f"{name} has model format version {found}, newer than this astromlp reads "
                            f"({FORMAT_VERSION}); upgrade astromlp")


def check_document(doc: dict, name: str) -> list[tuple[list[LayerSpec], dict]]:
    """Validate the whole document; return each network's layer specs and entry."""
    check_header(doc, name)
    _check_table(name, "", {k: v for k, v in doc.items() if k not in ("format", "format_version")}, TOP,
                 TOP_OPTIONAL)
    if doc.get("calibration") is not None:
        _check_table(name, "calibration", doc["calibration"], CALIBRATION)
    for key in (k for k in TOP if k != "training"):
        found = first_non_finite(doc[key], key)
        if found:
            raise _fail(name, found[0], "a finite number (NaN and Infinity are refused outside the training history)",
                        found[1])
    _check_training(doc["training"], name)
    _check_multiclass(doc, name)
    _check_labels(doc, name)
    _check_per_feature_metadata(doc, name)
    networks = _check_networks(doc, name)
    _check_bin_edges(doc, name)
    return networks


def _check_training(training: dict, name: str) -> None:
    _check_table(name, "training", training, TRAINING, TRAINING_OPTIONAL)
    starts = training["starts"]
    if any(not isinstance(record, dict) for record in starts):
        raise _fail(name, "training.starts", "a list of objects", starts)
    if starts and training["best_start"] >= len(starts):
        raise _fail(name, "training.best_start", f"an index below {len(starts)} (the number of starts)",
                    training["best_start"])
    for key in ("loss_curve", "validation_loss_curve"):
        if any(type(v) not in (int, float) for v in training.get(key, ())):
            raise _fail(name, f"training.{key}", "a list of numbers", training[key])


def _check_multiclass(doc: dict, name: str) -> None:
    """A one-vs-rest / one-vs-one file: a classifier's, its members binary, their networks adding up."""
    meta = doc.get("multiclass")
    if meta is None:
        return
    _check_table(name, "multiclass", meta, MULTICLASS)
    if doc["estimator"] != "MLPClassifier":
        raise _fail(name, "multiclass", f"absent for {doc['estimator']}", meta)
    members = meta["members"]
    if not 1 <= len(members) <= MAX_NETWORKS or len(meta["pairs"]) != len(members):
        raise _fail(name, "multiclass.members", f"1 to {MAX_NETWORKS} members, one per pair", members)
    for k, member in enumerate(members):
        _check_table(name, f"multiclass.members[{k}]", member, MEMBER)
        if member["classes"] != [0, 1]:
            raise _fail(name, f"multiclass.members[{k}].classes", "[0, 1] (a binary member)", member["classes"])
        _check_training(member["training"], name)
        if member["calibration"] is not None:
            _check_table(name, f"multiclass.members[{k}].calibration", member["calibration"], CALIBRATION)
    total = sum(member["networks"] for member in members)
    if total != len(doc["networks"]):
        raise _fail(name, "multiclass.members", f"networks adding up to {len(doc['networks'])} (the networks list)",
                    total)


def _check_labels(doc: dict, name: str) -> None:
    """Feature names one per input; classes (classifier only) at least two, distinct, sorted, of one kind."""
    n_features, names = doc["n_features_in"], doc["feature_names_in"]
    if names is not None and (len(names) != n_features or any(type(n) is not str for n in names)
                              or len(set(names)) != len(names)):
        raise _fail(name, "feature_names_in", f"{n_features} distinct names (n_features_in)", names)
    classes, classifier = doc["classes"], doc["estimator"] == "MLPClassifier"
    if not classifier:
        if classes is not None:
            raise _fail(name, "classes", "null for a regressor", classes)
        return
    kinds = {str if type(c) is str else float if type(c) in (int, float) else None for c in classes or [None]}
    if classes is None or len(classes) < 2 or len(kinds) != 1 or None in kinds or classes != sorted(set(classes)):
        raise _fail(name, "classes", "at least two distinct labels, all strings or all numbers, sorted", classes)
    if doc["y_ndim"] is not None:
        raise _fail(name, "y_ndim", "null for a classifier", doc["y_ndim"])


def _check_per_feature_metadata(doc: dict, name: str) -> None:
    for path in PER_FEATURE_METADATA:
        value = doc["metadata"]
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None and (not isinstance(value, list) or len(value) != doc["n_features_in"]):
            raise _fail(name, "metadata." + ".".join(path), f"a list of {doc['n_features_in']} entries, one per "
                        "input feature (n_features_in)", value)


def _check_networks(doc: dict, name: str) -> list[tuple[list[LayerSpec], dict]]:
    """Every network well-formed, of one architecture's inputs, outputs, loss and dtype, and within MAX_PARAMS."""
    networks = doc["networks"]
    if not 1 <= len(networks) <= MAX_NETWORKS:
        raise _fail(name, "networks", f"a list of 1 to {MAX_NETWORKS} networks", networks)
    out, total = [], 0
    for k, net in enumerate(networks):
        where = f"networks[{k}]"
        _check_table(name, where, net, NETWORK)
        if not 1 <= len(net["layers"]) <= MAX_LAYERS:
            raise _fail(name, f"{where}.layers", f"a list of 1 to {MAX_LAYERS} layers", net["layers"])
        for i, layer in enumerate(net["layers"]):
            _check_table(name, f"{where}.layers[{i}]", layer, LAYER)
        for key in ("n_inputs", "loss", "dtype"):
            expected = doc["n_features_in"] if key == "n_inputs" else networks[0][key]
            if net[key] != expected:
                raise _fail(name, f"{where}.{key}", f"{expected!r} like n_features_in and networks[0]", net[key])
        _check_output_layer(name, where, net["layers"][-1], networks[0]["layers"][-1]["units"])
        specs = [LayerSpec(**layer) for layer in net["layers"]]
        total += layout_counts(net["n_inputs"], specs).n_params
        if total > MAX_PARAMS:
            raise _fail(name, where, f"a layout of at most {MAX_PARAMS} parameters in all", f"{total} or more")
        out.append((specs, net))
    return out


def _check_output_layer(name: str, where: str, layer: dict, units: int) -> None:
    """The output layer is linear (the estimator applies the link) and has the output count of networks[0]."""
    plain = {"units": units, "activation": "identity", "pieces": 1, "batch_norm": False, "dropout": 0.0}
    for key, expected in plain.items():
        if layer[key] != expected:
            raise _fail(name, f"{where}.layers[-1].{key}", f"{expected!r} in the (linear) output layer", layer[key])


def _check_bin_edges(doc: dict, name: str) -> None:
    """A density's bin edges: one more than its output units, finite and strictly increasing; absent otherwise."""
    edges, density = doc.get("bin_edges"), doc["estimator"] == "MLPDensity"
    if not density:
        if edges is not None:
            raise _fail(name, "bin_edges", f"absent for {doc['estimator']}", edges)
        return
    n_edges = doc["networks"][0]["layers"][-1]["units"] + 1
    if (edges is None or len(edges) != n_edges or any(type(e) not in (int, float) or not math.isfinite(e)
                                                      for e in edges)
            or any(b <= a for a, b in zip(edges, edges[1:], strict=False))):
        raise _fail(name, "bin_edges", f"{n_edges} finite, strictly increasing numbers (one more than the output "
                    "units)", edges)
