"""A mutation fuzzer for the template and profile parsers.

Starts from real inputs (the curated templates, a profile file, tests/corpus/) and applies random
byte-level mutations (flips, insertions of tabs, quotes, newlines, pipes, NULs and UTF-8 fragments,
deletions, truncation, splicing). Each mutant must be parsed or refused with an exoreason error;
any other exception, or an accepted input that yields an IRI rdflib cannot serialise, is a defect: the input is saved under tests/corpus/ as a regression case and
reported.

    python bench/fuzz_parsers.py [--iterations 20000] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus"
TOKENS = [b"\t", b"|", b'"', b"\n", b"\r\n", b"\x00", b":", b"exo:", b"GO:", b"ECO:0000304", b"\xc3", b"\xff",
          b"\xef\xbb\xbf", b"true", b"false", b"0.5", b"1e309", b"nan", b"-1", b"id", b",", b";", b"#"]


def mutate(data: bytes, rng: random.Random, pool: list[bytes]) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        choice = rng.random()
        pos = rng.randint(0, len(out)) if out else 0
        if choice < 0.25 and out:
            out[min(pos, len(out) - 1)] ^= 1 << rng.randint(0, 7)
        elif choice < 0.55:
            out[pos:pos] = rng.choice(TOKENS)
        elif choice < 0.75 and out:
            end = min(len(out), pos + rng.randint(1, 40))
            del out[pos:end]
        elif choice < 0.85:
            del out[pos:]
        else:
            other = rng.choice(pool)
            start = rng.randint(0, len(other))
            out[pos:pos] = other[start:start + rng.randint(1, 200)]
    return bytes(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import logging

    from exoreason.cohort import run_profiles
    from exoreason.curation import read_templates
    from exoreason.errors import ExoreasonError
    from exoreason.inference import Reasoner
    from exoreason.ontology import build_graph

    class _InvalidIri(logging.Handler):
        """rdflib only logs a warning for an IRI it cannot serialise: count it as a defect."""

        def __init__(self) -> None:
            super().__init__(logging.WARNING)
            self.messages: list[str] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.messages.append(record.getMessage())

    invalid_iri = _InvalidIri()
    logging.getLogger("rdflib").addHandler(invalid_iri)
    logging.getLogger("rdflib").propagate = False
    rng = random.Random(args.seed)
    reasoner = Reasoner.from_files()
    templates = [p.read_bytes() for p in sorted((ROOT / "ontology" / "templates").glob("*.tsv"))]
    profile_seed = b"id,miR-155,miR-21,MIR200C\na,true,,0.9\nb,false,true,\n"
    pool_tsv = templates + [p.read_bytes() for p in CORPUS.glob("*.tsv")]
    pool_csv = [profile_seed] + [p.read_bytes() for p in CORPUS.glob("*.csv")]
    work = Path(tempfile.mkdtemp(prefix="exoreason-fuzz-"))
    edit = (ROOT / "ontology" / "exoreason-edit.ttl").read_bytes()
    counts = {"template_inputs": 0, "build_inputs": 0, "profile_inputs": 0, "refused": 0, "accepted": 0}
    crashes: list[dict[str, str]] = []
    start = time.perf_counter()
    for i in range(args.iterations):
        kind = rng.random()
        invalid_iri.messages.clear()
        case = work / f"case{i % 50}"
        shutil.rmtree(case, ignore_errors=True)
        (case / "templates").mkdir(parents=True)
        try:
            if kind < 0.45:
                data = mutate(rng.choice(pool_tsv), rng, pool_tsv)
                name, suffix = "claims-fuzz.tsv", ".tsv"
                (case / "templates" / name).write_bytes(data)
                counts["template_inputs"] += 1
                read_templates(case / "templates")
            elif kind < 0.55:
                data = mutate(rng.choice(pool_tsv[:3]), rng, pool_tsv)
                name, suffix = "claims-fuzz.tsv", ".tsv"
                (case / "templates" / name).write_bytes(data)
                (case / "exoreason-edit.ttl").write_bytes(edit)
                counts["build_inputs"] += 1
                build_graph(case)
            else:
                data = mutate(rng.choice(pool_csv), rng, pool_csv)
                suffix = ".csv"
                (case / "p.csv").write_bytes(data)
                counts["profile_inputs"] += 1
                run_profiles(reasoner, case / "p.csv", case / "out.csv", progress=False, force=True)
            counts["accepted"] += 1
            if invalid_iri.messages:
                saved = CORPUS / f"invalid-iri-{args.seed}-{i}{suffix}"
                saved.write_bytes(data)
                crashes.append({"input": str(saved.relative_to(ROOT)), "error": invalid_iri.messages[0],
                                "where": "accepted an IRI that cannot be serialised"})
        except ExoreasonError:
            counts["refused"] += 1
        except Exception as exc:  # a crash: keep the input
            saved = CORPUS / f"crash-{args.seed}-{i}{suffix}"
            saved.write_bytes(data)
            crashes.append({"input": str(saved.relative_to(ROOT)), "error": f"{type(exc).__name__}: {exc}",
                            "where": traceback.format_exc(limit=-1).strip().splitlines()[-2]})
    elapsed = time.perf_counter() - start
    shutil.rmtree(work, ignore_errors=True)
    report = {"iterations": args.iterations, "seed": args.seed, "seconds": round(elapsed, 1), **counts,
              "crashes": crashes}
    print(json.dumps(report, indent=2))
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "fuzz.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
