"""Each optimizer's first two updates against values worked out from its published rule."""

import math

import numpy as np
import pytest

from astromlp.nn.optimizers import OPTIMIZERS, SGD, AdaGrad, Adam, AdamW, AMSGrad, Momentum, Nesterov, RMSProp
from astromlp.nn.schedules import Constant, Exponential, InverseTime, ReduceOnPlateau, Step

THETA0 = [1.0, -2.0]
G1 = [0.5, -1.0]
G2 = [0.2, 0.4]
LR = 0.1


def _two_steps(opt, mask=None):
    theta = np.array(THETA0)
    opt.update(theta, np.array(G1), weight_mask=mask)
    first = theta.copy()
    opt.update(theta, np.array(G2), weight_mask=mask)
    return first, theta


def test_sgd():
    first, second = _two_steps(SGD(LR))
    np.testing.assert_allclose(first, [1.0 - 0.05, -2.0 + 0.1], rtol=0, atol=1e-15)
    np.testing.assert_allclose(second, [0.95 - 0.02, -1.9 - 0.04], rtol=0, atol=1e-15)


def test_momentum():
    # v1 = -lr g1 = [-0.05, 0.1]; v2 = 0.9 v1 - lr g2 = [-0.065, 0.05]
    first, second = _two_steps(Momentum(LR, momentum=0.9))
    np.testing.assert_allclose(first, [0.95, -1.9], atol=1e-15)
    np.testing.assert_allclose(second, [0.95 - 0.065, -1.9 + 0.05], atol=1e-15)


def test_nesterov():
    # step = mu v_t - lr g_t: step1 = 0.9*[-0.05, 0.1] - [0.05, -0.1] = [-0.095, 0.19]
    # v2 = [-0.065, 0.05]; step2 = 0.9*v2 - [0.02, 0.04] = [-0.0785, 0.005]
    first, second = _two_steps(Nesterov(LR, momentum=0.9))
    np.testing.assert_allclose(first, [1.0 - 0.095, -2.0 + 0.19], atol=1e-15)
    np.testing.assert_allclose(second, [0.905 - 0.0785, -1.81 + 0.005], atol=1e-15)


def test_adagrad():
    eps = 1e-8
    first, second = _two_steps(AdaGrad(LR, eps=eps))
    expected1 = [1.0 - 0.1 * 0.5 / (0.5 + eps), -2.0 + 0.1 * 1.0 / (1.0 + eps)]
    np.testing.assert_allclose(first, expected1, atol=1e-15)
    expected2 = [expected1[0] - 0.1 * 0.2 / (math.sqrt(0.25 + 0.04) + eps),
                 expected1[1] - 0.1 * 0.4 / (math.sqrt(1.0 + 0.16) + eps)]
    np.testing.assert_allclose(second, expected2, atol=1e-15)


def test_rmsprop():
    eps = 1e-8
    first, second = _two_steps(RMSProp(LR, eps=eps))  # rho defaults to 0.9
    s1 = [0.1 * 0.25, 0.1 * 1.0]
    expected1 = [1.0 - 0.1 * 0.5 / (math.sqrt(s1[0]) + eps), -2.0 + 0.1 * 1.0 / (math.sqrt(s1[1]) + eps)]
    np.testing.assert_allclose(first, expected1, atol=1e-14)
    s2 = [0.9 * s1[0] + 0.1 * 0.04, 0.9 * s1[1] + 0.1 * 0.16]
    expected2 = [expected1[0] - 0.1 * 0.2 / (math.sqrt(s2[0]) + eps),
                 expected1[1] - 0.1 * 0.4 / (math.sqrt(s2[1]) + eps)]
    np.testing.assert_allclose(second, expected2, atol=1e-14)


def _adam_reference(amsgrad=False, decay=0.0):
    b1, b2, eps = 0.9, 0.999, 1e-8
    theta = np.array(THETA0)
    m = np.zeros(2)
    v = np.zeros(2)
    vmax = np.zeros(2)
    out = []
    for t, g in enumerate((np.array(G1), np.array(G2)), start=1):
        theta = theta - LR * decay * theta
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        vmax = np.maximum(vmax, v)
        vhat = (vmax if amsgrad else v) / (1 - b2**t)
        theta = theta - LR * (m / (1 - b1**t)) / (np.sqrt(vhat) + eps)
        out.append(theta.copy())
    return out


def test_adam_first_step_is_lr_times_sign():
    # with bias correction the first Adam step is lr * g / |g| (up to eps): a classic hand check
    first, _ = _two_steps(Adam(LR))
    np.testing.assert_allclose(first, [1.0 - 0.1, -2.0 + 0.1], atol=1e-8)


@pytest.mark.parametrize("cls,kw,ref", [(Adam, {}, {}), (AMSGrad, {}, {"amsgrad": True}),
                                        (AdamW, {"weight_decay": 0.01}, {"decay": 0.01})])
def test_adam_family(cls, kw, ref):
    first, second = _two_steps(cls(LR, **kw))
    expected = _adam_reference(**ref)
    np.testing.assert_allclose(first, expected[0], atol=1e-14)
    np.testing.assert_allclose(second, expected[1], atol=1e-14)


def test_amsgrad_differs_from_adam_when_gradients_shrink():
    opt_a, opt_m = Adam(LR), AMSGrad(LR)
    ta, tm = np.array([1.0]), np.array([1.0])
    for g in (10.0, 0.1, 0.1):
        opt_a.update(ta, np.array([g]))
        opt_m.update(tm, np.array([g]))
    assert tm[0] > ta[0]  # the remembered large v keeps AMSGrad's later steps smaller


def test_adamw_decays_weights_only():
    theta = np.array([1.0, 1.0])
    AdamW(LR, weight_decay=0.5).update(theta, np.array([0.0, 0.0]), weight_mask=np.array([True, False]))
    np.testing.assert_allclose(theta, [1.0 - 0.1 * 0.5, 1.0])


def test_every_optimizer_is_in_the_table():
    assert set(OPTIMIZERS) == {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "amsgrad", "adamw"}


def test_schedules():
    assert Constant(0.1).rate(50, 1.0) == 0.1
    assert [Step(0.1, 10, 0.5).rate(e, 0) for e in (0, 9, 10, 25)] == [0.1, 0.1, 0.05, 0.025]
    assert Exponential(0.1, 0.5).rate(2, 0) == pytest.approx(0.1 * math.exp(-1.0))
    assert InverseTime(0.1, 0.5).rate(2, 0) == pytest.approx(0.05)
    plateau = ReduceOnPlateau(0.1, factor=0.5, patience=2)
    rates = [plateau.rate(e, loss) for e, loss in enumerate([math.inf, 1.0, 0.5, 0.5, 0.5, 0.5, 0.4])]
    assert rates == [0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05]


def test_l1_is_a_proximal_step_that_lands_on_zero():
    """Soft thresholding by lr * l1 after the SGD step: [0.03, -0.5, 0.2] - 0 with lr 0.1, l1 0.5 moves each weight
    0.05 towards zero, stopping at exactly 0; the unmasked bias is left alone."""
    theta = np.array([0.03, -0.5, 0.2, 0.03])
    SGD(LR).update(theta, np.zeros(4), weight_mask=np.array([True, True, True, False]), l1=0.5)
    assert theta.tolist() == [0.0, -0.45, 0.15000000000000002, 0.03]
    zero = np.array([0.0])
    for g in (0.3, -0.4, 0.49):  # a gradient below l1 never moves a zero weight off zero
        SGD(LR).update(zero, np.array([g]), weight_mask=np.array([True]), l1=0.5)
        assert zero[0] == 0.0


def test_l1_threshold_is_the_adaptive_per_parameter_step():
    """Adam's first step: rate = lr / (1 - b1) / (|g| + eps) = 1 / 0.5 per unit of m = 0.05, so the step is -0.1
    and the threshold l1 * rate = 0.05 * 2 = 0.1: 0.15 -> 0.05 -> 0 exactly (masked), 0.05 (unmasked)."""
    theta = np.array([0.15, 0.15])
    Adam(LR).update(theta, np.array([0.5, 0.5]), weight_mask=np.array([True, False]), l1=0.05)
    assert theta[0] == 0.0
    assert theta[1] == pytest.approx(0.05, abs=1e-7)  # eps = 1e-8 in the rate


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_l1_zero_changes_nothing(name):
    """l1 = 0 gives the rule's own steps bit for bit (the threshold clips by 0)."""
    theta = np.array(THETA0)
    opt = OPTIMIZERS[name](LR)
    for g in (G1, G2):
        opt.update(theta, np.array(g), l1=0.0)
    assert theta.tolist() == _two_steps(OPTIMIZERS[name](LR))[1].tolist()
