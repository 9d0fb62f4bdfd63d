"""Every quote of the templates is verbatim from the review and holds the words of its assertion.

The review is read from ``../shared/review/`` next to the repository (the text the curators worked
from); the verbatim tests skip, saying so, when it is not there. The entity names come from the
built ontology (labels, exact and related synonyms) and the templates' related synonyms.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.namespace import RDFS

from exoreason.curation import Row, Templates, read_templates
from exoreason.vocabulary import OBOINOWL, expand

REPO = Path(__file__).resolve().parents[1]
TEMPLATES = REPO / "ontology" / "templates"
REVIEW = REPO.parent / "shared" / "review" / "cancer-stem-cell-exosomes-review.txt"

FINDING_KINDS = ("claims", "mirna-transfer", "isolation-methods", "characterization-techniques")

# Words the review uses for an entity that are not (yet) among its synonyms in the edit file; each
# is accepted for that entity only, with the reason.
WORDING: dict[str, tuple[tuple[str, ...], str]] = {
    "exo:MalignantProgression": (("cancer progression",),
                                 "the review's usual words for malignant progression; a synonym to add to the edit file"),
    "exo:DormantState": (("dormant",), "the adjective the review uses ('the dormant or slowly circulating subgroups')"),
    "exo:TumourMicroenvironment": (("TEM",), "the review's misspelling of TME (its section 'The Messenger Role of CSC Exosomes in the TEM')"),
    "exo:Colonization": (("colonize",), "the verb the review uses for the cascade's last step"),
    "exo:MicrometastasisFormation": (("micrometastases", "micro-metastases"),
                                     "the review names the step by what it forms ('forming dormant micrometastases')"),
}

# Claim rows whose sentence names neither the subject nor the object, each with the reason the row
# still reads the sentence faithfully. Kept as small as the review allows; a row that no longer
# needs its entry fails test_exceptions_are_still_needed.
EXCEPTIONS: dict[str, str] = {
    "C-tme-dynamic": "'the mutual transformation between non-CSCs and CSCs' is the conversion of non-CSCs to CSCs (dedifferentiation) and back; "
                     "the exosomes are 'exosomes' of CSCs by the section's subject",
    "C-msg-cscx-messenger": "'information transmitters between cells ... an irreplaceable messenger role' is intercellular communication in other words",
    "E-figure1-invasion": "garbled legend: 'initiates invasion ... by regarding signals from exosome origins at the tumor' names neither "
                          "tumour-derived exosomes nor local invasion by their labels",
    "E-niche-cscx-transformation": "'this transformation' is the partial EMT of the preceding sentences",
    "E-cascade-p2": "Figure 2 describes the steps without naming them: 'infiltrate into the lymphatic vessels or microvasculature' "
                    "(intravasation) then 'transport ... through the systemic circulation'",
    "E-cascade-p3": "Figure 2 describes transport through the circulation and extravasation ('trapped and subsequently exude') without naming them",
    "E-cascade-text-intravasation": "the text describes local invasion ('break through the basement membrane') and intravasation "
                                    "('enter the blood or the lymphatic circulation') without naming them",
    "X-biogenesis-early-endosome": "'forming an early membrane-endosome structure' is the review's name for the early endosome, "
                                   "inside exosome biogenesis",
    "X-biogenesis-degradation": "the two fates of the MVE are described ('degraded by fusion with auto-phagosomes or lysosomes'), not named",
    "X-biogenesis-release": "the two fates of the MVE are described ('fused with the plasma membrane to release the substances'), not named",
    "X-signal-ligand": "the review names the mechanism with a verb ('direct stimulate target cells by surface-binding ligands')",
    "X-signal-receptor": "the review names the mechanism with a verb ('transfer activated receptors to recipient cells')",
    "X-signal-epigenetic": "the review names the mechanism with a verb ('epigenetic reprogram recipient cells via delivery of ...')",
    "P-pmn-regulate": "'regulating the pre-metastatic microenvironment' is read as building the pre-metastatic niche; 'these exosomes' "
                      "are those of CSCs and tumour cells of the preceding sentences",
    "P-sprouting-outgrowth": "'sprouting neovasculature' is angiogenesis and 'micrometastatic outgrowth' colonization, in other words",
}

_SPELLING = (("tumour", "tumor"), ("colonisation", "colonization"), ("signalling", "signaling"),
             ("leukaemia", "leukemia"), ("labelling", "labeling"), ("\u2019", "'"), ("\u2018", "'"))


def squash(text: str) -> str:
    """The review's text with all whitespace removed and apostrophes made plain, lower case: line
    breaks and the spaces around a line-break hyphen vanish, so a quote may join them freely."""
    return re.sub(r"\s+", "", text.replace("\u2019", "'").replace("\u2018", "'")).lower()


def _normal(text: str) -> str:
    text = text.lower()
    for british, american in _SPELLING:
        text = text.replace(british, american)
    return re.sub(r"\s+", " ", text)


def _word(token: str) -> str:
    """A word of a name, also in its plural: +s, +es, or -is to -es (metastasis, metastases)."""
    stem = re.escape(token)
    forms = [stem + "(?:e?s)?"]
    if token.endswith("is"):
        forms.append(re.escape(token[:-2]) + "es")
    return "(?:" + "|".join(forms) + ")"


def names_in(quote: str, names: set[str]) -> bool:
    """Whether the quote holds one of the names as whole words (case, spelling and plural aside)."""
    text = _normal(quote)
    for name in names:
        words = _normal(name).split(" ")
        pattern = r"(?<![a-z0-9])" + r"\s".join(_word(w) for w in words) + r"(?![a-z0-9])"
        if re.search(pattern, text):
            return True
    return False


@pytest.fixture(scope="module")
def templates() -> Templates:
    return read_templates(TEMPLATES)


@pytest.fixture(scope="module")
def review() -> str:
    if not REVIEW.is_file():
        pytest.skip(f"the review text is not available at {REVIEW} (../shared/review from the repository)")
    return squash(REVIEW.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def base_names(templates: Templates) -> dict[str, set[str]]:
    """CURIE -> labels and synonyms of the entity (the built ontology's and the templates' related ones)."""
    graph = Graph().parse(REPO / "ontology" / "exoreason-kg.ttl", format="turtle")
    by_iri: dict[str, set[str]] = {}
    for prop in (RDFS.label, OBOINOWL.hasExactSynonym, OBOINOWL.hasRelatedSynonym):
        for subject, value in graph.subject_objects(prop):
            by_iri.setdefault(str(subject), set()).add(str(value))
    for row in templates["terms"]:
        by_iri.setdefault(str(expand(row.get("id"))), set()).update(row.all("related_synonyms"))
    return {curie: by_iri.get(str(expand(curie)), set()) for curie in _curies(templates)}


@pytest.fixture(scope="module")
def names(base_names: dict[str, set[str]]) -> dict[str, set[str]]:
    """The names plus the review's extra wording (WORDING)."""
    return {curie: found | set(WORDING.get(curie, ((), ""))[0]) for curie, found in base_names.items()}


def _names_entity(row: Row, names: dict[str, set[str]]) -> bool:
    return any(names_in(row.get("quote"), names[e]) for e in (row.get("subject"), row.get("object")) if e)


def _curies(templates: Templates) -> set[str]:
    found = set()
    for row in templates["claims"]:
        found.update(v for v in (row.get("subject"), row.get("object")) if v)
    for row in templates["mirna-transfer"]:
        found.update(row.all("mirna"))
    return found


def _finding_rows(templates: Templates) -> list[Row]:
    return [row for kind in FINDING_KINDS for row in templates[kind]]


def test_every_quote_is_verbatim_in_the_review(templates, review):
    missing = []
    for row in _finding_rows(templates):
        for part in row.get("quote").split("..."):
            if squash(part) not in review:
                missing.append(f"{row.file}:{row.line} {row.get('id')}: {part.strip()!r}")
    assert not missing, "quotes not in the review:\n" + "\n".join(missing)


def test_every_claim_quote_is_a_phrase(templates):
    """A claim's quote is a phrase, not a stray word: at least three words in every part. (Table
    quotes copy table rows, whose cells can wrap to a single word.)"""
    short = [f"{row.get('id')}: {row.get('quote')!r}" for row in templates["claims"]
             if any(len(part.split()) < 3 for part in row.get("quote").split("..."))]
    assert short == []


def test_every_claim_quote_names_its_subject_or_object(templates, names):
    unnamed = [f"{row.file}:{row.line} {row.get('id')} ({row.get('subject')} / {row.get('object') or row.get('value')}): "
               f"{row.get('quote')!r}"
               for row in templates["claims"] if row.get("id") not in EXCEPTIONS and not _names_entity(row, names)]
    assert not unnamed, "quotes that name neither subject nor object:\n" + "\n".join(unnamed)


def test_every_table3_quote_names_each_of_its_mirnas(templates, names):
    unnamed = [f"{row.get('id')}: {mirna}" for row in templates["mirna-transfer"] for mirna in row.all("mirna")
               if not names_in(row.get("quote"), names[mirna])]
    assert unnamed == []


def test_exceptions_are_still_needed(templates, names, base_names):
    rows = {row.get("id"): row for row in templates["claims"]}
    assert [rid for rid in EXCEPTIONS if rid not in rows] == [], "exceptions for rows that no longer exist"
    passing = [rid for rid in EXCEPTIONS if rid in rows and _names_entity(rows[rid], names)]
    assert passing == [], f"these rows now name their entities; drop their exceptions: {passing}"
    # each extra wording lets at least one row through that the entity's own names would not
    needed = {curie for row in rows.values() if row.get("id") not in EXCEPTIONS
              and _names_entity(row, names) and not _names_entity(row, base_names)
              for curie in (row.get("subject"), row.get("object")) if curie in WORDING}
    assert set(WORDING) - needed == set(), f"extra wordings no longer needed: {set(WORDING) - needed}"


@pytest.mark.parametrize(("quote", "name", "found"), [
    ("the success rate of colonization is low", "colonisation", True),
    ("micro-metastases drive tumor recurrence", "tumour recurrence", True),
    ("form macroscopic metastases", "metastasis", True),
    ("exosomes carry integrins", "integrin", True),
    ("MET is critical", "MET", True),
    ("metastasis is complex", "MET", False),
    ("EMT-TFs are involved", "EMT", True),
    ("recurrence", "recurrences of tumor", False),
])
def test_name_matching_is_by_whole_words(quote, name, found):
    assert names_in(quote, {name}) is found


def test_squash_joins_line_break_hyphens():
    assert squash("have the ability of retro-\ndifferentiation") == squash("have the ability of retro-differentiation")
    assert squash("the patient\u2019s tissues") == squash("the patient's tissues")
