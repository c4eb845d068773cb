"""Learning-rate schedules, asked once per epoch: ``rate(epoch, monitored_loss) -> learning rate``."""

from __future__ import annotations

import math


class Constant:
    """The initial rate throughout."""

    def __init__(self, lr0: float):
        self.lr0 = lr0

    def rate(self, epoch: int, loss: float) -> float:
        return self.lr0


class Step(Constant):
    """lr0 * factor ** (epoch // step_size)."""

    def __init__(self, lr0: float, step_size: int = 30, factor: float = 0.5):
        super().__init__(lr0)
        self.step_size, self.factor = step_size, factor

    def rate(self, epoch: int, loss: float) -> float:
        return self.lr0 * self.factor ** (epoch // self.step_size)


class Exponential(Constant):
    """lr0 * exp(-decay * epoch)."""

    def __init__(self, lr0: float, decay: float = 0.01):
        super().__init__(lr0)
        self.decay = decay

    def rate(self, epoch: int, loss: float) -> float:
        return self.lr0 * math.exp(-self.decay * epoch)


class InverseTime(Constant):
    """lr0 / (1 + decay * epoch)."""

    def __init__(self, lr0: float, decay: float = 0.01):
        super().__init__(lr0)
        self.decay = decay

    def rate(self, epoch: int, loss: float) -> float:
        return self.lr0 / (1.0 + self.decay * epoch)


class ReduceOnPlateau(Constant):
    """Multiply the rate by ``factor`` when the monitored loss has not improved by ``threshold`` (relative)
    for ``patience`` epochs, never below ``min_lr``."""

    def __init__(self, lr0: float, factor: float = 0.5, patience: int = 5, threshold: float = 1e-4,
                 min_lr: float = 1e-6):
        super().__init__(lr0)
        self.factor, self.patience, self.threshold, self.min_lr = factor, patience, threshold, min_lr
        self._lr, self._best, self._wait = lr0, math.inf, 0

    def rate(self, epoch: int, loss: float) -> float:
        if epoch == 0:
            self._lr, self._best, self._wait = self.lr0, math.inf, 0
        elif loss < self._best * (1 - self.threshold):
            self._best, self._wait = loss, 0
        else:
            self._wait += 1
            if self._wait > self.patience:
                self._lr, self._wait = max(self.min_lr, self._lr * self.factor), 0
        return self._lr


SCHEDULES = {"constant": Constant, "step": Step, "exponential": Exponential, "inverse_time": InverseTime,
             "reduce_on_plateau": ReduceOnPlateau}
