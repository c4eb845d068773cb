"""Training a Network: epochs of minibatches reshuffled from a seeded generator, learning-rate schedules and
the stopping criteria (maximum epochs, gradient norm, parameter step, validation patience, divergence)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from astromlp.nn.kernels.training import add_penalty, run_epoch
from astromlp.nn.losses import LOSS_CODES
from astromlp.nn.network import Network
from astromlp.nn.optimizers import Optimizer
from astromlp.nn.schedules import Constant
from astromlp.nn.threads import kernel_threads
from astromlp.nn.workspace import make_workspace


@dataclass
class TrainConfig:
    """How to train: batch size, epochs, optimizer and schedule, penalties and stopping tolerances."""

    optimizer: Optimizer
    schedule: object | None = None  # an object with rate(epoch, loss); constant learning rate when None
    batch_size: int = 256
    max_epochs: int = 200
    l1: float = 0.0
    l2: float = 0.0
    tol: float = 1e-4  # minimum relative improvement of the monitored loss that resets patience
    patience: int = 10
    grad_tol: float = 0.0  # stop when the epoch's mean gradient norm falls to this
    step_tol: float = 0.0  # stop when the epoch's mean parameter step falls to this
    shuffle: bool = True
    n_threads: int | None = None


@dataclass
class TrainResult:
    """What happened: losses per epoch, why training stopped, and whether it diverged."""

    loss_curve: list[float] = field(default_factory=list)
    validation_loss_curve: list[float] = field(default_factory=list)
    epochs: int = 0
    stop_reason: str = "max_epochs"
    diverged: bool = False
    diverged_epoch: int | None = None
    best_epoch: int = 0
    seconds: float = 0.0

    @property
    def final_train_loss(self) -> float:
        return self.loss_curve[-1] if self.loss_curve else math.nan

    @property
    def final_validation_loss(self) -> float:
        return self.validation_loss_curve[self.best_epoch] if self.validation_loss_curve else math.nan


def evaluate_loss(net: Network, X: np.ndarray, Y: np.ndarray, w: np.ndarray, l1: float = 0.0,
                  l2: float = 0.0) -> float:
    """Weighted mean loss in evaluation mode (no dropout, running batch-norm statistics) plus penalty."""
    from astromlp.nn.kernels.network import loss_chunk

    z = net.forward(X)
    dz = np.empty_like(z)
    total = loss_chunk(LOSS_CODES[net.loss], z, np.ascontiguousarray(Y, net.dtype).reshape(z.shape),
                       np.ascontiguousarray(w, net.dtype), 1.0, dz)
    pen = add_penalty(net.theta, np.zeros_like(net.theta), net.layout.weight_mask, l1, l2)
    return float(total / w.sum() + pen)


class _Buffers:
    """Everything one epoch kernel call needs, allocated once per fit."""

    def __init__(self, net: Network, batch: int, n_targets: int):
        dtype = net.dtype
        self.ws = make_workspace(net.layout, batch, net.chunk, dtype)
        self.x = np.zeros(batch * net.layout.n_inputs, dtype)
        self.y = np.zeros(batch * n_targets, dtype)
        self.w = np.zeros(batch, dtype)
        self.grad = np.zeros(net.layout.n_params, dtype)
        self.out = np.zeros(4, np.float64)


def train(net: Network, X: np.ndarray, Y: np.ndarray, w: np.ndarray, config: TrainConfig, seed: int,
          validation: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
          on_epoch: Callable[[int, float, float], None] | None = None) -> TrainResult:
    """Train ``net`` in place. With ``validation`` the best-validation weights are restored at the end."""
    started = time.perf_counter()
    X = np.ascontiguousarray(X, net.dtype)
    Y = np.ascontiguousarray(Y, net.dtype).reshape(X.shape[0], -1)
    w = np.ascontiguousarray(w, net.dtype)
    if validation is not None:
        Xv, Yv, wv = validation
        validation = (Xv, np.ascontiguousarray(Yv, net.dtype).reshape(len(Xv), -1), wv)
    opt = config.optimizer
    if opt.state is None or opt.state.shape[1] != net.theta.size:
        opt.reset(net.theta.size, net.dtype)
    result = TrainResult()
    best = _Snapshot(net)
    with kernel_threads(config.n_threads):
        _epochs(net, (X, Y, w), config, seed, validation, on_epoch, result, best)
    if validation is not None or result.diverged:
        best.restore(net)
        result.best_epoch = best.epoch
    else:
        result.best_epoch = max(result.epochs - 1, 0)
    result.seconds = time.perf_counter() - started
    return result


def _epochs(net, data, config, seed, validation, on_epoch, result: TrainResult, best: _Snapshot) -> None:
    """The epoch loop: one kernel call per epoch, then the monitored loss and the stopping criteria."""
    X, Y, w = data
    rng = np.random.default_rng(seed)
    opt = config.optimizer
    schedule = config.schedule or Constant(opt.learning_rate)
    batch = max(1, min(config.batch_size, X.shape[0]))
    buf = _Buffers(net, batch, Y.shape[1])
    fl = net.layout.flayout.astype(net.dtype)
    monitored = last = math.inf
    wait = 0
    for epoch in range(config.max_epochs):
        perm = rng.permutation(X.shape[0]) if config.shuffle else np.arange(X.shape[0])
        run_epoch(net.layout.ilayout, fl, net.theta, net.running_mean, net.running_var, X, Y, w, perm,
                  batch, net.chunk, LOSS_CODES[net.loss], buf.ws, buf.x, buf.y, buf.w, buf.grad,
                  opt.code, opt.state, opt.hyper, schedule.rate(epoch, last), opt.t, net.layout.weight_mask,
                  config.l1, config.l2, seed, epoch * 1_000_003, buf.out)
        opt.t += int(buf.out[3])
        train_loss, gnorm, snorm = buf.out[0], buf.out[1], buf.out[2]
        current = train_loss
        if validation is not None and math.isfinite(train_loss):
            current = evaluate_loss(net, *validation, l1=config.l1, l2=config.l2)
        if not math.isfinite(current) or not np.isfinite(net.theta).all():
            result.diverged, result.diverged_epoch, result.stop_reason = True, epoch, "diverged"
            return
        result.loss_curve.append(float(train_loss))
        if validation is not None:
            result.validation_loss_curve.append(current)
        result.epochs = epoch + 1
        if on_epoch is not None:
            on_epoch(epoch, float(train_loss), current)
        last = current
        if not math.isfinite(monitored) or current < monitored - config.tol * abs(monitored):
            monitored, wait = current, 0
            best.take(net, epoch)
        else:
            wait += 1
        reason = _stop_reason(config, wait, gnorm, snorm, validation is not None)
        if reason:
            result.stop_reason = reason
            return


def _stop_reason(config: TrainConfig, wait: int, gnorm: float, snorm: float, validating: bool) -> str | None:
    if wait >= config.patience:
        return "early_stopping" if validating else "training_loss_plateau"
    if gnorm <= config.grad_tol:
        return "gradient_norm"
    if snorm <= config.step_tol:
        return "parameter_step"
    return None


class _Snapshot:
    """A copy of the parameters and running statistics at the best epoch so far."""

    def __init__(self, net: Network):
        self.take(net, 0)

    def take(self, net: Network, epoch: int) -> None:
        self.theta = net.theta.copy()
        self.rm, self.rv = net.running_mean.copy(), net.running_var.copy()
        self.epoch = epoch

    def restore(self, net: Network) -> None:
        net.theta[:] = self.theta
        net.running_mean[:] = self.rm
        net.running_var[:] = self.rv
