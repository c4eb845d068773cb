"""The members of a model zip read as untrusted bytes: the exact member list, each member's declared size
bounded before it is inflated, reads capped at that size, and ``.npy`` headers checked before allocating."""

from __future__ import annotations

import io
import json
import lzma
import zipfile
import zlib
from collections import Counter

import numpy as np

from astromlp.errors import AstromlpError

DOCUMENT = "model.json"
ARRAYS = ("theta", "running_mean", "running_var")
#: model.json holds the architecture, hyperparameters, training history and the caller's metadata.
MAX_DOCUMENT_BYTES = 64 * 2**20
#: Room for the .npy magic, version and header dictionary (numpy pads it to 64 bytes; its own cap is 10,000).
MAX_NPY_HEADER = 10_000
#: What a damaged or hostile member raises while it is inflated (zlib/lzma data, encryption, unknown methods).
READ_ERRORS = (zipfile.BadZipFile, EOFError, OSError, zlib.error, lzma.LZMAError, NotImplementedError,
               RuntimeError, ValueError)

#: .npy format versions np.save writes (3.0 only for non-Latin-1 field names, which a flat array has not).
HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


def array_member(array: str, k: int) -> str:
    return f"{array}_{k}.npy"


def check_unique(zf: zipfile.ZipFile, name: str) -> None:
    """Each member once: with two of a name, zipfile reads the last while ``unzip -l`` shows both."""
    found = Counter(info.filename for info in zf.infolist())
    twice = sorted(member for member, count in found.items() if count > 1)
    if twice:
        raise AstromlpError(f"{name}: member {twice[0]} appears {found[twice[0]]} times in the zip; a model file "
                            "holds each member once, so this one was altered: save the model again")


def check_member_list(zf: zipfile.ZipFile, name: str, n_networks: int) -> None:
    """model.json and the arrays of every declared network, and nothing else."""
    found = {info.filename for info in zf.infolist()}
    expected = {DOCUMENT, *(array_member(a, k) for k in range(n_networks) for a in ARRAYS)}
    missing, extra = sorted(expected - set(found)), sorted(set(found) - expected)
    if missing:
        raise AstromlpError(f"{name}: array {missing[0]} is missing; the file is incomplete: save the model again")
    if extra:
        raise AstromlpError(f"{name}: unexpected member {extra[0]!r} (model.json declares {n_networks} network(s)); "
                            "a model file holds nothing else: save the model again")


def read_member(zf: zipfile.ZipFile, name: str, member: str, limit: int) -> bytes:
    """The member's bytes, refused when its declared size exceeds ``limit`` and never inflated beyond it."""
    try:
        info = zf.getinfo(member)
    except KeyError:
        raise AstromlpError(f"{name}: no {member} inside; the file is not a complete astromlp model") from None
    if info.file_size > limit:
        raise AstromlpError(f"{name}: member {member} declares {info.file_size} bytes, more than the {limit} its "
                            "layout allows; the file was altered: save the model again")
    try:
        with zf.open(info) as stream:
            data = stream.read(limit + 1)
    except READ_ERRORS as exc:
        raise AstromlpError(f"{name}: member {member} is damaged ({_one_line(exc)}); save the model again") from exc
    if len(data) > limit:
        raise AstromlpError(f"{name}: member {member} inflates beyond the {limit} bytes its layout allows; "
                            "save the model again")
    return data


def read_document(zf: zipfile.ZipFile, name: str):
    """model.json parsed as plain data (NaN and Infinity tokens become floats for the schema to judge)."""
    try:
        zf.getinfo(DOCUMENT)
    except KeyError:
        raise AstromlpError(f"{name} is not an astromlp model file (no model.json inside)") from None
    data = read_member(zf, name, DOCUMENT, MAX_DOCUMENT_BYTES)
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise AstromlpError(f"{name}: model.json is damaged ({_one_line(exc)}); save the model again") from exc


def read_array(zf: zipfile.ZipFile, name: str, member: str, dtype: np.dtype, size: int) -> np.ndarray:
    """A 1-D array of ``size`` finite values of ``dtype``, its header checked before its data is read."""
    data = read_member(zf, name, member, MAX_NPY_HEADER + size * dtype.itemsize)
    stream = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(stream)
        shape, _, found = HEADER_READERS[version](stream)
    except (KeyError, ValueError, SyntaxError, TypeError, EOFError, RecursionError) as exc:
        raise AstromlpError(f"{name}: array {member} has no valid .npy header ({_one_line(exc)}); "
                            "save the model again") from exc
    if found.hasobject:
        raise AstromlpError(f"{name}: array {member} holds Python objects (dtype {found}); object arrays are "
                            "refused (no pickle): save the model again")
    if found != dtype or shape != (size,):
        raise AstromlpError(f"{name}: array {member} has shape {shape} and dtype {found}, expected ({size},) "
                            f"{dtype}; the file does not match its architecture")
    body = data[stream.tell():]
    if len(body) != size * dtype.itemsize:
        raise AstromlpError(f"{name}: array {member} holds {len(body)} bytes of data where its shape needs "
                            f"{size * dtype.itemsize}; the member is truncated or padded: save the model again")
    return np.frombuffer(body, dtype=dtype).copy()


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200]
