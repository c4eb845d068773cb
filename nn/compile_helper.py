"""The second process of a first run's compile (``nn/compiling.py``): it compiles its share of the kernels into
the shared cache (``compiling.SHARES["helper"]``) while the first process compiles the rest, each telling the
other, one line per finished step (the helper on stdout, the first process on the helper's stdin), so that a
step that links another's kernels waits for them instead of compiling them twice.

The helper only ever saves time: if it cannot start, fails or falls silent, the first process compiles
whatever is missing itself, and the cache (written atomically by Numba) is as complete either way."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading

import numpy as np

#: Seconds without a word from the helper after which it is stopped and its share compiled here.
SILENCE_LIMIT = 900.0


class Helper:
    """The first process's end: start the helper, wait for its steps, tell it ours. A missing helper (none
    wanted, or a failed start) behaves as one that finished nothing."""

    def __init__(self, process: subprocess.Popen | None, on_step):
        self.process, self.on_step = process, on_step
        self.done: list[str] = []
        self.lines: queue.Queue = queue.Queue()
        if process is not None:
            threading.Thread(target=self._read, daemon=True).start()

    @classmethod
    def start(cls, dtype, on_step, subsets: tuple[str, str] = ("common", "common")) -> Helper:
        """A helper compiling kernels for parameters of ``dtype`` and the table rows of ``subsets`` (as in
        ``compiling.calls``); ``on_step(name)`` is called (in this thread) for each step it finishes."""
        from astromlp.nn.compiling import NOTICE_VARIABLE

        env = {**os.environ, NOTICE_VARIABLE: "0"}
        try:
            process = subprocess.Popen([sys.executable, "-m", "astromlp.nn.compile_helper", _name(dtype), *subsets],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                       env=env, text=True)
        except OSError:
            return cls(None, on_step)
        return cls(process, on_step)

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.strip())
        self.lines.put(None)  # end of output: the helper exited

    def _alive(self) -> bool:
        return self.process is not None

    def wait_for(self, step: str | None) -> None:
        """Return once the helper finished ``step`` (None: at once), exited, or fell silent too long."""
        while step is not None and step not in self.done and self._alive():
            try:
                line = self.lines.get(timeout=SILENCE_LIMIT)
            except queue.Empty:
                self.stop()
                return
            if line is None:
                self.process = None
            else:
                self.done.append(line)
                self.on_step(line)

    def tell(self, step: str) -> None:
        """Tell the helper that this process finished ``step``."""
        if self._alive():
            try:
                self.process.stdin.write(step + "\n")
                self.process.stdin.flush()
            except OSError:  # it exited meanwhile
                pass

    def finish(self, steps: list[str]) -> list[str]:
        """Wait for the helper's remaining ``steps``; return those it did not finish (for this process)."""
        for step in steps:
            self.wait_for(step)
        return [step for step in steps if step not in self.done]

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def __enter__(self) -> Helper:
        return self

    def __exit__(self, *exc) -> None:
        if self.process is not None:
            try:
                self.process.stdin.close()  # a helper still waiting for a step of ours stops
                self.process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.stop()


def _name(dtype) -> str:
    """The dtype's name for the helper's command line (a string goes as given: the helper judges it)."""
    return dtype if isinstance(dtype, str) else np.dtype(dtype).name


def main(dtype: str, network: str = "common", update: str = "common") -> None:
    """The helper: run ``SHARES["helper"]`` in order, each after the first process's step it waits for;
    print each finished step's name. Stops when the first process closes stdin before a step it waits for."""
    from astromlp.nn.compiling import SHARES, calls

    found = calls(dtype, subsets=(network, update))
    told: set[str] = set()
    for name, after in SHARES["helper"]:
        while after is not None and after not in told:
            line = sys.stdin.readline()
            if not line:
                return
            told.add(line.strip())
        found[name]()
        print(name, flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
