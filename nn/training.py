"""Training a Network: epochs of minibatches reshuffled from the seed and the epoch, learning-rate schedules and
the stopping criteria (maximum epochs, gradient norm, parameter step, validation patience, divergence)."""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from astromlp.nn.compiling import prepare
from astromlp.nn.diagnostics import UnitCounter, epoch_diagnostics
from astromlp.nn.kernels.interface import Epoch, Scratch, Start, Update
from astromlp.nn.kernels.network import loss_chunk
from astromlp.nn.kernels.shuffle import permute
from astromlp.nn.kernels.training import add_penalty, run_epoch, run_epoch_many
from astromlp.nn.losses import LOSS_CODES
from astromlp.nn.network import Network
from astromlp.nn.optimizers import Optimizer
from astromlp.nn.schedules import Constant
from astromlp.nn.table_rows import NETWORK_ROWS, update_subset
from astromlp.nn.threads import kernel_threads
from astromlp.nn.workspace import make_workspace, stacked


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
    rollbacks: list[int] = field(default_factory=list)  # epochs whose loss spike sent training back to the best
    best_epoch: int = 0
    seconds: float = 0.0
    diagnostics: list[list[dict]] = field(default_factory=list)  # per epoch, per layer (with validation rows)

    @property
    def final_train_loss(self) -> float:
        return self.loss_curve[-1] if self.loss_curve else math.nan

    @property
    def final_validation_loss(self) -> float:
        return self.validation_loss_curve[self.best_epoch] if self.validation_loss_curve else math.nan


def evaluate_loss(net: Network, X: np.ndarray, Y: np.ndarray, w: np.ndarray, l1: float = 0.0,
                  l2: float = 0.0, on_block=None) -> float:
    """Weighted mean loss in evaluation mode (no dropout, running batch-norm statistics) plus penalty;
    ``on_block`` as in ``Network.forward``."""
    z = net.forward(X, on_block=on_block)
    dz = np.empty_like(z)
    Y = np.ascontiguousarray(Y, net.dtype).reshape(z.shape)
    total = loss_chunk(NETWORK_ROWS[net.row_subset()], LOSS_CODES[net.loss], z, Y, np.ascontiguousarray(w, net.dtype),
                       1.0, dz)
    pen = add_penalty(net.theta, np.zeros_like(net.theta), net.layout.weight_mask, l1, l2, 0, net.theta.size)
    return float(total / w.sum() + pen)


#: An epoch's minibatches take dropout steps epoch * STEPS_PER_EPOCH + batch, so that no two minibatches of a fit
#: share a dropout mask while an epoch has fewer batches than this (a prime over a million). Part of the masks'
#: definition: changing it changes every dropout mask, and so every trained network.
STEPS_PER_EPOCH = 1_000_003

#: An epoch whose monitored loss exceeds this multiple of the best so far is a loss spike, an instability of a
#: too-large step: training goes back to the best epoch's weights, with fresh optimizer moments and half the
#: learning rate. An order of magnitude, set when only the failed fit (19-fold) and nine others (at most 4.3-fold)
#: were measured; of all 50 default photo-z fits of benchmarks/quality_selection.md (round 12) the others rose
#: at most 9.6-fold (one fit; the next 6.6), the SDSS and HTRU2 classifiers at most 1.3-fold.
SPIKE_FACTOR = 10.0


class _Buffers:
    """The epoch kernel's workspace and minibatch buffers, allocated once per fit; with ``starts`` > 1 every
    array gets a leading start axis for ``run_epoch_many``."""

    def __init__(self, net: Network, batch: int, n_targets: int, starts: int = 1):
        dtype = net.dtype
        ws = make_workspace(net.layout, batch, net.chunk, dtype)
        scratch = Scratch(np.zeros(batch * net.layout.n_inputs, dtype), np.zeros(batch * n_targets, dtype),
                          np.zeros(batch, dtype), np.zeros(net.layout.n_params, dtype))
        self.ws, self.scratch = (stacked(ws, starts), stacked(scratch, starts)) if starts > 1 else (ws, scratch)
        self.out = np.zeros(((starts,) if starts > 1 else ()) + (4,), np.float64)


class _Start:
    """One network's progress through the epochs: its optimizer, schedule, shuffling and stopping state."""

    def __init__(self, net: Network, config: TrainConfig, seed: int, optimizer):
        self.net, self.config, self.seed, self.opt = net, config, seed, optimizer
        self.schedule = copy.deepcopy(config.schedule) if config.schedule else Constant(optimizer.learning_rate)
        self.result = TrainResult()
        self.best = _Snapshot(net)
        self.monitored = self.last = math.inf
        self.wait = 0
        self.rate_scale = 1.0  # halved by every rollback after a loss spike
        self.active = True

    def begin(self, epoch: int, n_rows: int) -> tuple[np.ndarray, float]:
        """The epoch's row order (a shuffle drawn from the start's seed and the epoch) and learning rate."""
        perm = np.empty(n_rows, np.int64)
        permute(perm, self.seed, epoch)
        return perm, self.schedule.rate(epoch, self.last) * self.rate_scale

    def end(self, epoch: int, out: np.ndarray, validation, on_epoch) -> None:
        """Record the epoch, then stop on divergence or on any criterion of the config."""
        self.opt.t += int(out[3])
        train_loss, gnorm, snorm = out[0], out[1], out[2]
        current = train_loss
        result = self.result
        if validation is not None and math.isfinite(train_loss):
            counter = UnitCounter(self.net.layout)
            current = evaluate_loss(self.net, *validation, l1=self.config.l1, l2=self.config.l2, on_block=counter)
            if math.isfinite(current):
                result.diagnostics.append(epoch_diagnostics(self.net, counter, validation))
        if not math.isfinite(current) or not np.isfinite(self.net.theta).all():
            result.diverged, result.diverged_epoch, result.stop_reason = True, epoch, "diverged"
            self.active = False
            return
        result.loss_curve.append(float(train_loss))
        if validation is not None:
            result.validation_loss_curve.append(current)
        result.epochs = epoch + 1
        if on_epoch is not None:
            on_epoch(epoch, float(train_loss), current)
        self.last = current
        if math.isfinite(self.monitored) and current > SPIKE_FACTOR * self.monitored > 0:
            self._roll_back(epoch)
        elif not math.isfinite(self.monitored) or current < self.monitored - self.config.tol * abs(self.monitored):
            self.monitored, self.wait = current, 0
            self.best.take(self.net, epoch)
        else:
            self.wait += 1
        reason = _stop_reason(self.config, self.wait, gnorm, snorm, validation is not None)
        if reason:
            result.stop_reason, self.active = reason, False

    def _roll_back(self, epoch: int) -> None:
        """After a loss spike: the best epoch's weights, zeroed optimizer moments (the spike's gradients fill
        them), half the learning rate; patience keeps counting from the best epoch."""
        self.best.restore(self.net)
        self.opt.state[...] = 0
        self.opt.t = 0
        self.rate_scale *= 0.5
        self.last = self.monitored
        self.wait += 1
        self.result.rollbacks.append(epoch)

    def close(self, validating: bool, started: float) -> TrainResult:
        result = self.result
        if validating or result.diverged:
            self.best.restore(self.net)
            result.best_epoch = self.best.epoch
        else:
            result.best_epoch = max(result.epochs - 1, 0)
        result.seconds = time.perf_counter() - started
        return result


def train(net: Network, X: np.ndarray, Y: np.ndarray, w: np.ndarray, config: TrainConfig, seed: int,
          validation: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
          on_epoch: Callable[[int, int, float, float], None] | None = None) -> TrainResult:
    """Train ``net`` in place, its minibatch chunks in parallel; ``config.optimizer`` keeps its moments (so
    a later call continues). With ``validation`` the best-validation weights are restored at the end."""
    return train_many([net], X, Y, w, config, [seed], validation, on_epoch)[0]


def train_many(nets: list[Network], X: np.ndarray, Y: np.ndarray, w: np.ndarray, config: TrainConfig,
               seeds: list[int], validation=None, on_epoch=None) -> list[TrainResult]:
    """Train networks of one architecture side by side, one per thread (multi-start). Network k ends
    bit-identical to ``train(nets[k], ..., seeds[k])``: the same kernels, run without inner threads.
    ``on_epoch(k, epoch, train_loss, monitored_loss)`` is called after each epoch of each network k."""
    started = time.perf_counter()
    net0 = nets[0]
    X = np.ascontiguousarray(X, net0.dtype)
    Y = np.ascontiguousarray(Y, net0.dtype).reshape(X.shape[0], -1)
    w = np.ascontiguousarray(w, net0.dtype)
    if validation is not None:
        Xv, Yv, wv = validation
        validation = (Xv, np.ascontiguousarray(Yv, net0.dtype).reshape(len(Xv), -1), wv)
    prepare(net0.dtype, many=len(nets) > 1, subsets=(net0.row_subset(), update_subset(config.optimizer.rule)))
    starts, stack = _make_starts(nets, config, seeds)
    batch = max(1, min(config.batch_size, X.shape[0]))
    buf = _Buffers(net0, batch, Y.shape[1], len(nets))
    with kernel_threads(config.n_threads):
        for epoch in range(config.max_epochs):
            if not any(s.active for s in starts):
                break
            _run_epoch(starts, stack, epoch, (X, Y, w), batch, buf)
            for k, s in enumerate(starts):
                if s.active:
                    report = None if on_epoch is None else partial(on_epoch, k)
                    s.end(epoch, buf.out[k] if len(starts) > 1 else buf.out, validation, report)
    return [s.close(validation is not None, started) for s in starts]


def _make_starts(nets, config, seeds) -> tuple[list[_Start], tuple | None]:
    """One _Start per network; several networks share stacked (starts, n) arrays, each keeping a view of its
    row, so the kernel and the networks see the same memory."""
    if len(nets) == 1:
        opt = config.optimizer
        if opt.state is None or opt.state.shape[1] != nets[0].theta.size:
            opt.reset(nets[0].theta.size, nets[0].dtype)
        return [_Start(nets[0], config, seeds[0], opt)], None
    stack = tuple(np.stack([getattr(n, a) for n in nets]) for a in ("theta", "running_mean", "running_var"))
    states = np.zeros((len(nets), 3, nets[0].theta.size), nets[0].dtype)
    starts = []
    for k, net in enumerate(nets):
        net.theta, net.running_mean, net.running_var = stack[0][k], stack[1][k], stack[2][k]
        opt = copy.deepcopy(config.optimizer)
        opt.state, opt.t = states[k], 0
        starts.append(_Start(net, config, seeds[k], opt))
    return starts, (*stack, states)


def _run_epoch(starts: list[_Start], stack, epoch: int, data, batch: int, buf: _Buffers) -> None:
    """One epoch of every active start: ``run_epoch`` for a lone start (its kernels use every thread),
    ``run_epoch_many`` for several (one start per thread), with the same records."""
    net, cfg = starts[0].net, starts[0].config
    opt = starts[0].opt
    plans = [s.begin(epoch, data[0].shape[0]) if s.active else (np.arange(data[0].shape[0]), 0.0) for s in starts]
    shared = (net.kernel_layout(), Epoch(*data, batch, net.chunk, LOSS_CODES[net.loss], epoch * STEPS_PER_EPOCH),
              Update(opt.code, float(cfg.l1), float(cfg.l2), net.layout.weight_mask, opt.rows), opt.hyper)
    if len(starts) == 1:
        s = starts[0]
        # Python numbers as the types the stacked records hold, so that 0 and 0.0 never compile twice
        state = Start(net.theta, net.running_mean, net.running_var, s.opt.state, int(s.opt.t), float(plans[0][1]),
                      plans[0][0], int(s.seed), True, buf.out)
    else:
        thetas, rms, rvs, states = stack
        state = Start(thetas, rms, rvs, states, np.array([s.opt.t for s in starts]),
                      np.array([p[1] for p in plans]), np.stack([p[0] for p in plans]),
                      np.array([s.seed for s in starts], dtype=np.int64), np.array([s.active for s in starts]),
                      buf.out)
    (run_epoch if len(starts) == 1 else run_epoch_many)(*shared, state, buf.ws, buf.scratch)


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
