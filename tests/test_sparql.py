"""SPARQL as people write it: predefined prefixes, IRI bindings, graph formats, --reason, the
deadline, the vocabulary page, and a query path that starts without the heavy libraries.

The answers themselves are checked against the review in tests/test_queries.py; here the engine's
behaviour is, mostly in process (``run_query`` on the embedded Oxigraph store), through the
command line where the command line is the point.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Graph
from rdflib.compare import isomorphic

from exoreason.errors import ExoreasonError, InputError, QueryError, QueryTimeout
from exoreason.prefixes import CURIE_PREFIXES, SPARQL_PREFIXES
from exoreason.query import (
    grouped_queries,
    list_queries,
    load_named_query,
    load_store,
    parse_binding,
    run_query,
)
from exoreason.resources import ENTAILED_FILE, QUERY_GRAPH_FILE
from exoreason.sparql import analyse, with_values

from .conftest import assert_one_line_error, run_cli

ROOT = Path(__file__).resolve().parents[1]
RELEASE = ROOT / "ontology" / QUERY_GRAPH_FILE
ENTAILED = ROOT / "ontology" / ENTAILED_FILE
VOCABULARY = ROOT / "docs" / "vocabulary.md"
MIR155 = "miRBase:MIMAT0000646"  # hsa-miR-155-5p, the example of `exoreason query --help`
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.fixture(scope="module")
def store():
    return load_store(RELEASE)


def ask(source, text, **bindings):
    return run_query(source, text, bindings={k: parse_binding(f"{k}={v}")[1] for k, v in bindings.items()})


def values(result, column):
    return [row[column].value if column in row else "" for row in result.rows]


def label_iri(store, label):
    """The IRI of the entity with this label (tests name entities by label, never by identifier)."""
    found = ask(store, "SELECT ?x WHERE { ?x rdfs:label ?l FILTER(STR(?l) = STR(?name)) }", name=label)
    assert len(found.rows) == 1, (label, found.rows)
    return found.rows[0]["x"].value


# --------------------------------------------------------------------------------------------
# prefixes
# --------------------------------------------------------------------------------------------


def test_help_lists_every_predefined_prefix():
    done = run_cli("query", "--help")
    assert done.returncode == 0, done.stderr
    listed = dict(re.findall(r"^\s+([\w.]+):\s+<([^>]+)>$", done.stdout, re.MULTILINE))
    assert listed == SPARQL_PREFIXES
    assert {"exo", "obo", "rdf", "rdfs", "owl", "xsd", "oboInOwl", "dcterms", "skos"} | set(CURIE_PREFIXES) \
        <= set(SPARQL_PREFIXES)


def test_query_needs_no_prefix_lines():
    done = run_cli("query", "SELECT ?label WHERE { exo:Metastasis rdfs:label ?label . "
                   "GO:0001837 rdfs:label ?emt }", "--format", "csv")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["label", "metastasis"]


def test_own_prefix_line_takes_precedence(store):
    result = run_query(store, "PREFIX exo: <urn:other:> SELECT ?x WHERE { BIND(exo:a AS ?x) }")
    assert values(result, "x") == ["urn:other:a"]


def test_unknown_prefix_is_named_with_its_position():
    done = run_cli("query", "SELECT ?x WHERE {\n  ?x exo:targets ?y .\n  ?y foo:bar ?z }")
    assert_one_line_error(done, 2, "unknown prefix foo:", "line 3, column 6", "exo, obo")


def test_prefixed_names_from_an_endpoint_query_are_declared_for_the_server():
    from exoreason.sparql import prefix_lines

    text = "PREFIX exo: <urn:mine:> SELECT * WHERE { ?s rdfs:label ?l ; exo:p GO:1 }"
    lines = prefix_lines(analyse(text), SPARQL_PREFIXES)
    assert lines == (f"PREFIX GO: <{SPARQL_PREFIXES['GO']}>\nPREFIX rdfs: <{SPARQL_PREFIXES['rdfs']}>\n")


# --------------------------------------------------------------------------------------------
# bindings
# --------------------------------------------------------------------------------------------


def test_curie_binding_of_the_help_example_returns_the_rows():
    """Regression: `--bind mirna=miRBase:MIMAT0000646` (the --help example) returned 0 rows."""
    by_iri = run_cli("query", "targets-of-mirna", "--bind", f"mirna={MIR155}", "--format", "csv")
    by_name = run_cli("query", "targets-of-mirna", "--bind", "mirna=miR-155", "--format", "csv")
    assert by_iri.returncode == 0, by_iri.stderr
    assert by_iri.stdout.splitlines()[1:] == [
        "hsa-miR-155-5p,TP53INP1,unspecified,pancreatic ductal adenocarcinoma,chemoresistance,27"]
    assert by_iri.stdout == by_name.stdout


def test_every_help_example_of_query_runs(tmp_path):
    done = run_cli("query", "--help")
    examples = re.findall(r"Example: (exoreason .+)", done.stdout)
    assert len(examples) >= 3
    for example in examples:
        ran = run_cli(*shlex.split(example)[1:], cwd=tmp_path)
        assert ran.returncode == 0, (example, ran.stderr)
        assert "(0 rows)" not in ran.stdout and len(ran.stdout.splitlines()) >= 2, (example, ran.stdout)


@pytest.mark.parametrize("prefix", sorted(SPARQL_PREFIXES))
def test_iri_binding_works_for_every_predefined_prefix(store, prefix):
    namespace = SPARQL_PREFIXES[prefix]
    assert parse_binding(f"x={prefix}:Local")[1] == pyoxigraph.NamedNode(namespace + "Local")
    found = ask(store, "SELECT DISTINCT ?x WHERE { { ?x ?p ?o } UNION { ?s ?x ?o } UNION { ?s ?p ?x } "
                       "FILTER(isIRI(?x) && STRSTARTS(STR(?x), STR(?ns))) } ORDER BY ?x LIMIT 1", ns=namespace)
    if not found.rows:  # no term of this namespace in the graph (skos:): the expansion above is the test
        return
    local = found.rows[0]["x"].value[len(namespace):]
    occurs = "ASK { { ?x ?p ?o } UNION { ?s ?x ?o } UNION { ?s ?p ?x } }"
    assert ask(store, occurs, x=f"{prefix}:{local}").boolean is True
    assert ask(store, occurs, x=f"{prefix}:{local}-no-such-term").boolean is False


@pytest.mark.parametrize(("name", "variable", "label", "value"), [
    ("targets-of-mirna", "mirna", "hsa-miR-155-5p", "miR-155"),
    ("mirna-target-graph", "mirna", "hsa-miR-21-5p", "miR21"),
    ("mirnas-for-phenotype", "phenotype", "epithelial to mesenchymal transition", "EMT"),
    ("cargo-of-donor", "donor", "cancer stem cell", "CSC"),
])
def test_named_queries_take_an_iri_where_they_take_a_name(store, name, variable, label, value):
    from exoreason.prefixes import curie

    text = load_named_query(name).text
    iri = label_iri(store, label)
    by_name = run_query(store, text, bindings=dict([parse_binding(f"{variable}={value}")]))
    for written in (f"<{iri}>", curie(iri, SPARQL_PREFIXES)):
        by_iri = run_query(store, text, bindings=dict([parse_binding(f"{variable}={written}")]))
        if by_name.kind == "graph":
            assert isomorphic(by_iri.graph, by_name.graph) and len(by_iri.triples) > 0, written
        else:
            assert by_iri.rows == by_name.rows and by_iri.rows, written


def test_ask_takes_iris_for_both_names(store):
    from exoreason.prefixes import curie

    text = load_named_query("is-mirna-targeting").text
    tp53inp1, pten = (curie(label_iri(store, g), SPARQL_PREFIXES) for g in ("TP53INP1", "PTEN"))
    assert ask(store, text, mirna=MIR155, gene=tp53inp1).boolean is True
    assert ask(store, text, mirna=MIR155, gene=pten).boolean is False


def test_bound_values_cannot_change_the_query(store):
    text = load_named_query("curator-notes").text
    sneaky = '") } DELETE WHERE { ?s ?p ?o } # '
    assert ask(store, text, keyword=sneaky).rows == []
    assert len(ask(store, text).rows) > 0  # nothing was deleted, nothing was changed
    with pytest.raises(QueryError, match="not an IRI"):
        parse_binding("keyword=<urn:x> } DELETE WHERE { ?s ?p ?o>")


def test_bindings_reach_a_pattern_that_is_a_subquery(store):
    text = "SELECT ?label WHERE { SELECT ?m ?label WHERE { ?m exo:promotes ?g ; rdfs:label ?label } }"
    assert set(values(ask(store, text, m=MIR155), "label")) == {"hsa-miR-155-5p"}


def test_describe_without_pattern_refuses_bindings(store):
    with pytest.raises(QueryError, match="no WHERE pattern"):
        ask(store, "DESCRIBE ?x", x="exo:Metastasis")


@pytest.mark.parametrize("named", [q.name for q in list_queries()])
def test_every_variable_of_every_named_query_can_be_bound(store, named):
    """The VALUES clause lands where the engine accepts it, whichever variable is bound; a
    variable the query computes (`AS ?x`) is refused by name."""
    text = load_named_query(named).text
    shape = analyse(text)
    for variable in sorted(shape.variables):
        if variable in shape.computed:
            with pytest.raises(QueryError, match=re.escape(f"computes ?{variable}")):
                run_query(store, text, bindings={variable: pyoxigraph.Literal("x")})
        else:
            store.query(with_values(text, shape, {variable: '"x"'}), prefixes=SPARQL_PREFIXES)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=200))
def test_any_text_has_a_shape(text):
    shape = analyse(text)
    assert shape.form in ("", "SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "UPDATE")
    if shape.where is not None:
        start, end, _ = shape.where
        assert 0 < start <= end <= len(text)


_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.one_of(
    _text,
    st.builds(lambda a, b: f"SELECT * WHERE {{ ?s {a} ?o }} LIMIT {b}", _text, st.integers(-3, 5)),
    st.builds(lambda a: f"ASK {{ ?s ?p {a} }}", _text),
    st.builds(lambda a: f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ ?s ?p {a} }} LIMIT 2", _text),
    st.builds(lambda a: f"SELECT ?x WHERE {{ BIND({a} AS ?x) }}", _text),
), value=_text)
def test_any_text_on_oxigraph_answers_or_is_refused(store, query, value):
    """Whatever the text and the bound value: an answer or one ExoreasonError, never another
    exception, and the graph unchanged."""
    before = len(store)
    try:
        binding = dict([parse_binding(f"s={value}")]) if "?s" in query else {}
        result = run_query(store, query, bindings=binding)
    except ExoreasonError as exc:
        assert "\n" not in exc.message()
    else:
        assert result.kind in ("select", "ask", "graph")
        for fmt in ("ttl",) if result.kind == "graph" else ("table", "json", "tsv", "csv"):
            assert isinstance(result.render(fmt), str)
    assert len(store) == before


# --------------------------------------------------------------------------------------------
# formats
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "rdflib_format"), [("ttl", "turtle"), ("nt", "nt"), ("jsonld", "json-ld"),
                                                      ("TTL", "turtle"), ("JsonLD", "json-ld")])
def test_construct_in_each_graph_format(store, fmt, rdflib_format):
    done = run_cli("query", "mirna-target-graph", "--bind", "mirna=miR21", "--format", fmt)
    assert done.returncode == 0, done.stderr
    printed = Graph().parse(data=done.stdout, format=rdflib_format)
    expected = ask(store, load_named_query("mirna-target-graph").text, mirna="miR21").graph
    assert len(printed) == len(expected) == 9  # 4 targets, 4 gene labels, the miRNA's label
    assert isomorphic(printed, expected)


def test_construct_defaults_to_turtle():
    done = run_cli("query", "mirna-target-graph", "--bind", "mirna=miR21")
    assert done.returncode == 0 and "@prefix exo:" in done.stdout
    assert "exo:increasesExpressionOf" in done.stdout  # miR-21 raises MMP-2, -9, -13 and RANKL


@pytest.mark.parametrize("fmt", ["table", "csv", "tsv", "json"])
def test_construct_with_a_row_format_is_refused(fmt):
    """Regression: a CONSTRUCT under --format json printed Turtle."""
    done = run_cli("query", "mirna-target-graph", "--format", fmt)
    assert_one_line_error(done, 2, "CONSTRUCT", "RDF graph", "ttl, nt, jsonld")
    assert done.stdout == ""


@pytest.mark.parametrize(("query", "fmt"), [("targets-of-mirna", "ttl"), ("coverage", "jsonld"),
                                            ("ASK { ?s ?p ?o }", "nt")])
def test_rows_with_a_graph_format_are_refused(query, fmt):
    assert_one_line_error(run_cli("query", query, "--format", fmt), 2, "table, csv, tsv, json")


def test_unknown_format_is_named():
    assert_one_line_error(run_cli("query", "coverage", "--format", "xlsx"), 2, "'xlsx'", "ttl")
    assert_one_line_error(run_cli("coverage", "--format", "ttl"), 2, "'ttl'")


def test_format_is_case_insensitive():
    lower = run_cli("query", "targets-of-mirna", "--bind", "mirna=miR-155", "--format", "json")
    for fmt in ("JSON", "Json"):
        done = run_cli("query", "targets-of-mirna", "--bind", "mirna=miR-155", "--format", fmt)
        assert done.returncode == 0 and done.stdout == lower.stdout
    assert run_cli("coverage", "--format", "CSV").stdout == run_cli("coverage", "--format", "csv").stdout


def test_ask_as_json_and_describe_as_turtle():
    done = run_cli("query", "ASK { exo:Metastasis rdfs:label ?l }", "--format", "json")
    assert json.loads(done.stdout) == {"head": {}, "boolean": True}
    described = run_cli("query", "DESCRIBE exo:Metastasis")
    assert described.returncode == 0, described.stderr
    graph = Graph().parse(data=described.stdout, format="turtle")
    assert any(str(o) == "metastasis" for o in graph.objects())


# --------------------------------------------------------------------------------------------
# --reason: the entailed graph built once
# --------------------------------------------------------------------------------------------


def test_entailed_release_holds_the_graph_and_its_closure():
    release = load_store(RELEASE)
    entailed = load_store(ENTAILED)
    # A Turtle parser labels the release's blank nodes afresh, so compare the named triples, and
    # the blank-node triples by count.
    named = [q for q in release if not any(isinstance(t, pyoxigraph.BlankNode) for t in (q.subject, q.object))]
    assert set(named) <= set(entailed)
    blank = len(list(release)) - len(named)
    assert blank and blank <= sum(1 for q in entailed if isinstance(q.subject, pyoxigraph.BlankNode)
                                  or isinstance(q.object, pyoxigraph.BlankNode))
    inverse = "SELECT ?g ?m WHERE { ?g exo:targetedBy ?m }"
    assert len(run_query(release, inverse).rows) == 0
    assert len(run_query(entailed, inverse).rows) == len(run_query(release, "SELECT * WHERE { ?m exo:targets ?g }").rows)


_RESTRICTIONS = """
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ex: <https://example.org/> .
ex:targets a owl:ObjectProperty ; owl:inverseOf ex:targetedBy .
ex:MiR rdfs:subClassOf [ a owl:Restriction ; owl:onProperty ex:targets ; owl:someValuesFrom ex:Gene ] .
ex:Other rdfs:subClassOf [ a owl:Restriction ; owl:onProperty ex:targets ; owl:someValuesFrom ex:Gene2 ] .
ex:m ex:targets ex:g ; rdfs:label "m" .
"""


_RELABELLED = """
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ex: <https://example.org/> .
ex:m rdfs:label "m" ; ex:targets ex:g .
_:zz9 owl:someValuesFrom ex:Gene2 ; owl:onProperty ex:targets ; a owl:Restriction .
ex:Other rdfs:subClassOf _:zz9 .
ex:MiR rdfs:subClassOf _:aa1 .
_:aa1 a owl:Restriction ; owl:onProperty ex:targets ; owl:someValuesFrom ex:Gene .
ex:targets owl:inverseOf ex:targetedBy ; a owl:ObjectProperty .
"""


def test_entailed_release_is_the_same_whatever_the_blank_node_labels():
    from rdflib import Graph

    from exoreason.ontology import stable_copy
    from exoreason.reasoning import entailed_ntriples

    def entailed(text: str) -> bytes:
        return entailed_ntriples(stable_copy(Graph().parse(data=text, format="turtle")))

    first = entailed(_RESTRICTIONS)
    assert entailed(_RESTRICTIONS) == first
    assert entailed(_RELABELLED) == first  # the same graph written otherwise
    lines = first.decode().splitlines()
    assert lines == sorted(lines) and len(lines) == len(set(lines))
    assert "<https://example.org/g> <https://example.org/targetedBy> <https://example.org/m> ." in lines
    assert not any(line.startswith('"') for line in lines)  # no generalized triples
    blank = {label for line in lines for label in re.findall(r"_:(\w+)", line)}
    assert len(blank) == 2


def test_reason_on_the_command_line_reads_the_entailed_release(tmp_path):
    done = run_cli("query", "inverse-relations", "--reason", "--format", "csv")
    assert done.returncode == 0, done.stderr
    assert "PTEN,targeted by,hsa-miR-19b-3p" in done.stdout
    assert run_cli("query", "inverse-relations", "--format", "csv").stdout.splitlines() == [
        "subject,relation,object"]


def test_reason_with_an_endpoint_is_refused():
    done = run_cli("query", "processes", "--reason", "--endpoint", "http://127.0.0.1:9/query")
    assert_one_line_error(done, 2, "--reason", "push --reason")


def test_reason_without_an_entailed_file_says_to_build(tmp_path):
    (tmp_path / QUERY_GRAPH_FILE).write_bytes(RELEASE.read_bytes())
    done = run_cli("query", "processes", "--reason", env={"EXOREASON_ONTOLOGY_DIR": str(tmp_path)})
    assert_one_line_error(done, 2, ENTAILED_FILE, "exoreason build")


def _wait_for(base):
    for _ in range(150):
        try:
            return run_query(None, "ASK {}", endpoint=f"{base}/query", retries=0, timeout=2)
        except ExoreasonError:
            time.sleep(0.2)
    raise AssertionError(f"no server at {base}")


@pytest.fixture()
def private_server(private_oxigraph_server):
    """An Oxigraph server of this test's own (the shared one must keep the plain graph)."""
    return private_oxigraph_server


def test_push_reason_loads_the_entailed_graph(private_server):
    done = run_cli("push", "--reason", "--endpoint", f"{private_server}/store")
    assert done.returncode == 0, done.stderr
    assert ENTAILED_FILE in done.stdout
    text = load_named_query("inverse-relations").text
    remote = run_query(None, text, endpoint=f"{private_server}/query")
    embedded = run_query(load_store(ENTAILED), text)
    assert remote.rows == embedded.rows and len(remote.rows) > 7


def test_service_is_followed_with_allow_remote(store, private_server):
    assert run_cli("push", "--endpoint", f"{private_server}/store").returncode == 0
    text = f"SELECT ?f WHERE {{ SERVICE <{private_server}/query> {{ ?f a exo:MiRNATransferFinding }} }}"
    with pytest.raises(QueryError, match="SERVICE"):
        run_query(store, text)
    local = run_query(store, "SELECT ?f WHERE { ?f a exo:MiRNATransferFinding }")
    assert len(run_query(store, text, allow_remote=True).rows) == len(local.rows) >= 10


# --------------------------------------------------------------------------------------------
# the deadline
# --------------------------------------------------------------------------------------------


def test_embedded_timeout_stops_a_runaway_query(store):
    start = time.monotonic()
    with pytest.raises(QueryTimeout, match="stopped after 1 s"):
        run_query(store, RUNAWAY, embedded_timeout=1)
    assert time.monotonic() - start < 15


@pytest.mark.parametrize("named", [q.name for q in list_queries()])
def test_answers_through_the_deadline_are_the_same(store, named):
    text = load_named_query(named).text
    direct = run_query(store, text)
    piped = run_query(store, text, embedded_timeout=60)
    assert (piped.kind, piped.variables, piped.rows, piped.boolean) == \
        (direct.kind, direct.variables, direct.rows, direct.boolean)
    assert piped.triples == direct.triples


def test_blank_nodes_and_errors_cross_the_deadline(store):
    text = "CONSTRUCT { _:b exo:about ?m } WHERE { ?m exo:targets ?g } LIMIT 3"
    piped = run_query(store, text, embedded_timeout=60)
    assert all(isinstance(t.subject, pyoxigraph.BlankNode) for t in piped.triples) and piped.triples
    with pytest.raises(QueryError, match=r"malformed SPARQL at line 2, column \d+"):
        run_query(store, "SELECT ?x WHERE {\n ?x ?y }", embedded_timeout=60)


# --------------------------------------------------------------------------------------------
# the cold start: nothing heavy on the query path
# --------------------------------------------------------------------------------------------


HEAVY = ("rdflib", "pandas", "pgmpy", "owlready2", "owlrl", "SPARQLWrapper", "curies", "pydantic")


@pytest.mark.parametrize("args", [
    ["query", "targets-of-mirna", "--bind", "mirna=miR-155"],
    ["query", "targets-of-mirna", "--bind", f"mirna={MIR155}", "--format", "json"],
    ["query", "mirna-target-graph", "--format", "jsonld"],
    ["query", "processes", "--reason"],
    ["query", "--list"],
    ["coverage"],
])
def test_query_path_imports_no_heavy_library(args):
    probe = subprocess.run(
        [sys.executable, "-c",
         (f"import sys\nsys.argv = ['exoreason', *{args!r}]\nfrom exoreason.cli import main\n"
         "try:\n    main()\nexcept SystemExit as exit:\n    assert exit.code == 0, exit.code\n"
         f"print('HEAVY', sorted(m for m in {HEAVY!r} if m in sys.modules))")],
        capture_output=True, text=True, check=False)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.splitlines()[-1] == "HEAVY []"


# --------------------------------------------------------------------------------------------
# the Python API
# --------------------------------------------------------------------------------------------


def test_query_frame_answers_with_oxigraph_on_any_graph():
    from exoreason.api import load_graph, query_frame

    frame = query_frame("targets-of-mirna", mirna=MIR155)
    assert frame.to_dict("records") == [{"miRNA": "hsa-miR-155-5p", "gene": "TP53INP1", "effect": "unspecified",
                                         "disease": "pancreatic ductal adenocarcinoma",
                                         "function": "chemoresistance", "reference": 27}]
    graph = load_graph()
    assert query_frame("targets-of-mirna", graph, mirna="miR-155").equals(frame)
    assert query_frame("targets-of-mirna", RELEASE, mirna="miR-155").equals(frame)
    steps = set(query_frame("processes", reason=True)["label"])
    assert "intravasation" in steps and steps >= set(query_frame("processes", graph, reason=True)["label"])


def test_query_frame_refuses_what_it_cannot_ask():
    from exoreason.api import query_frame

    with pytest.raises(InputError, match="reason=True"):
        query_frame("processes", reason=True, endpoint="http://127.0.0.1:9/query")
    with pytest.raises(InputError, match="cannot query a int"):
        query_frame("processes", 42)


# --------------------------------------------------------------------------------------------
# docs/vocabulary.md and the README
# --------------------------------------------------------------------------------------------


def _sparql_blocks(text):
    return re.findall(r"```sparql\n(.*?)```", text, re.DOTALL)


def test_vocabulary_page_is_current():
    from exoreason.vocabulary_page import vocabulary_markdown

    expected = vocabulary_markdown(RELEASE.read_bytes(), f"ontology/{QUERY_GRAPH_FILE}")
    assert VOCABULARY.read_bytes() == expected, "docs/vocabulary.md is stale; run `exoreason build`"


def test_every_example_on_the_vocabulary_page_answers(store):
    blocks = _sparql_blocks(VOCABULARY.read_text(encoding="utf-8"))
    assert len(blocks) > 50
    empty = [block for block in blocks if not run_query(store, block).rows]
    assert not empty, empty[:3]


def test_vocabulary_page_names_every_property_the_named_queries_use(store):
    from exoreason.prefixes import curie

    headings = [line for line in VOCABULARY.read_text(encoding="utf-8").splitlines() if line.startswith("### ")]
    predicates = {row["p"].value for row in run_query(store, "SELECT DISTINCT ?p WHERE { ?s ?p ?o }").rows}
    used = set()
    for named in list_queries():
        for prefix, local in re.findall(r"\b(exo|rdfs|oboInOwl|dcterms|obo):([A-Za-z_]\w*)", named.text):
            if SPARQL_PREFIXES[prefix] + local in predicates:
                used.add(SPARQL_PREFIXES[prefix] + local)
    assert {SPARQL_PREFIXES["exo"] + "hasMiRNA", SPARQL_PREFIXES["rdfs"] + "label"} <= used
    missing = [iri for iri in sorted(used)
               if not any(line.endswith(f"`{curie(iri, SPARQL_PREFIXES)}`)") or line == f"### `{curie(iri, SPARQL_PREFIXES)}`"
                          for line in headings)]
    assert not missing, missing


def test_vocabulary_page_lists_every_class(store):
    page = VOCABULARY.read_text(encoding="utf-8")
    classes = run_query(store, "SELECT DISTINCT ?c WHERE { ?c a owl:Class FILTER(isIRI(?c)) }").rows
    assert f"{len(classes)} classes" in page
    from exoreason.prefixes import curie

    missing = [c["c"].value for c in classes if f"`{curie(c['c'].value, SPARQL_PREFIXES)}`" not in page]
    assert not missing, missing[:5]


def _readme_queries_section():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("### Queries")
    end = readme.index("\n## ", start)
    return readme[start:end]


def test_readme_query_examples_run_and_answer(store):
    blocks = _sparql_blocks(_readme_queries_section())
    assert len(blocks) >= 2
    for block in blocks:
        assert run_query(store, block).rows, block


def test_readme_names_real_properties(store):
    named = set(re.findall(r"`(exo:[A-Za-z]\w*)`", _readme_queries_section()))
    assert len(named) >= 10
    terms = {row["x"].value for row in run_query(
        store, "SELECT DISTINCT ?x WHERE { { ?s ?x ?o } UNION { ?x ?p ?o } UNION { ?s ?p ?x } }").rows}
    stale = [n for n in sorted(named) if SPARQL_PREFIXES["exo"] + n[4:] not in terms]
    assert not stale, f"README names terms the graph lacks: {stale}"


def test_list_groups_by_file_name():
    groups = grouped_queries()
    assert all(q.name.endswith("-violation") for q in groups["check"])
    assert all(q.name.startswith("network-") for q in groups["network"])
    assert sum(len(g) for g in groups.values()) == len(list_queries())
