"""Write the synthetic cohorts in examples/ from the model itself: reproducible, and synthetic.

    .venv/bin/python examples/make_cohort.py          # rewrites examples/cohort.csv and cohort-ct.tsv

Every patient is drawn from the network with the shipped literature parameters (ancestral
sampling, :func:`exoreason.forward_sample`, seeded), so the files know only what the model knows:
they show the file formats and exercise the commands, and say nothing about real patients. Ids
start with ``SYN-`` to say so wherever a row travels.

* ``cohort.csv``: comma-separated, an ``id`` column, a panel of exosomal miRNAs read as
  ``detected`` / ``not detected`` and three outcomes recorded as ``yes`` / ``no``; ``NA`` where a
  value was not measured. ``exoreason infer --profiles`` and ``exoreason fit`` read it.
* ``cohort-ct.tsv``: tab-separated, a ``Sample`` column and the same panel as qPCR Ct values
  (``Undetermined`` where nothing amplified), nothing else: the outcomes are left to infer; read with
  ``exoreason infer --profiles examples/cohort-ct.tsv --threshold '<=35'``. A miRNA drawn present
  gets a Ct between 24 and 34, one drawn absent a Ct above 36 or ``Undetermined``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SEED = 20220214  # any fixed number: the files are the same on every run

#: (column header as a lab writes it, node key)
PANEL = [("miR-155", "hsa_miR_155_5p"), ("miR-21", "hsa_miR_21_5p"), ("miR-200c", "hsa_miR_200c_3p"),
         ("miR-19b", "hsa_miR_19b_3p"), ("miR-210", "hsa_miR_210_3p"), ("miR-1246", "hsa_miR_1246"),
         ("miR-25", "hsa_miR_25_3p"), ("miR-141", "hsa_miR_141_3p")]
OUTCOMES = [("metastasis", "metastasis"), ("chemoresistance", "chemoresistance"), ("recurrence", "recurrence")]


def cohorts() -> dict[str, str]:
    """The two files' text, by name."""
    import exoreason

    reasoner = exoreason.Reasoner.from_files()
    columns, draws = exoreason.forward_sample(reasoner.compiled, 84, seed=SEED)
    value = {key: draws[:, columns.index(key)] for _, key in PANEL + OUTCOMES}
    rng = np.random.default_rng(SEED)

    rows = [",".join(["id", *(name for name, _ in PANEL + OUTCOMES)])]
    for i in range(60):
        cells = [f"SYN-{i + 1:03d}"]
        for _, key in PANEL:
            cells.append("NA" if rng.random() < 0.15 else "detected" if value[key][i] else "not detected")
        for _, key in OUTCOMES:
            cells.append("NA" if rng.random() < 0.1 else "yes" if value[key][i] else "no")
        rows.append(",".join(cells))
    csv_text = "\n".join(rows) + "\n"

    rows = ["\t".join(["Sample", *(name for name, _ in PANEL)])]
    for i in range(60, 84):
        cells = [f"SYN-{i + 1:03d}"]
        for _, key in PANEL:
            if value[key][i]:
                cells.append(f"{rng.uniform(24.0, 34.0):.2f}")
            else:
                cells.append("Undetermined" if rng.random() < 0.5 else f"{rng.uniform(36.0, 39.5):.2f}")
        rows.append("\t".join(cells))
    tsv_text = "\n".join(rows) + "\n"
    return {"cohort.csv": csv_text, "cohort-ct.tsv": tsv_text}


def main(directory: Path = HERE) -> None:
    for name, text in cohorts().items():
        (directory / name).write_text(text, encoding="utf-8")
        print(f"wrote {directory / name}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
