"""Regenerate what the documentation shows from the current graph: the README's example output,
the README's picture and the notebooks (executed in a fresh kernel, saved with outputs).

    python docs/refresh.py

A test fails when the README's example no longer matches `exoreason infer --cargo miR-155`.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXOREASON = str(Path(sys.executable).with_name("exoreason"))


def readme_example() -> None:
    out = subprocess.run([EXOREASON, "infer", "--cargo", "miR-155"], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    table = out.index("")  # the rows the evidence moved, and how many it left
    why = next(i for i, line in enumerate(out) if line.startswith("Why"))
    edges = next(i for i, line in enumerate(out) if line.startswith("Edges on these paths"))
    snippet = "\n".join(["$ exoreason infer --cargo miR-155", *out[:table], "", *out[why:why + 4], "...", "",
                         *out[edges:edges + 3], "...", "", *out[-2:]])
    readme = ROOT / "README.md"
    text = readme.read_text()
    new = re.sub(r"```\n\$ exoreason infer --cargo miR-155\n.*?```", lambda _: "```\n" + snippet + "\n```",
                 text, count=1, flags=re.DOTALL)
    readme.write_text(new)


def main() -> None:
    readme_example()
    subprocess.run([EXOREASON, "infer", "--cargo", "miR-155", "--plot", str(ROOT / "docs" / "posteriors-mir155.png"),
                    "--force"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, str(ROOT / "notebooks" / "execute.py")], check=True)


if __name__ == "__main__":
    main()
