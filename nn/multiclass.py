"""One-vs-rest and one-vs-one classifiers: scikit-learn's own meta-estimators around astromlp's binary network,
their class scores, and their fitted state as plain data (the model file stores it without pickle).

OvR's probabilities are scikit-learn's (each member's sigmoid, normalised over the classes). OvO has no
probabilities in scikit-learn; its scores here follow its decision-function convention: pairwise votes plus the
summed confidences squashed into (-1/3, 1/3), shifted by 1/3 and divided by their row sum, so they are positive,
sum to one and rank the classes as the votes do, but are not calibrated probabilities.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import sklearn
from sklearn.multiclass import OneVsOneClassifier, OneVsRestClassifier
from sklearn.preprocessing import LabelBinarizer

from astromlp.errors import AstromlpError

#: [model] multi_class -> the scikit-learn meta-estimator (None: one softmax network).
STRATEGIES: dict[str, type | None] = {"softmax": None, "ovr": OneVsRestClassifier, "ovo": OneVsOneClassifier}
#: The state's name of each meta-estimator.
STRATEGY_OF = {cls: name for name, cls in STRATEGIES.items() if cls is not None}
#: What the report says about each strategy's scores.
SCORE_NOTES = {
    "softmax": "",
    "ovr": "one-vs-rest: one sigmoid network per class (scikit-learn's OneVsRestClassifier); its probabilities "
           "are the members' normalised over the classes",
    "ovo": "one-vs-one: one network per pair of classes (scikit-learn's OneVsOneClassifier); its 'probabilities' "
           "are scikit-learn's decision function (votes plus confidences in ±1/3), shifted by 1/3 and normalised "
           "to sum to one: they rank the classes as the votes do but are not calibrated probabilities",
}


def strategy_of(model) -> str:
    """The multi-class strategy of a fitted classifier: softmax, ovr or ovo."""
    return STRATEGY_OF.get(type(model), "softmax")


def wrap(strategy: str, estimator):
    """`estimator` inside the meta-estimator of `strategy` (itself for softmax)."""
    meta = STRATEGIES[strategy]
    return estimator if meta is None else meta(estimator)


def fit_multiclass(model, X, y, sample_weight=None):
    """Fit a meta-estimator, routing per-row weights to every member (scikit-learn's metadata routing)."""
    if sample_weight is None:
        return model.fit(X, y)
    with sklearn.config_context(enable_metadata_routing=True):
        model.estimator.set_fit_request(sample_weight=True)
        try:
            return model.fit(X, y, sample_weight=sample_weight)
        finally:
            model.estimator.set_fit_request(sample_weight=None)


def class_scores(model, X) -> np.ndarray:
    """Per-class scores in `model.classes_` order: probabilities (softmax, OvR) or OvO's normalised votes."""
    if not isinstance(model, OneVsOneClassifier):
        return model.predict_proba(X)
    if len(model.classes_) == 2:  # one pair: its network's own probability
        return model.estimators_[0].predict_proba(X)
    shifted = model.decision_function(X) + 1 / 3
    return shifted / shifted.sum(axis=1, keepdims=True)


def member_count(strategy: str, n_classes: int) -> int:
    """How many binary members a strategy fits for `n_classes` (OvR fits one for two classes)."""
    if strategy == "ovr":
        return 1 if n_classes == 2 else n_classes
    return n_classes * (n_classes - 1) // 2


def pairs(strategy: str, n_classes: int) -> list[list[int]]:
    """The class indices each member separates: [positive] for OvR, [negative, positive] for OvO."""
    if strategy == "ovr":
        return [[1]] if n_classes == 2 else [[k] for k in range(n_classes)]
    return [list(pair) for pair in combinations(range(n_classes), 2)]


def meta_state(model) -> dict:
    """What the meta-estimator adds to its members: the strategy, the classes and each member's class pair."""
    strategy, classes = strategy_of(model), model.classes_.tolist()
    return {"strategy": strategy, "classes": classes, "pairs": pairs(strategy, len(classes))}


def rebuild(meta: dict, members: list, estimator, name: str):
    """The meta-estimator of `meta` around fitted `members`, checked against it (count, class pairs)."""
    strategy, classes = meta["strategy"], np.asarray(meta["classes"])
    expected = member_count(strategy, len(classes))
    if len(members) != expected or meta["pairs"] != pairs(strategy, len(classes)):
        raise AstromlpError(f"{name}: model.json multiclass declares {len(members)} members with pairs "
                            f"{meta['pairs'][:4]} where {strategy} of {len(classes)} classes has {expected}; the "
                            "file was edited or damaged: save the model again")
    for k, member in enumerate(members):
        if member.classes_.tolist() != [0, 1]:
            raise AstromlpError(f"{name}: model.json member {k} has classes {member.classes_.tolist()}, expected "
                                "[0, 1] (a binary member); save the model again")
    model = wrap(strategy, estimator)
    model.estimators_, model.classes_ = list(members), classes
    model.n_features_in_ = members[0].n_features_in_
    if hasattr(members[0], "feature_names_in_"):
        model.feature_names_in_ = members[0].feature_names_in_
    if strategy == "ovr":
        model.label_binarizer_ = LabelBinarizer(sparse_output=True).fit(classes)
    else:
        model.pairwise_indices_ = None
    return model
