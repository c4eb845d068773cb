"""How every nn kernel is compiled: cached on disk, and with numpy's error model, so a division by zero gives
inf or NaN (which training reports as divergence) instead of a Python-exception check inside every loop,
which would keep LLVM from vectorising it.

The on-disk cache lives in a per-user cache directory, never inside the installed package: files written there
would survive ``pip uninstall`` and shadow a later (editable) install. Its folders are named after the package and
the content of its room (all of ``astromlp.nn``'s sources, say), not after where the package is installed, so every
copy of the same astromlp (a wheel in site-packages, then an editable checkout of the same commit) loads the kernels
the first one compiled instead of compiling them again, and a kernel is never loaded after an edit to a kernel it
inlines (Numba itself only checks the caller's own file). Each version of a room gets its own folder: two versions
used alternately do not recompile each other's kernels; an old version's folder stays until the cache is cleared."""

import hashlib
import os
import sys
from functools import cache
from pathlib import Path

from numba import njit
from numba.core import caching
from platformdirs import user_cache_dir

OPTIONS = {"cache": True, "error_model": "numpy"}


def cache_dir() -> Path:
    """Where compiled kernels go: NUMBA_CACHE_DIR if set, else ASTROMLP_CACHE_DIR or the user cache, /numba."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return Path(os.environ["NUMBA_CACHE_DIR"])
    root = os.environ.get("ASTROMLP_CACHE_DIR") or user_cache_dir("astromlp", appauthor=False)
    return Path(root) / "numba"


#: The Python functions compiled through ``kernel``: the ones KernelCacheLocator places.
_KERNELS: set = set()


# Numba has no public hook for where one package's functions are cached: its locators are private classes,
# tried in the order of caching.CacheImpl._locator_classes, the first that accepts a function wins.
class KernelCacheLocator(caching._SourceFileBackedLocatorMixin, caching._CacheLocator):
    """Functions compiled through ``kernel`` only (astromlp's, and the test suite's):
    ``cache_dir()/<package>-<room hash>``, e.g. ``.../numba/astromlp.nn.kernels-3f9c...``."""

    def __init__(self, py_func, py_file):
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        package = py_func.__module__.rpartition(".")[0]
        room = _room_hash(py_func.__module__)
        self._cache_path = str(cache_dir() / (f"{package}-{room}" if room else package))

    def get_cache_path(self):
        return self._cache_path

    def get_source_stamp(self):
        """The source's content (not its path or time): what tells one copy's cache from another's."""
        stat = os.stat(self._py_file)
        return _content_hash(self._py_file, stat.st_mtime_ns, stat.st_size)

    @classmethod
    def from_function(cls, py_func, py_file):
        if py_func not in _KERNELS:
            return None  # someone else's function: Numba's own locators decide
        return super().from_function(py_func, py_file)


@cache
def _content_hash(path: str, mtime_ns: int, size: int) -> str:
    """SHA-256 of a source file, computed once per version of the file (mtime and size are part of the key)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _room_hash(module: str) -> str | None:
    """The first 16 hex digits of a SHA-256 over every source of the module's room (``a.b`` of ``a.b.c``), or
    None for a module outside any room: Numba links a kernel's callees into its cached code."""
    parts = module.split(".")
    room = sys.modules.get(".".join(parts[:2])) if len(parts) > 2 else None
    paths = list(getattr(room, "__path__", ()))
    return _tree_hash(paths[0]) if paths else None


@cache
def _tree_hash(folder: str) -> str:
    digest = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*.py")):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


_LOCATORS = (getattr(caching, "CacheImpl", None) or caching._CacheImpl)._locator_classes  # renamed in Numba 0.61
if KernelCacheLocator not in _LOCATORS:
    _LOCATORS.insert(0, KernelCacheLocator)


def kernel(**options):
    """``numba.njit`` with the options every nn kernel shares, plus ``options``; cached in ``cache_dir()``."""
    compile_ = njit(**OPTIONS, **options)

    def decorate(func):
        _KERNELS.add(func)  # before njit: Numba chooses the cache locator while it decorates
        return compile_(func)

    return decorate
