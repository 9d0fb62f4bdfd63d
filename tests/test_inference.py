"""Inference on a tiny network whose posteriors are worked out by hand, and on the review's network.

The tiny network (tests/conftest.py): cargo A and B (base rate 0.5), gene effect G (leak 0.1),
process P (leak 0.2). Edges, each from one review-statement study (strength 1 - (0.1 + 0.4) = 0.5):
A -> G (promotes), G -> P (promotes), B -| P (inhibits).

    P(G=1 | A=1) = 1 - 0.9 * 0.5 = 0.55          P(G=1 | A=0) = 0.1 (the leak)
    P(P=1 | G, B) = [1 - 0.8 * 0.5^G] * 0.5^B:   G0B0 0.2, G1B0 0.6, G0B1 0.1, G1B1 0.3
    prior: P(G=1) = 0.5 * 0.55 + 0.5 * 0.1 = 0.325
           P(P=1) = 0.5 * (0.325 * 0.6 + 0.675 * 0.2) + 0.5 * (0.325 * 0.3 + 0.675 * 0.1)
                  = 0.5 * 0.33 + 0.5 * 0.165 = 0.2475
    A present (activation): P(G=1) = 0.55; P(P=1) = 0.5 * 0.42 + 0.5 * 0.21 = 0.315
    B present (inhibition): P(P=1) = 0.325 * 0.3 + 0.675 * 0.1 = 0.165
    A absent (--absent):    P(G=1) = 0.1;  P(P=1) = 0.5 * 0.24 + 0.5 * 0.12 = 0.18
    A and B present:        P(P=1) = 0.55 * 0.3 + 0.45 * 0.1 = 0.21
"""

from __future__ import annotations

import json

import pytest

from exoreason.errors import ConfigError, InferenceError
from exoreason.inference import DISCLAIMER, Reasoner
from exoreason.model import load_parameters

from .conftest import assert_one_line_error, run_cli


@pytest.fixture()
def tiny(tiny_spec, tiny_config):
    return Reasoner(tiny_spec, load_parameters(tiny_config))


def test_tiny_network_structure(tiny_spec):
    kinds = {n.key: n.kind for n in tiny_spec.nodes}
    assert kinds == {"miR_A": "cargo", "miR_B": "cargo", "GENEG_repressed": "gene_effect", "P": "outcome"}
    signs = {(e.parent, e.child): e.sign for e in tiny_spec.edges}
    assert signs == {("miR_A", "GENEG_repressed"): "+", ("GENEG_repressed", "P"): "+", ("miR_B", "P"): "-"}


def test_prior(tiny):
    assert tiny.marginals({})["P"] == pytest.approx(0.2475, abs=1e-12)
    assert tiny.marginals({}, ["GENEG_repressed"])["GENEG_repressed"] == pytest.approx(0.325, abs=1e-12)


def test_activation(tiny):
    assert tiny.marginals({"miR_A": True})["P"] == pytest.approx(0.315, abs=1e-12)
    assert tiny.marginals({"miR_A": True}, ["GENEG_repressed"])["GENEG_repressed"] == pytest.approx(0.55, abs=1e-12)


def test_inhibition(tiny):
    assert tiny.marginals({"miR_B": True})["P"] == pytest.approx(0.165, abs=1e-12)


def test_leak_and_absent_evidence(tiny):
    assert tiny.marginals({"miR_A": False}, ["GENEG_repressed"])["GENEG_repressed"] == pytest.approx(0.1, abs=1e-12)
    assert tiny.marginals({"miR_A": False})["P"] == pytest.approx(0.18, abs=1e-12)


def test_two_observations_and_explanation(tiny):
    result = tiny.infer_names(["mirA", "miR-B"])
    p = result.outcome("P")
    assert p.prior == pytest.approx(0.2475, abs=1e-12)
    assert p.posterior == pytest.approx(0.21, abs=1e-12)
    effects = {e.node: e for e in p.explanation}
    # Without A (B alone) the posterior is 0.165; without B (A alone) it is 0.315.
    assert effects["miR_A"].posterior_without == pytest.approx(0.165, abs=1e-12)
    assert effects["miR_B"].posterior_without == pytest.approx(0.315, abs=1e-12)
    path = effects["miR_A"].paths[0]
    assert [(s.parent, s.child) for s in path] == [("miR_A", "GENEG_repressed"), ("GENEG_repressed", "P")]
    assert path[0].findings[0]["label"] == "finding F1"
    assert path[0].findings[0]["review_refs"] == [1]
    assert effects["miR_B"].paths[0][0].sign == "-"


def test_cancer_weighting(tiny_spec, tiny_config):
    # Asked about disease two, F1 (disease one) counts with reliability 0.6 * 0.5 = 0.3:
    # strength = 1 - (0.1 + 0.7) = 0.2; C1 has no disease and keeps 0.5.
    params = load_parameters(tiny_config)
    off = Reasoner(tiny_spec, params, cancer="D2")
    assert off.compiled.strengths[("miR_A", "GENEG_repressed")] == pytest.approx(0.2)
    assert off.compiled.strengths[("miR_B", "P")] == pytest.approx(0.5)
    same = Reasoner(tiny_spec, params, cancer="disease one")
    assert same.compiled.strengths[("miR_A", "GENEG_repressed")] == pytest.approx(0.5)
    with pytest.raises(InferenceError, match="unknown cancer type 'D3'"):
        Reasoner(tiny_spec, params, cancer="D3")


def test_cancer_follows_the_disease_hierarchy_regression(tiny_spec, tiny_config):
    """`--cancer cancer` (the root) moved priors exactly like a specific cancer did."""
    params = load_parameters(tiny_config)
    plain = Reasoner(tiny_spec, params)
    root = Reasoner(tiny_spec, params, cancer="cancer")
    assert root.compiled.strengths == plain.compiled.strengths  # the root changes nothing
    assert root.marginals({}) == plain.marginals({})
    assert "root" in root.infer({}).context
    # F1 studied disease one: it counts fully for disease one and every broader type ...
    assert Reasoner(tiny_spec, params, cancer="D1").compiled.strengths[("miR_A", "GENEG_repressed")] == pytest.approx(0.5)
    # ... but not for a narrower one (a study of disease one is not a study of disease one a).
    narrower = Reasoner(tiny_spec, params, cancer="D1a")
    assert narrower.compiled.strengths[("miR_A", "GENEG_repressed")] == pytest.approx(0.2)
    assert tiny_spec.cancer_context(next(c.iri for c in tiny_spec.cancers if c.label == "disease one")) == {
        c.iri for c in tiny_spec.cancers if c.label in ("disease one", "disease one a")}
    note = narrower.infer({}).context
    assert "disease one a" in note and "priors" in note


def test_a_study_counts_by_its_studied_disease_not_the_printed_one(reasoner):
    """Table 3 prints LUC for miR-1247-3p (an HCC study): its edges count fully for HCC."""
    from exoreason.inference import Reasoner as R

    hcc = R(reasoner.spec, reasoner.params, cancer="hepatocellular carcinoma")
    lung = R(reasoner.spec, reasoner.params, cancer="lung cancer")
    edge = ("hsa_miR_1247_3p", "B4GALT3_repressed")
    assert hcc.compiled.strengths[edge] == pytest.approx(reasoner.compiled.strengths[edge])
    assert lung.compiled.strengths[edge] < hcc.compiled.strengths[edge]


def test_names_resolve_and_errors(tiny):
    assert tiny.resolve_cargo("MIRA") == "miR_A"
    with pytest.raises(InferenceError, match="unknown cargo 'miR-C'; closest: miR-B, miR-A"):
        tiny.resolve_cargo("miR-C")
    with pytest.raises(InferenceError, match="contradictory evidence"):
        tiny.infer_names(["miR-A"], ["mirA"])


def test_bad_config(tmp_path, tiny_spec):
    bad = tmp_path / "bad.toml"
    bad.write_text("[leak]\nprocess = 1.5\n")
    with pytest.raises(ConfigError, match=r"leak.process must be a probability"):
        load_parameters(bad)
    bad.write_text("[leak\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_parameters(bad)
    bad.write_text("[evidence.kinds.\"ECO:0000304\"]\nrandom = 0.8\nsystematic = 0.5\n")
    with pytest.raises(ConfigError, match="must not exceed 1"):
        load_parameters(bad)
    bad.write_text("[network]\nmax_parent = 4\n")
    with pytest.raises(ConfigError, match=r"unknown parameter: network.max_parent \(closest: max_parents\)"):
        load_parameters(bad)


def test_parents_are_factored_exactly(tiny_spec, tiny_config, tmp_path):
    """Grouping parents under auxiliary OR nodes leaves the posteriors unchanged."""
    cfg = tmp_path / "two.toml"
    cfg.write_text(tiny_config.read_text() + "\n[network]\nmax_parents = 2\n")
    flat = Reasoner(tiny_spec, load_parameters(tiny_config))
    grouped = Reasoner(tiny_spec, load_parameters(cfg))
    for evidence in ({}, {"miR_A": True}, {"miR_B": True, "miR_A": False}):
        assert grouped.marginals(evidence)["P"] == pytest.approx(flat.marginals(evidence)["P"], abs=1e-12)


# --- the review's network -------------------------------------------------------------------------

# Table 3 as the review prints it: each row's miRNA, the function column, and the direction that
# function names (every row's function is one the exosomal miRNA promotes). Each row's function
# maps to network nodes as the curation does (metastatic -> metastasis; malignant -> malignant
# progression, which the network leaves out: the review states no outcome it leads to); the
# gene-effect nodes carry the direction the row's source states (templates/mirna-transfer.tsv),
# one node for all the genes one finding acts on.
TABLE3 = {
    # miRNA key: (function as printed, {node: expected direction}, target-gene effect nodes)
    "hsa_miR_25_3p": ("metastatic", {"metastasis": "+"}, ["KLF2_KLF4_repressed"]),
    "hsa_miR_1247_3p": ("metastasis", {"metastasis": "+"}, ["B4GALT3_repressed"]),
    # proliferation in general reaches no outcome (the review's colonization step is the proliferation
    # of metastatic cells at the distant site): the network leaves it out, named
    "hsa_miR_423_5p": ("proliferation and migration", {"migration": "+"}, ["SUFU_repressed"]),
    "hsa_miR_141_3p": ("angiogenesis and malignant", {"angiogenesis": "+"}, ["MEOX2_changed"]),
    "hsa_miR_103a_3p": ("migration", {"migration": "+"}, ["CDH5_CTNND1_TJP1_repressed"]),
    "hsa_miR_1246": ("migration and chemoresistance", {"migration": "+", "chemoresistance": "+"}, ["CCNG2_changed"]),
    "hsa_miR_19b_3p": ("EMT", {"EMT": "+"}, ["PTEN_repressed"]),
    "hsa_miR_210_3p": ("metastatic", {"metastasis": "+"}, ["FGFRL1_changed"]),
    "hsa_miR_21_5p": ("metastatic", {"metastasis": "+"}, ["MMP13_MMP2_MMP9_TNFSF11_induced"]),
    "hsa_miR_100_5p": ("metastatic", {"metastasis": "+"}, ["MMP13_MMP2_MMP9_TNFSF11_induced"]),
    "hsa_miR_139_5p": ("metastatic", {"metastasis": "+"}, ["MMP13_MMP2_MMP9_TNFSF11_induced"]),
    "hsa_miR_155_5p": ("chemoresistance", {"chemoresistance": "+"}, ["TP53INP1_changed"]),
}


@pytest.mark.parametrize("mirna", sorted(TABLE3))
def test_every_table3_mirna_moves_the_outcome_its_function_names(reasoner, mirna):
    _function, directions, genes = TABLE3[mirna]
    result = reasoner.infer({mirna: True})
    for key, direction in directions.items():
        o = result.outcome(key)
        moved = o.posterior - o.prior
        assert (moved > 1e-6) if direction == "+" else (moved < -1e-6), (mirna, key, o.prior, o.posterior)
        steps = [s for e in o.explanation for path in e.paths for s in path]
        assert {s.child for s in steps} & set(genes), (mirna, key)
        assert any(f["source"] == "Table 3" for s in steps for f in s.findings)


def test_a_function_the_network_leaves_out_is_named_with_its_reason(reasoner):
    out = {x.label: x.reason for x in reasoner.spec.left_out}
    assert "reaches" in out["malignant progression"] or "outcome" in out["malignant progression"]


@pytest.mark.parametrize("name", ["miR-103", "miR-423-5p", "miR-1246"])
def test_table3_migration_and_proliferation_mirnas_raise_metastasis_regression(reasoner, name):
    """Their functions (migration, proliferation) once ended there: metastasis stayed at +0.000."""
    metastasis = reasoner.infer_names([name]).outcome("metastasis")
    assert metastasis.posterior > metastasis.prior + 1e-4


def test_no_process_is_a_dead_end(reasoner):
    """Every node reaches an outcome but the exosomal detections of molecules that act in tumour
    cells (they are evidence of those), and every entity the build left out is named with a reason."""
    spec = reasoner.spec
    outcomes = [n.key for n in spec.nodes if n.kind == "outcome"]
    reach: set[str] = set()
    for key in outcomes:
        reach |= spec.ancestors(key)
    measured = {e.child for e in spec.edges if e.relation == "measurement"}
    assert measured == {"hsa_miR_200c_3p"}
    assert {n.key for n in spec.nodes} - measured == reach
    assert spec.left_out and all(x.reason for x in spec.left_out)
    assert {"immune escape", "apoptotic process"} <= {x.label for x in spec.left_out}


def test_mir200c_lowers_emt_and_met_downstream(reasoner):
    """Exosomal miR-200c is evidence of miR-200c in the tumour cells, which the review's p53
    argument says keeps EMT down: every route from it lowers metastasis, through that measurement."""
    result = reasoner.infer_names(["miR-200c"])
    for key in ("EMT", "dissemination", "MET", "colonization", "metastasis"):
        o = result.outcome(key)
        assert o.posterior < o.prior - 1e-6, key
    from exoreason.explanation import explain

    found = explain(reasoner, result, "metastasis", every_path=True)
    paths = [[s.child for s in path] for e in found.effects for path in e.paths]
    assert any("EMT" in p and "MET" in p and "colonization" in p for p in paths)
    assert all(p[0] == "hsa_miR_200c_3p_cellular" for p in paths)
    assert all(path[0].measured for e in found.effects for path in e.paths)
    (effect,) = found.effects
    assert effect.inhibiting == effect.promoting + effect.inhibiting > 5  # every route lowers it


def test_p53_loss_raises_emt_and_lowers_exosomal_mir200c(reasoner):
    result = reasoner.infer({"TP53_loss": 1.0})
    assert result.outcome("EMT").posterior > result.outcome("EMT").prior
    mir = reasoner.marginals({"TP53_loss": 1.0}, ["hsa_miR_200c_3p"])["hsa_miR_200c_3p"]
    assert mir < reasoner.marginals({}, ["hsa_miR_200c_3p"])["hsa_miR_200c_3p"]


def test_met_is_required_for_colonization(reasoner):
    edge = next(e for e in reasoner.spec.edges if (e.parent, e.child) == ("MET", "colonization"))
    assert edge.sign == "!"
    assert "E-met-necessary" in {f.finding.rsplit("/", 1)[-1] for f in edge.findings}
    without = reasoner.marginals({}, ["colonization"], do={"MET": False})["colonization"]
    with_met = reasoner.marginals({}, ["colonization"], do={"MET": True})["colonization"]
    assert without < 0.5 * with_met


def test_mir200_family_is_no_causal_node_regression(reasoner):
    """The review restrains EMT through miR-200c (with p53); of the miR-200 family it says only that
    it acts on 'the inhibition or expression of EMT-TF'. The family once inhibited EMT in the network,
    a direction the review gives no member but miR-200c. The review alone still gives the family no
    node; the exosomal miR-200 study (source mir200-ev-2014) gives the vesicle-borne family one, with
    the directions it reports (MET, metastasis) and still no edge to EMT."""
    review = Reasoner.from_files(sources=["review"])
    assert "miR_200_family" not in review.spec.keys
    with pytest.raises(InferenceError):
        review.infer_names(["miR-200 family"])
    children = {(e.child, e.sign) for e in reasoner.spec.edges if e.parent == "miR_200_family"}
    assert children == {("MET", "+"), ("metastasis", "+")}


def test_mir155_explanation_names_tp53inp1_and_source(reasoner):
    result = reasoner.infer_names(["miR-155"])
    chemo = result.outcome("chemoresistance")
    steps = [s for e in chemo.explanation for path in e.paths for s in path]
    assert ("hsa_miR_155_5p", "TP53INP1_changed") in {(s.parent, s.child) for s in steps}
    studies = [st for s in steps for f in s.findings for st in f["primary_studies"]]
    assert any(st["pmid"] == "28198398" for st in studies)


def test_outcomes_include_the_contract_keys(reasoner):
    keys = set(reasoner.outcome_keys)
    assert {"metastasis", "chemoresistance", "recurrence", "EMT"} <= keys


# --- the command line -----------------------------------------------------------------------------

def test_cli_infer_json_contract():
    done = run_cli("infer", "--cargo", "miR-155", "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["evidence"] == {"hsa_miR_155_5p": True}
    assert data["note"] == DISCLAIMER
    outcomes = {o["key"]: o for o in data["outcomes"]}
    for key in ("metastasis", "chemoresistance", "recurrence", "EMT"):
        assert {"key", "label", "iri", "prior", "posterior", "explanation"} <= set(outcomes[key])
    assert outcomes["chemoresistance"]["iri"] == "https://w3id.org/exoreason/Chemoresistance"
    assert outcomes["chemoresistance"]["posterior"] > outcomes["chemoresistance"]["prior"]


def test_cli_infer_table_sorted_by_change_with_disclaimer():
    done = run_cli("infer", "--cargo", "miR155")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[2].split()[:2] == ["outcome", "chemoresistance"]
    assert "not clinical predictions" in done.stdout
    assert "TP53INP1" in done.stdout


@pytest.mark.parametrize(("args", "needles"), [
    (["--cargo", "miR-15"], ["unknown cargo 'miR-15'", "miR-155"]),
    (["--cargo", "miR-155", "--absent", "hsa-miR-155-5p"], ["contradictory evidence", "hsa-miR-155-5p"]),
    (["--cargo", "miR-155", "--cancer", "lung cancr"], ["unknown cancer type 'lung cancr'", "lung cancer"]),
    (["--cargo", "miR-155", "--format", "xml"], ["'xml' is not one of 'table', 'json', 'csv'"]),
])
def test_cli_infer_bad_input(args, needles):
    assert_one_line_error(run_cli("infer", *args), 2, *needles)


def test_cli_infer_bad_config(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[base_rate]\ncargo = -0.1\n")
    assert_one_line_error(run_cli("infer", "--cargo", "miR-155", "--config", str(cfg)), 2, "base_rate.cargo")
    assert_one_line_error(run_cli("infer", "--cargo", "miR-155", "--config", str(tmp_path / "none.toml")), 2,
                          "config file not found")


def test_cli_infer_config_override_changes_answer(tmp_path):
    cfg = tmp_path / "strong.toml"
    cfg.write_text('[strength.edges]\n"hsa_miR_155_5p->TP53INP1_changed" = 0.99\n')
    base = json.loads(run_cli("infer", "--cargo", "miR-155", "--format", "json").stdout)
    strong = json.loads(run_cli("infer", "--cargo", "miR-155", "--format", "json", "--config", str(cfg)).stdout)
    post = {o["key"]: o["posterior"] for o in base["outcomes"]}
    post_strong = {o["key"]: o["posterior"] for o in strong["outcomes"]}
    assert post_strong["chemoresistance"] > post["chemoresistance"] + 0.01


def test_cli_missing_network_file(tmp_path):
    done = run_cli("infer", "--cargo", "miR-155", env={"EXOREASON_ONTOLOGY_DIR": str(tmp_path)})
    assert_one_line_error(done, 1, "network file not found")


def test_the_reasoner_is_the_one_handle(reasoner):
    """Every question the library answers is asked of the reasoner, which passes its compiled
    network and reuses its engine: the same answers as the functions behind it."""
    from pathlib import Path

    from exoreason.cohort import read_cohort
    from exoreason.information import suggest
    from exoreason.learning import fit
    from exoreason.uncertainty import sensitivity, with_intervals

    evidence = {reasoner.resolve_node("miR-155"): 1.0}
    assert reasoner.sensitivity(evidence, "chemoresistance").to_dict() == sensitivity(
        reasoner.compiled, evidence, "chemoresistance", engine=reasoner.engine).to_dict()
    assert reasoner.suggest(evidence, "metastasis", 3).to_json() == suggest(reasoner, evidence, "metastasis", 3).to_json()
    result = reasoner.infer(evidence)
    assert reasoner.with_intervals(result, 40, 3).to_dict() == with_intervals(result, reasoner.compiled, 40, 3).to_dict()
    cohort = read_cohort(Path(__file__).resolve().parents[1] / "examples" / "cohort.csv", reasoner)
    mine = reasoner.fit(cohort, max_iterations=3)
    assert mine.theta.tolist() == fit(reasoner.compiled, cohort, max_iterations=3).theta.tolist()
