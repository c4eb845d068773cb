"""The one exception type for user mistakes; it imports nothing so every room may use it."""


class AstromlpError(ValueError):
    """A user mistake (bad file, column, config or parameter); its message is one line naming the fix."""
