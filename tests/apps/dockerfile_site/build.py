"""Render pages/*.txt into HTML pages under the folder given as argument."""

import html
import sys
from pathlib import Path

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
for page in sorted(Path("pages").glob("*.txt")):
    text = html.escape(page.read_text().strip())
    (out / f"{page.stem}.html").write_text(f"<!doctype html><h1>{text}</h1>\n")
