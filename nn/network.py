"""A network: its layout, flat parameters and batch-norm running statistics, with the small Python API
(forward, loss and gradient) over the kernels that tests and the training loop use."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from astromlp.nn.activations import ACTIVATIONS
from astromlp.nn.init import DEFAULT_SIGMA, initial_parameters
from astromlp.nn.kernels.interface import Batch, Layout, Params, Pass
from astromlp.nn.kernels.network import batch_gradient, forward, reduce_chunks
from astromlp.nn.layers import CUM_COLS, LayerSpec, NetworkLayout, build_layout, network_specs
from astromlp.nn.losses import LOSS_CODES
from astromlp.nn.table_rows import NETWORK_ROWS, network_subset
from astromlp.nn.threads import kernel_threads
from astromlp.nn.workspace import make_workspace

#: Rows per chunk: the unit of parallel work and of the fixed-order reductions (results depend on it,
#: never on the number of threads).
DEFAULT_CHUNK = 128


@dataclass
class Network:
    layout: NetworkLayout
    theta: np.ndarray
    running_mean: np.ndarray
    running_var: np.ndarray
    loss: str
    chunk: int = DEFAULT_CHUNK

    @classmethod
    def create(cls, n_inputs: int, hidden: list[LayerSpec], n_outputs: int, loss: str, *,
               rng: np.random.Generator, dtype=np.float64, init: str | None = None,
               chunk: int = DEFAULT_CHUNK, init_sigma: float = DEFAULT_SIGMA, input_dropout: float = 0.0) -> Network:
        """Hidden layers as given, then a linear output layer of ``n_outputs`` units (``init_sigma``: the
        standard deviation of ``init="normal"``; ``input_dropout``: the rate at which training drops inputs)."""
        specs = network_specs(hidden, n_outputs, input_dropout)
        layout = build_layout(n_inputs, specs)
        schemes = [init or ACTIVATIONS[s.activation].init for s in hidden]
        schemes.append(init or (schemes[-1] if hidden else "glorot_uniform"))
        theta = initial_parameters(layout, schemes, rng, dtype, init_sigma)
        n = max(layout.n_stats, 1)
        return cls(layout, theta, np.zeros(n, dtype), np.ones(n, dtype), loss, chunk)

    @property
    def dtype(self):
        return self.theta.dtype

    def kernel_layout(self) -> Layout:
        """The layer tables as the kernels read them (the float table in the parameters' dtype). Always
        writeable arrays: Numba types a read-only array (a memory-mapped model, say) apart, and would compile
        every kernel again for it."""
        il = self.layout.ilayout
        return Layout(il if il.flags.writeable else il.copy(), self.layout.flayout.astype(self.dtype),
                      NETWORK_ROWS[self.row_subset()])

    def row_subset(self) -> str:
        """The table rows its kernels compile: "common" or "all" (``nn/table_rows.py``)."""
        return network_subset((spec.activation for spec in self.layout.layers), self.loss)

    def _kernel_args(self) -> tuple[Layout, Params]:
        if not (self.theta.flags.writeable and self.running_mean.flags.writeable):  # e.g. memory-mapped
            self.theta, self.running_mean, self.running_var = (
                self.theta.copy(), self.running_mean.copy(), self.running_var.copy())
        return self.kernel_layout(), Params(self.theta, self.running_mean, self.running_var)

    def forward(self, X: np.ndarray, *, training: bool = False, seed: int = 0, block: int = 8192,
                n_threads: int | None = None, on_block=None) -> np.ndarray:
        """Raw outputs (logits for classification), in blocks of ``block`` rows; evaluation mode unless
        ``training`` (dropout drawn from ``seed``, batch norm on each block's statistics, running ones kept).
        ``on_block(ws, capacity, rows)`` sees each block's workspace (e.g. ``diagnostics.UnitCounter``)."""
        X = np.ascontiguousarray(X, dtype=self.dtype)
        n = X.shape[0]
        out = np.empty((n, self.layout.n_outputs), dtype=self.dtype)
        cap = min(block, max(n, 1))
        ws = make_workspace(self.layout, cap, self.chunk, self.dtype)
        base = self.layout.ilayout[-1, CUM_COLS] * cap
        k = self.layout.n_outputs
        with kernel_threads(n_threads):
            for start in range(0, n, cap):
                stop = min(n, start + cap)
                xbuf = X[start:stop].ravel()
                forward(*self._kernel_args(), xbuf, stop - start, self.chunk, ws, Pass(training, False, seed, start))
                out[start:stop] = ws.h[base:base + (stop - start) * k].reshape(stop - start, k)
                if on_block is not None:
                    on_block(ws, cap, stop - start)
        return out

    def loss_and_gradient(self, X: np.ndarray, Y: np.ndarray, sample_weight: np.ndarray | None = None, *,
                          seed: int = 0, step: int = 0, update_running: bool = False,
                          n_threads: int | None = None) -> tuple[float, np.ndarray]:
        """Training-mode weighted mean loss of one batch and its gradient (dropout masks fixed by seed
        and step; batch norm on batch statistics). No penalty: see ``kernels.training.add_penalty``."""
        X = np.ascontiguousarray(X, dtype=self.dtype)
        Y = np.ascontiguousarray(Y, dtype=self.dtype).reshape(X.shape[0], -1)
        n = X.shape[0]
        w = np.ones(n, self.dtype) if sample_weight is None else np.ascontiguousarray(sample_weight, self.dtype)
        ws = make_workspace(self.layout, n, self.chunk, self.dtype)
        grad = np.zeros_like(self.theta)
        with kernel_threads(n_threads):
            loss = batch_gradient(*self._kernel_args(), Batch(X.ravel(), Y.ravel(), w), n, self.chunk,
                                  LOSS_CODES[self.loss], ws, Pass(True, update_running, seed, step))
        reduce_chunks(ws.grad_chunks, -(-n // self.chunk), grad, 0, grad.size)
        return float(loss), grad
