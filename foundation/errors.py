"""The one exception type for user mistakes, and `printable`, which makes catalog text safe for a terminal;
it imports nothing so every room may use it."""

_NAMED_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
# C0 controls, DEL and C1 controls -> their repr-style escape; printable Unicode stays as it is.
_CONTROLS = {code: _NAMED_ESCAPES.get(chr(code), f"\\x{code:02x}") for code in [*range(0x20), *range(0x7F, 0xA0)]}


class AstromlpError(ValueError):
    """A user mistake (bad file, column, config or parameter); its message is one line naming the fix."""


def printable(text: object) -> str:
    """`text` with every control character (C0, DEL, C1) written as its escape (ESC -> \\x1b, newline ->
    \\n), so a catalog's column name or label cannot retitle, clear or recolour the user's terminal."""
    return str(text).translate(_CONTROLS)
