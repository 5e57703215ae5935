"""The one error type for unreadable sequence files."""

from __future__ import annotations


class SequenceFormatError(ValueError):
    """A sequence file that cannot be read: ``reason`` says what is wrong, ``offset`` or ``line`` where.

    ``offset`` is a byte offset into a binary file (FSEQ/ESEQ); ``line`` and ``column`` (1-based)
    locate the problem in an XML file. ``str()`` gives one line with both.
    """

    def __init__(
        self,
        reason: str,
        *,
        offset: int | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.reason = reason
        self.offset = offset
        self.line = line
        self.column = column
        super().__init__(self._render())

    def _render(self) -> str:
        if self.offset is not None:
            return f"{self.reason} (at byte offset {self.offset})"
        if self.line is not None and self.column is not None:
            return f"{self.reason} (line {self.line}, column {self.column})"
        if self.line is not None:
            return f"{self.reason} (line {self.line})"
        return self.reason

    def __reduce__(self) -> tuple[object, ...]:
        # Keep the keyword-only attributes when the error crosses a process boundary.
        return (_rebuild, (self.reason, self.offset, self.line, self.column))


def _rebuild(reason: str, offset: int | None, line: int | None, column: int | None) -> SequenceFormatError:
    return SequenceFormatError(reason, offset=offset, line=line, column=column)
