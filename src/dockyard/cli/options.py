"""Options shared by many commands (doctl's global flags, repeated on each command)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


Output = Annotated[OutputFormat, typer.Option("--output", "-o", help="Output format.")]
Format = Annotated[str | None, typer.Option("--format", help="Columns to show, e.g. ID,Spec.Name.")]
NoHeader = Annotated[bool, typer.Option("--no-header", help="Leave out the header row.")]
Wait = Annotated[bool, typer.Option("--wait", help="Wait for the deployment to finish.")]
SpecFile = Annotated[str, typer.Option("--spec", help="Path to an App Spec (YAML or JSON); - reads stdin.")]
AppRef = Annotated[str, typer.Argument(help="App id or name.", metavar="APP")]
