"""The parent rule: rettidig_cli.guide.parents.parent_wording finds every sentence that speaks of the
child's parents without saying not to contact them. On the abuse path (a suspicion of violence or
sexual abuse) no output may hold such a sentence; test_abuse_walk.py reads every output with this
rule, so the rule itself is pinned down here: what it flags, what it lets through, and that it
works sentence by sentence.

The words are the product's (data/parents.toml) plus a guide's own ([parents] words = [...]),
read with getattr so these tests work before and after guides can have their own words."""

from __future__ import annotations

import pytest

from rettidig_cli.guide.parents import is_parent, parent_wording

pytestmark = pytest.mark.plain_only  # no data file is touched: once is enough

# Sentences that suggest contacting or involving the parents (many are, or were, guide texts).
FLAGGED = [
    "Forældrene deltager altid.",
    "Aftal statusmødedatoer. Forældrene deltager altid.",
    "Samtale med forældrene",
    "Evaluer strategier og tiltag løbende i ressourceteamet og sammen med forældrene.",
    "Hvem har udfyldt skemaet? (fx Mor, Far, Barnet)",
    "Handleplanen er mellem stue og forældre.",
    "Lille sag: forhold, der alene skønnes at være en sag mellem stue og forældre, uden sagsbehandler.",
    "Tavshedspligtens muligheder bruges fuldt ud i samarbejde med forældrene.",
    "Aftal konkrete indsatser i dagtilbud og hjem.",
    "Book en forældresamtale.",
    "Ring til plejeforældrene.",
    "Bedsteforældrene henter barnet.",
    "MOR",
    "Mor",
    "far",
    "Ring til faren i dag",
    "Fortæl det til familien.",
    "Hvordan kan forældrene støtte barnet derhjemme?",
    "Indsatsen i hjemmet følges tæt.",
    "Indehaveren af forældremyndigheden skal skrive under.",
    "Vær nysgerrig sammen med forælder",
]

# Sentences that are allowed: they say NOT to contact the parents, or only look like a parent word.
ALLOWED = [
    "Lav en underretning uden at kontakte forældrene.",
    "Ved mistanke om vold skal du straks lave en underretning til kommunen uden først at kontakte forældrene.",
    "Kontakt ikke forældrene om bekymringen.",
    "Forældrene er ikke kontaktet: der er mistanke om vold eller overgreb.",
    "Forældrene må ikke kontaktes.",
    "Morten",
    "Pædagog Morten deltager.",
    "Farah",
    "farve",
    "Tegner med mange farver",
    "Familieafdelingen",
    "Sagsbehandler i familieafdelingen",
    "Modtagelsen",
    "Kontakt Modtagelsen, hvis du er i tvivl.",
    "Hjemløs",  # not 'hjem'
    "",
    "   ",
]


@pytest.mark.parametrize("text", FLAGGED)
def test_parent_wording_is_flagged(text):
    found = parent_wording(text)
    assert found, f"not flagged: {text!r}"
    for sentence in found:
        assert sentence and sentence == sentence.strip()
        assert sentence in text  # the offending sentence itself, so a report can quote it


@pytest.mark.parametrize("text", ALLOWED)
def test_allowed_wording_is_not_flagged(text):
    assert parent_wording(text) == []


def test_no_text_at_all_is_clean():
    assert parent_wording(None) == []
    assert parent_wording("") == []


def test_the_offending_sentence_is_returned_whole():
    text = "Hvem har udfyldt skemaet? (fx Mor, Far, Barnet)"
    assert parent_wording(text) == ["(fx Mor, Far, Barnet)"]
    assert parent_wording("Aftal statusmødedatoer. Forældrene deltager altid.") == ["Forældrene deltager altid"]


# ---------------------------------------------------------------- sentence by sentence


@pytest.mark.parametrize(("text", "expected"), [
    ("Kontakt ikke forældrene. Ring til mor.", ["Ring til mor"]),
    ("Ring til mor. Kontakt ikke forældrene.", ["Ring til mor"]),
    ("Kontakt ikke forældrene\nRing til mor", ["Ring til mor"]),
    ("Lav en underretning uden at kontakte forældrene! Forældrene deltager altid.", ["Forældrene deltager altid"]),
    ("Kontakt ikke forældrene; inviter dem til et samarbejde med forældrene", ["inviter dem til et samarbejde med forældrene"]),
    ("Forældrene er ikke kontaktet? Mor ringer i morgen", ["Mor ringer i morgen"]),
])
def test_a_negation_excuses_only_its_own_sentence(text, expected):
    assert parent_wording(text) == expected


def test_every_offending_sentence_is_listed():
    text = "Forældrene deltager altid. Kolleger hjælper. Samtale med forældrene. Uden at kontakte forældrene."
    assert parent_wording(text) == ["Forældrene deltager altid", "Samtale med forældrene"]


# ---------------------------------------------------------------- a guide's own words


def test_a_guides_own_word_is_flagged_only_with_that_guide():
    assert parent_wording("Ring til bonusmor i aften.") == []
    assert parent_wording("Ring til bonusmor i aften.", extra_words=("bonusmor",)) == ["Ring til bonusmor i aften"]
    assert parent_wording("Ring til BONUSMOR.", extra_words=("Bonusmor",)) == ["Ring til BONUSMOR"]


def test_a_guides_own_phrase_is_flagged():
    text = "Ring til den anden voksne i aften."
    assert parent_wording(text) == []
    assert parent_wording(text, extra_words=("den anden voksne",)) == ["Ring til den anden voksne i aften"]
    assert parent_wording("Ring til den  anden\tvoksne", extra_words=("den anden voksne",))


def test_a_guides_own_word_is_excused_by_a_negation_too():
    assert parent_wording("Kontakt ikke bonusmor om bekymringen.", extra_words=("bonusmor",)) == []


def test_a_guides_own_word_does_not_match_inside_another_word():
    assert parent_wording("Bonusmorgenmad i børnehaven.", extra_words=("bonusmor",)) == []


def test_the_shipped_guides_own_words_are_flagged():
    """Each word a shipped guide adds for its parents is found by the rule with that guide."""
    from abuse_walk_support import guide_words, shipped_guides

    for guide in shipped_guides():
        words = guide_words(guide)
        for word in words:
            assert parent_wording(f"Ring til {word} i dag.", words), (guide.id, word)


# ---------------------------------------------------------------- is_parent


@pytest.mark.parametrize("name", ["Mor", "mor", "Far", "far (telefon)", "Forældre", "forældrene", "Mor og far",
                                  "FAR", "Forælder"])
def test_is_parent(name):
    assert is_parent(name)


@pytest.mark.parametrize("name", ["Morten", "Farah", "Barnet", "Leder", "Pædagog Anna", "Familieafdelingen",
                                  "Modtagelsen", "", "   "])
def test_is_not_parent(name):
    assert not is_parent(name)
