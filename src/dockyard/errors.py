"""Error types shared by every stage.

Every error a user sees says where, what was expected, what was found and how to fix it,
and carries a stable ``code`` that is stored with the deployment (docs/conventions.md §9).
"""

from __future__ import annotations


class DockyardError(Exception):
    """A failure with a stable code and a message meant for the user."""

    code: str = "dockyard.error"
    status: int = 400

    def __init__(self, message: str, *, code: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n{self.hint}" if self.hint else self.message


class NotFound(DockyardError):
    code = "not_found"
    status = 404


class Conflict(DockyardError):
    code = "conflict"
    status = 409


class CommandFailed(DockyardError):
    """A child process exited non-zero; ``tail`` holds its last output lines, ``output`` all
    of them (masked), for callers that look for a known message further up."""

    code = "command.failed"

    def __init__(self, message: str, *, code: str | None = None, returncode: int = 1,
                 tail: list[str] | None = None, hint: str | None = None,
                 output: list[str] | None = None) -> None:
        super().__init__(message, code=code, hint=hint)
        self.returncode = returncode
        self.tail = tail or []
        self.output = output if output is not None else self.tail
