"""The release's on-disk Oxigraph store: built once, opened read-only by queries, rebuilt when the
release changes, in the user's cache when the ontology directory cannot be written; and the
network's queries giving the same rows however the graph is stored."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from exoreason import query as query_module
from exoreason.query import build_store, load_named_query, load_store, run_query, store_locations
from exoreason.resources import ENTAILED_FILE, KG_FILE, ontology_dir

from .conftest import run_cli

EXTRA = ("<https://w3id.org/exoreason/test-extra> <http://www.w3.org/2000/01/rdf-schema#label> "
         "\"a triple added after the build\" .\n")


@pytest.fixture()
def release(tmp_path, monkeypatch):
    """A copy of the release files as the ontology directory queries read."""
    for name in (KG_FILE, ENTAILED_FILE):
        shutil.copy(ontology_dir() / name, tmp_path / name)
    monkeypatch.setenv("EXOREASON_ONTOLOGY_DIR", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    query_module._STORES.clear()
    return tmp_path


def _rows(source, name):
    """The query's rows as a sorted list (rows a query's ORDER BY leaves tied come in either order)."""
    rows = run_query(source, load_named_query(name).text).plain_rows()
    return sorted(rows, key=lambda row: sorted(row.items()))


def test_a_query_opens_the_built_store_read_only_and_answers_as_the_parsed_file(release):
    import pyoxigraph

    kg = release / KG_FILE
    parsed = pyoxigraph.Store()
    parsed.load(path=str(kg), format=pyoxigraph.RdfFormat.TURTLE)
    folder = build_store(kg)
    assert folder == release / "exoreason-kg.oxigraph" and folder.is_dir()
    store = load_store(kg)
    assert len(store) == len(parsed)
    with pytest.raises(RuntimeError, match="read-write"):  # opened read-only: nothing can change it
        store.add(_quad())
    for name in ("network-edges", "network-nodes", "network-findings", "emt-regulators"):
        assert _rows(store, name) == _rows(parsed, name)


def test_a_stale_store_is_rebuilt_and_never_answers_regression(release):
    """A release edited after its store was built: the query answers from the file as it is now, and
    the store is built again for the next query."""
    kg = release / KG_FILE
    folder = build_store(kg)
    stamp = (folder / "exoreason-source.sha256").read_text()
    with kg.open("a", encoding="utf-8") as handle:
        handle.write(EXTRA)
    ask = 'ASK { ?s rdfs:label "a triple added after the build" }'
    assert run_query(load_store(kg), ask).boolean
    assert (folder / "exoreason-source.sha256").read_text() != stamp
    query_module._STORES.clear()
    reopened = load_store(kg)
    with pytest.raises(RuntimeError, match="read-write"):
        reopened.add(_quad())
    assert run_query(reopened, ask).boolean


def _quad():
    import pyoxigraph

    return pyoxigraph.Quad(pyoxigraph.NamedNode("https://example.org/s"), pyoxigraph.NamedNode("https://example.org/p"),
                           pyoxigraph.Literal("o"))


def test_an_unwritable_ontology_directory_puts_the_store_in_the_user_cache(release, monkeypatch):
    import tempfile

    real = tempfile.mkdtemp

    def refuse(*args, dir=None, **kwargs):  # noqa: A002 -- tempfile's own keyword
        if dir is not None and Path(dir).resolve() == release.resolve():
            raise PermissionError(13, "Permission denied")
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    kg = release / KG_FILE
    folder = build_store(kg)
    assert folder == store_locations(kg)[1] and folder.is_relative_to(release / "cache")
    assert not (release / "exoreason-kg.oxigraph").exists()
    assert len(load_store(kg)) > 10_000


def test_query_builds_the_stores_it_lacks_and_answers_the_same_from_them(release):
    done = run_cli("query", "emt-regulators", "--format", "csv")
    assert done.returncode == 0, done.stderr
    assert (release / "exoreason-kg.oxigraph").is_dir()
    query_module._STORES.clear()
    again = run_cli("query", "emt-regulators", "--format", "csv")
    assert again.returncode == 0 and again.stdout == done.stdout
    reason = run_cli("query", "processes", "--reason", "--format", "csv")
    assert reason.returncode == 0, reason.stderr
    assert (release / "exoreason-entailed.oxigraph").is_dir()


@pytest.mark.parametrize("name", ["network-edges", "network-nodes", "network-findings"])
def test_the_network_queries_written_to_scale_give_the_rows_they_gave_before(name):
    """queries/network-edges.rq and network-nodes.rq computed each per-row EXISTS once as a set
    (they took over 60 s and 22 s on the graph copied 10x), network-findings follows the link the
    build states from a finding to the publication its review reference names instead of joining
    the number; on today's graph they give the rows their previous texts (tests/queries_before/)
    give, by Oxigraph and by rdflib."""
    from rdflib import Graph

    before = (Path(__file__).parent / "queries_before" / f"{name}.rq").read_text(encoding="utf-8")
    now = load_named_query(name).text
    assert before != now
    kg = ontology_dir() / KG_FILE
    store = load_store(kg)

    def ordered(found):  # rows the ORDER BY leaves tied come in either order
        return sorted(found, key=lambda row: sorted(row.items()))

    rows = ordered(run_query(store, now).plain_rows())
    assert rows == ordered(run_query(store, before).plain_rows()) and len(rows) > 100
    graph = Graph().parse(kg, format="turtle")
    assert ordered(run_query(graph, now).plain_rows()) == rows


# Two graphs that number their references alike (two copies of a source, or two sources): each
# has a finding citing reference 7 and the publication that number names in it.
SHARED_REFERENCE_TTL = """
@prefix exo: <https://w3id.org/exoreason/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix obo: <http://purl.obolibrary.org/obo/> .
@prefix a: <https://w3id.org/exoreason/a/> .
@prefix b: <https://w3id.org/exoreason/b/> .
a:pub a exo:Publication ; exo:reviewReference 7 .
b:pub a exo:Publication ; exo:reviewReference 7 .
a:finding a exo:TextClaim ; rdfs:label "A promotes X" ; exo:source "Section: A" ; exo:quote "A promotes X." ;
    exo:evidence obo:ECO_0000304 ; exo:reviewReference 7 ; exo:citedPublication a:pub .
b:finding a exo:TextClaim ; rdfs:label "B promotes Y" ; exo:source "Section: B" ; exo:quote "B promotes Y." ;
    exo:evidence obo:ECO_0000304 ; exo:reviewReference 7 ; exo:citedPublication b:pub .
"""


def test_network_findings_rows_do_not_multiply_when_two_graphs_share_a_review_reference_number_regression():
    """network-findings joined a finding's review reference number, a bare literal, with every
    publication carrying it: each finding of one graph took the other graph's publication too, so
    its rows grew as the square of the copies of the graph (and 100 copies never finished). It now
    follows exo:citedPublication, by Oxigraph and by rdflib."""
    import pyoxigraph
    from rdflib import Graph

    store = pyoxigraph.Store()
    store.load(SHARED_REFERENCE_TTL.encode(), format=pyoxigraph.RdfFormat.TURTLE)
    graph = Graph().parse(data=SHARED_REFERENCE_TTL, format="turtle")
    text = load_named_query("network-findings").text
    want = [("https://w3id.org/exoreason/a/finding", "7", "https://w3id.org/exoreason/a/pub"),
            ("https://w3id.org/exoreason/b/finding", "7", "https://w3id.org/exoreason/b/pub")]
    for source in (store, graph):
        rows = run_query(source, text).plain_rows()
        assert sorted((row["finding"], row["ref"], row["refStudy"]) for row in rows) == want
    # the join the query made before gives each finding both publications
    before = (Path(__file__).parent / "queries_before" / "network-findings.rq").read_text(encoding="utf-8")
    assert len(run_query(store, before).plain_rows()) == 4


def test_the_build_links_a_finding_to_the_publication_its_review_reference_names():
    """Every review reference of a finding that the publications templates give a publication for
    is linked to it (exo:citedPublication), and no finding is linked to any other publication."""
    from rdflib import Graph

    graph = Graph().parse(ontology_dir() / KG_FILE, format="turtle")
    named = """PREFIX exo: <https://w3id.org/exoreason/>
        SELECT ?finding ?publication WHERE {
          ?finding exo:statedIn ?statement ; exo:reviewReference ?ref .
          ?publication a exo:Publication ; exo:reviewReference ?ref }"""
    linked = "PREFIX exo: <https://w3id.org/exoreason/> SELECT ?finding ?publication WHERE { ?finding exo:citedPublication ?publication }"

    def pairs(text):
        return {(row["finding"], row["publication"]) for row in run_query(graph, text).plain_rows()}

    assert len(pairs(named)) > 10
    assert pairs(linked) == pairs(named)
