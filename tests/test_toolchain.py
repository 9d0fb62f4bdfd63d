"""The graph in the field's toolchain (issue 22): one prefix map (curies), the RDF/XML release read
by pronto and by oaklib's command line offline, DOID and HGNC terms and `--cancer` by CURIE or any
name, the KGX export checked with the Biolink Model Toolkit on the schema the installed
`biolink-model` package ships, and the README's file names and Protégé wording against the release.
"""

from __future__ import annotations

import csv
import re
import warnings
from pathlib import Path

import pytest

from .conftest import assert_one_line_error, run_cli

ROOT = Path(__file__).resolve().parents[1]
OWL = ROOT / "ontology" / "exoreason.owl"
MIR155 = "https://identifiers.org/mirbase.mature:MIMAT0000646"
TP53INP1 = "https://identifiers.org/hgnc:18022"


# --------------------------------------------------------------------------------------------
# one prefix map
# --------------------------------------------------------------------------------------------


def test_the_plain_prefix_maps_are_the_curies_converter():
    from exoreason.prefixes import BINDINGS, CURIE_PREFIXES, SPARQL_PREFIXES, converter

    conv = converter()
    assert conv.bimap == BINDINGS
    assert conv.prefix_map == SPARQL_PREFIXES
    assert CURIE_PREFIXES.items() <= SPARQL_PREFIXES.items()
    # the project's older spellings are read, bioregistry's are written
    assert conv.expand("miRBase:MIMAT0000646") == conv.expand("mirbase.mature:MIMAT0000646") == MIR155
    assert conv.compress(MIR155) == "mirbase.mature:MIMAT0000646"
    assert conv.compress("http://identifiers.org/hgnc/18022") == "HGNC:18022"


def test_a_duplicate_prefix_is_refused_as_curies_refuses_it():
    import curies

    from exoreason.prefixes import PREFIX_RECORDS, PrefixRecord

    records = [*PREFIX_RECORDS, PrefixRecord("hgnc2", PREFIX_RECORDS[-4].uri_prefix)]
    with pytest.raises(curies.DuplicateValueError):
        curies.Converter.from_extended_prefix_map(
            [{"prefix": r.prefix, "uri_prefix": r.uri_prefix, "prefix_synonyms": list(r.prefix_synonyms),
              "uri_prefix_synonyms": list(r.uri_prefix_synonyms)} for r in records])


def test_released_files_declare_one_spelling_per_namespace_regression():
    """Issue 22: the Turtle bound hgnc: and mirbase: while templates and SPARQL said HGNC: and
    miRBase:. Both release files now declare the prefix map's canonical prefixes only."""
    from exoreason.prefixes import BINDINGS

    ttl = (ROOT / "ontology" / "exoreason-kg.ttl").read_text()
    declared = dict(re.findall(r"^@prefix ([\w.]*): <([^>]+)> \.$", ttl, re.MULTILINE))
    assert declared["HGNC"] == BINDINGS["HGNC"] and declared["mirbase.mature"] == BINDINGS["mirbase.mature"]
    assert "hgnc" not in declared and "mirbase" not in declared and "miRBase" not in declared
    owl_head = OWL.read_text()[:3000]
    for prefix, namespace in BINDINGS.items():
        assert f'xmlns:{prefix}="{namespace}"' in owl_head


def test_sparql_reads_either_spelling_of_a_prefix():
    for written in ("miRBase:MIMAT0000646", "mirbase.mature:MIMAT0000646"):
        done = run_cli("query", "targets-of-mirna", "--bind", f"mirna={written}", "--format", "csv")
        assert done.returncode == 0, done.stderr
        assert "TP53INP1" in done.stdout


# --------------------------------------------------------------------------------------------
# pronto and oaklib
# --------------------------------------------------------------------------------------------


def test_the_release_opens_in_pronto_with_labels_synonyms_and_parents_regression():
    """Issue 22: pronto raised `could not find owl:Ontology element`."""
    pronto = pytest.importorskip("pronto")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ontology = pronto.Ontology(str(OWL))
    mir155 = ontology[MIR155]
    assert mir155.name == "hsa-miR-155-5p"
    assert "miR-155" in {s.description for s in mir155.synonyms}
    assert "mature microRNA" in {t.name for t in mir155.superclasses(distance=1)}
    assert ontology[TP53INP1].name == "TP53INP1"
    assert ontology["DOID:3498"].name == "pancreatic ductal adenocarcinoma"
    assert ontology["GO:0001837"].name == "epithelial to mesenchymal transition"


@pytest.fixture(scope="module")
def runoak():
    """oaklib's `runoak` command line, run in this process over the release through its pronto
    adapter: offline, the file as it is."""
    pytest.importorskip("oaklib")
    from click.testing import CliRunner
    from oaklib.cli import main

    def run(*args: str, adapter: str = "pronto:"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return CliRunner().invoke(main, ["-i", f"{adapter}{OWL}", *args])

    return run


def test_runoak_searches_and_labels_mirnas_and_genes_offline_regression(runoak):
    """Issue 22: oaklib showed label None for the miRBase and HGNC classes and found nothing."""
    found = runoak("search", "hsa-miR-155-5p")
    assert found.exit_code == 0, found.output
    assert f"{MIR155} ! hsa-miR-155-5p" in found.output
    assert f"{TP53INP1} ! TP53INP1" in runoak("search", "TP53INP1").output
    labels = runoak("labels", MIR155, TP53INP1)
    assert labels.exit_code == 0, labels.output
    rows = dict(line.split("\t") for line in labels.output.strip().splitlines() if line.startswith("http"))
    assert rows == {MIR155: "hsa-miR-155-5p", TP53INP1: "TP53INP1"}


def test_runoak_rdf_adapter_knows_the_declared_prefixes_regression(runoak):
    """Issue 22: oaklib's default (RDF) adapter showed label None for the 37 miRBase and HGNC
    classes, whose namespaces the release did not declare. It now reads them by CURIE."""
    labels = runoak("labels", "HGNC:18022", "mirbase.mature:MIMAT0000646", adapter="")
    assert labels.exit_code == 0, labels.output
    rows = dict(line.split("\t") for line in labels.output.strip().splitlines() if "\t" in line)
    assert rows["HGNC:18022"] == "TP53INP1" and rows["mirbase.mature:MIMAT0000646"] == "hsa-miR-155-5p"


# --------------------------------------------------------------------------------------------
# DOID and HGNC terms; --cancer
# --------------------------------------------------------------------------------------------


def test_the_review_cancers_and_egfr_are_doid_and_hgnc_terms_regression():
    """Issue 22: exo:BrainCancer, exo:ColonCancer, exo:Leukemia, exo:ThyroidCancer and exo:EGFR
    were minted though DOID and HGNC have them; they are obsolete, replaced by those terms."""
    from rdflib import Graph, Literal, URIRef
    from rdflib.namespace import OWL as O
    from rdflib.namespace import RDFS

    g = Graph().parse(ROOT / "ontology" / "exoreason-kg.ttl")
    replaced = {"Leukemia": "http://purl.obolibrary.org/obo/DOID_1240",
                "BrainCancer": "http://purl.obolibrary.org/obo/DOID_1319",
                "ColonCancer": "http://purl.obolibrary.org/obo/DOID_219",
                "ThyroidCancer": "http://purl.obolibrary.org/obo/DOID_1781",
                "EGFR": "https://identifiers.org/hgnc:3236"}
    for old, new in replaced.items():
        old_iri = URIRef("https://w3id.org/exoreason/" + old)
        assert (old_iri, O.deprecated, Literal(True)) in g
        assert (old_iri, URIRef("http://purl.obolibrary.org/obo/IAO_0100001"), URIRef(new)) in g
        assert g.value(URIRef(new), RDFS.label) is not None
        # nothing but the obsolete declaration mentions the old term
        assert set(g.subjects(None, old_iri)) == set() and set(g.predicates(old_iri)) <= {
            O.deprecated, RDFS.label, URIRef("http://purl.obolibrary.org/obo/IAO_0000115"),
            URIRef("http://purl.obolibrary.org/obo/IAO_0100001"), URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")}


@pytest.mark.parametrize("given", ["DOID:3498", "http://purl.obolibrary.org/obo/DOID_3498",
                                   "PDAC", "Pancreatic Ductal Adenocarcinoma"])
def test_cancer_by_curie_iri_label_or_synonym_regression(given):
    """Issue 22: `--cancer DOID:3498` was refused."""
    done = run_cli("infer", "--cargo", "miR-155", "--cancer", given, "--format", "json")
    assert done.returncode == 0, done.stderr
    assert "pancreatic ductal adenocarcinoma" in done.stdout


def test_cancer_suggestions_rank_by_shared_words_regression():
    """Issue 22: `--cancer 'pancreatic cancer'` suggested breast, brain and prostate cancer."""
    done = run_cli("infer", "--cargo", "miR-155", "--cancer", "pancreatic cancer")
    assert_one_line_error(done, 2, "'pancreatic cancer'", "closest: pancreatic ductal adenocarcinoma")
    done = run_cli("infer", "--cargo", "miR-155", "--cancer", "colon carcinoma")
    assert_one_line_error(done, 2, "closest: colon cancer")


# --------------------------------------------------------------------------------------------
# KGX and Biolink
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kgx_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("kgx") / "exoreason-kgx"
    done = run_cli("export", "--format", "kgx", "--output", str(out))
    assert done.returncode == 0, done.stderr
    return out


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


@pytest.fixture(scope="module")
def biolink_toolkit():
    bmt = pytest.importorskip("bmt")
    biolink_model = pytest.importorskip("biolink_model")
    schema = Path(biolink_model.__path__[0]) / "schema" / "biolink_model.yaml"
    # the installed schema and an empty predicate map: bmt's defaults fetch both online
    return bmt.Toolkit(schema=str(schema), predicate_map={"predicate mappings": []})


def test_kgx_categories_predicates_and_columns_are_biolink(kgx_dir, biolink_toolkit):
    tk = biolink_toolkit
    nodes, edges = _rows(kgx_dir / "nodes.tsv"), _rows(kgx_dir / "edges.tsv")
    categories = {c for n in nodes for c in n["category"].split("|")}
    assert {"biolink:MicroRNA", "biolink:Gene", "biolink:BiologicalProcess", "biolink:Disease",
            "biolink:CellularComponent"} <= categories
    assert [c for c in sorted(categories) if not tk.is_category(c)] == []
    predicates = {e["predicate"] for e in edges}
    assert {"biolink:affects", "biolink:regulates", "biolink:has_part"} <= predicates
    assert [p for p in sorted(predicates) if not tk.is_predicate(p)] == []
    for column in [*nodes[0].keys(), *edges[0].keys()]:
        assert tk.get_element(column) is not None, column
    directions = set(tk.view.get_enum("DirectionQualifierEnum").permissible_values)
    aspects = set(tk.view.get_enum("GeneOrGeneProductOrChemicalEntityAspectEnum").permissible_values)
    levels = set(tk.view.get_enum("KnowledgeLevelEnum").permissible_values)
    agents = set(tk.view.get_enum("AgentTypeEnum").permissible_values)
    for e in edges:
        assert {e["subject_direction_qualifier"], e["object_direction_qualifier"]} <= directions | {""}
        assert e["object_aspect_qualifier"] in aspects | {""}
        assert e["knowledge_level"] in levels and e["agent_type"] in agents


def test_kgx_every_edge_end_is_a_node_and_carries_its_provenance(kgx_dir):
    nodes, edges = _rows(kgx_dir / "nodes.tsv"), _rows(kgx_dir / "edges.tsv")
    ids = [n["id"] for n in nodes]
    assert len(ids) == len(set(ids))
    assert len({e["id"] for e in edges}) == len(edges)
    assert {e["subject"] for e in edges} | {e["object"] for e in edges} <= set(ids)
    from exoreason.curation import KINDS, read_sources
    from exoreason.resources import ontology_dir

    origin = {row.get("id"): row.origin for kind, rows in read_sources(ontology_dir()).rows.items()
              if KINDS[kind].finding for row in rows}
    for e in edges:
        assert e["supporting_documents"].startswith("finding:"), e
        # a finding of the review names the review; a primary study's names that study
        if origin[e["supporting_documents"].removeprefix("finding:")] == "review":
            assert "doi:10.3389/fonc.2022.836548" in e["publications"].split("|"), e
        else:
            assert "doi:10.3389/fonc.2022.836548" not in e["publications"].split("|") and e["publications"], e
        assert re.fullmatch(r"ECO:\d{7}(\|ECO:\d{7})*", e["has_evidence"]), e
    by_subject = [e for e in edges if e["subject"] == "mirbase.mature:MIMAT0000646"
                  and e["object"] == "HGNC:18022"]
    assert by_subject and "PMID:28198398" in by_subject[0]["publications"].split("|")
    node = next(n for n in nodes if n["id"] == "mirbase.mature:MIMAT0000646")
    assert node["category"] == "biolink:MicroRNA" and node["name"] == "hsa-miR-155-5p"
    assert "miR-155" in node["synonym"].split("|")
    assert next(n for n in nodes if n["id"] == "HGNC:3236")["category"] == "biolink:Gene"
    assert next(n for n in nodes if n["id"] == "DOID:1240")["category"] == "biolink:Disease"


def test_kgx_export_keeps_existing_files_without_force(kgx_dir):
    before = (kgx_dir / "edges.tsv").read_bytes()
    done = run_cli("export", "--format", "kgx", "--output", str(kgx_dir))
    assert_one_line_error(done, 2, "nodes.tsv", "--force")
    assert (kgx_dir / "edges.tsv").read_bytes() == before


# --------------------------------------------------------------------------------------------
# documentation against the release
# --------------------------------------------------------------------------------------------


def test_readme_file_names_exist_regression():
    """Issue 22: the README said SPARQL runs over ontology/exoreason.ttl (it is exoreason-kg.ttl)."""
    readme = (ROOT / "README.md").read_text()
    named = set(re.findall(r"`(ontology/[\w./{},-]+)`", readme))
    assert named
    for name in sorted(named):
        if "{" in name:
            stem, _, rest = name.partition("{")
            options, _, tail = rest.partition("}")
            paths = [stem + o + tail for o in options.split(",")]
        else:
            paths = [name]
        for path in paths:
            if path.endswith(".ttl") and "exoreason." in path:
                pytest.fail(f"README names {path}; the release is exoreason-kg.ttl")
            assert (ROOT / path.rstrip("/")).exists(), path


def test_protege_walkthrough_shows_the_axioms_as_the_release_states_them_regression():
    """Issue 22: the walkthrough showed `targets some TP53INP1` where the axiom is `regulates
    quantity of some TP53INP1` (RO:0011003). Every line of the shown Description is an axiom of
    hsa-miR-155-5p in the release, by its labels."""
    from rdflib import BNode, Graph
    from rdflib.namespace import OWL as O
    from rdflib.namespace import RDFS

    readme = (ROOT / "README.md").read_text()
    block = readme.split("### Opening it in Protégé", 1)[1].split("```", 2)[1]
    shown = [line.strip() for line in block.splitlines()[2:] if line.strip()]
    g = Graph().parse(OWL)
    mir = next(s for s in g.subjects(RDFS.label, None) if str(s) == MIR155)

    stated = set()
    for parent in g.objects(mir, RDFS.subClassOf):
        if isinstance(parent, BNode):
            prop, filler = g.value(parent, O.onProperty), g.value(parent, O.someValuesFrom)
            filler_label = str(g.value(filler, RDFS.label))
            filler_label = f"'{filler_label}'" if " " in filler_label else filler_label
            stated.add(f"{g.value(prop, RDFS.label)} some {filler_label}")
        else:
            stated.add(str(g.value(parent, RDFS.label)))
    assert shown and set(shown) <= stated, (shown, stated)


def test_version_is_the_ontology_version_regression():
    """Issue 22: `--version` said 0.1.0 while owl:versionInfo said 0.2.0."""
    done = run_cli("--version")
    info = re.search(r"<owl:versionInfo>([^<]+)</owl:versionInfo>", OWL.read_text()).group(1)
    assert done.stdout.split() == ["exoreason", info]


def test_coverage_tsv_is_plain_values_like_csv_regression():
    """Issue 22: `coverage --format tsv` printed RDF term syntax ("Abstract"@en, ?source)."""
    tsv, csv_text = run_cli("coverage", "--format", "tsv"), run_cli("coverage", "--format", "csv")
    assert tsv.returncode == 0 and csv_text.returncode == 0, (tsv.stderr, csv_text.stderr)
    as_tsv = [line.split("\t") for line in tsv.stdout.strip().splitlines()]
    as_csv = list(csv.reader(csv_text.stdout.strip().splitlines()))
    assert as_tsv == as_csv
    assert as_tsv[0] == ["source", "findings"] and ["Abstract", as_tsv[1][1]] == as_tsv[1]


# --- one job per module (issue 23) ---------------------------------------------------------------

SRC = Path(__file__).resolve().parents[1] / "src" / "exoreason"


def _imports(module: str) -> dict[str, set[str]]:
    """{imported module: names} of every ``from .X import ...`` in a module, wherever it stands."""
    import ast

    found: dict[str, set[str]] = {}
    for node in ast.walk(ast.parse((SRC / f"{module}.py").read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            found.setdefault(node.module, set()).update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("module", ["explanation", "export", "plots", "uncertainty", "evaluation"])
def test_rendering_is_imported_from_its_own_modules_not_from_the_reasoner(module):
    """explanation, export, plots, uncertainty and evaluation took rendering helpers and the
    answer's classes from inference.py, beside the Reasoner; they now take them from present.py,
    results.py and display.py, and from inference at most the Reasoner."""
    assert _imports(module).get("inference", set()) <= {"Reasoner"}


def test_the_reasoner_module_re_exports_what_it_held():
    """Imports written before the split keep working: every name inference.py had is there, the
    same object as in its new home."""
    import exoreason.display as display
    import exoreason.inference as inference
    import exoreason.present as present
    import exoreason.results as results

    for name in ("DISCLAIMER", "ARROWS", "NOTE_MARK", "PATHS_SHOWN", "EdgeStep", "EvidenceEffect", "InferenceResult",
                 "OutcomePosterior", "cite", "closing_lines", "edge_lines", "effect_lines", "finding_record",
                 "finding_summary", "path_sign", "path_text", "short_citation", "strongest", "Reasoner"):
        assert name in inference.__all__ and hasattr(inference, name), name
        home = next((m for m in (display, present, results) if name in m.__all__), inference)
        assert getattr(inference, name) is getattr(home, name), name
    assert set(present.__all__).isdisjoint(results.__all__)


def test_one_engine_per_network_is_found_in_one_place(reasoner):
    """`engine if engine is not None and engine.compiled is compiled else Engine(compiled)` stood
    in learning, evaluation and uncertainty; engine_for is its one home, and no module repeats it."""
    from exoreason.engine import Engine, engine_for

    assert engine_for(reasoner.compiled, reasoner.engine) is reasoner.engine
    other = engine_for(reasoner.compiled)
    assert isinstance(other, Engine) and other is not reasoner.engine and other.compiled is reasoner.compiled
    assert engine_for(reasoner.compiled.with_tables({}), reasoner.engine) is not reasoner.engine
    for path in SRC.glob("*.py"):
        if path.name != "engine.py":
            assert "else Engine(" not in path.read_text(), path.name


def test_cohorts_progress_and_name_suggestions_have_one_home_each():
    """The cohort was split between learning.py and cohort.py, difflib suggestions written five
    times, progress display twice, the ancestor closure three times: each now has one home."""
    import exoreason.cohort as cohort
    import exoreason.learning as learning

    assert learning.Cohort is cohort.Cohort and learning.read_cohort is cohort.read_cohort
    assert cohort.Cohort.__module__ == "exoreason.cohort" and cohort.read_cohort.__module__ == "exoreason.cohort"
    assert "class Cohort" not in (SRC / "learning.py").read_text()
    for path in SRC.glob("*.py"):
        text = path.read_text()
        if path.name != "errors.py":
            assert "get_close_matches" not in text, path.name
        if path.name != "display.py":
            assert "\\rexoreason" not in text, path.name
        if path.name != "network.py":
            assert "stack.pop()" not in text, path.name
