"""The parents on the abuse path: one place for the words that speak of them, and for whether
they take part.

With a suspicion of violence or sexual abuse the parents are never contacted about the concern.
Guide content that means contacting them is marked in data (parent_contact); `visible` and
`shown` are the only way such content reaches an output, and `parent_wording` is the rule that
finds unmarked parent wording, used when a guide is loaded and by the tests on every output."""

import functools
import re
from typing import NamedTuple

from rettidig_cli.domain.vocabulary import StepKind

_SENTENCE = re.compile(r"[^.!?;\n]+")
_WORD = re.compile(r"\w+")


class ParentRule(NamedTuple):
    words: frozenset  # single words, casefolded
    phrase_texts: tuple  # words of more than one token, as written
    stems: tuple  # parts of a word that make it a parent word ("forældre" in "forældremøde")
    negations: re.Pattern | None  # "ikke kontakte forældrene" and the like: one pattern for all
    phrases: re.Pattern | None  # phrase_texts as one pattern

    def with_words(self, extra) -> "ParentRule":
        if not extra:
            return self
        single = {w.casefold() for w in extra if " " not in w.strip()}
        texts = self.phrase_texts + tuple(w for w in extra if " " in w.strip())
        return self._replace(words=self.words | single, phrase_texts=texts, phrases=_phrases(texts))

    def parent_word(self, sentence: str) -> str | None:
        """The first word in the sentence that speaks of the parents, or None."""
        for match in _WORD.finditer(sentence):
            token = match.group().casefold()
            if token in self.words or any(s in token for s in self.stems):
                return match.group()
        found = self.phrases.search(sentence) if self.phrases else None
        return found.group() if found else None

    def negated(self, sentence: str) -> bool:
        return bool(self.negations and self.negations.search(sentence))


def _phrases(texts) -> re.Pattern | None:
    """One pattern matching any of the phrases as whole words, any whitespace between them (one
    pattern, not one per phrase: compiling them was a millisecond at every start)."""
    if not texts:
        return None
    alternatives = (r"\s+".join(re.escape(part) for part in text.casefold().split()) for text in texts)
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)


@functools.cache
def rule() -> ParentRule:
    """The product's parent words (data/parents.toml)."""
    from rettidig_cli.guide.reference import _all_read, _load

    reader, _ = _load("parents.toml")
    words = reader.texts("words", required=True)
    stems = tuple(s.casefold() for s in reader.texts("stems"))
    negations = _phrases(reader.texts("negations", required=True))
    _all_read(reader, None)
    base = ParentRule(frozenset(), (), stems, negations, None)
    return base.with_words(words)


def parent_wording(text: str, extra_words=()) -> list[str]:
    """Every sentence of the text that speaks of the parents without saying not to contact them.
    Empty when the text may be shown on the abuse path."""
    return [sentence for _, sentence in unmarked([("", text)], extra_words)]


def unmarked(texts, extra_words=()) -> list[tuple[str, str]]:
    """(where, sentence) for every sentence of the (where, text) pairs that speaks of the parents
    without saying not to contact them; the rule is built once for all of them."""
    active = rule().with_words(tuple(extra_words))
    return [(where, sentence.strip()) for where, text in texts for sentence in _SENTENCE.findall(text or "")
            if active.parent_word(sentence) and not active.negated(sentence)]


def is_parent(name: str) -> bool:
    """A participant or respondent that names a parent: 'Forældre', 'Mor', 'far (telefon)',
    'mor og far' – but not 'Morten' or 'Farah'."""
    first = _WORD.search(name or "")
    return bool(first) and rule().parent_word(first.group()) is not None


def names_a_parent(text: str) -> bool:
    """A name field that mentions a parent anywhere: 'Hanne (mor)', 'mor og far'."""
    return rule().parent_word(text or "") is not None


def without_parents(names, abuse_path: bool, role: str):
    """Names for a meeting or an agreement, refused on the abuse path if one of them is a parent:
    the parents are not contacted about the concern, so they are neither invited nor given a task."""
    listed = [names] if isinstance(names, str) else list(names)
    if abuse_path and any(names_a_parent(n) for n in listed):
        raise ValueError("Der er mistanke om vold eller overgreb: forældrene må ikke kontaktes om bekymringen "
                         f"og kan ikke {role}.")
    return names


def take_part(guide, abuse_path: bool) -> bool:
    """Whether the parents are expected at the guide's status meetings: the guide says so
    (parents_always), and never on the abuse path."""
    return guide.meetings.parents_always and not abuse_path


def shown(item, abuse_path: bool, decided=None) -> str | None:
    """The text of one guide item as the case may see it: on the abuse path an item marked
    parent_contact shows its abuse-path wording if it has one, else nothing. An item that depends
    on an earlier answer (`when`) is shown when that choice was made, or while the decision is not
    made yet (`decided(decision_id)` is the case's choices, or None before the decision; without
    `decided`, as in the guide's own checks, every variant is shown)."""
    if item is None:
        return None
    when = getattr(item, "when", None)
    if when and decided is not None:
        chosen = decided(when[0])
        if chosen is not None and when[1] not in chosen:
            return None
    if abuse_path and item.parent_contact:
        return item.abuse_path or None
    return item.text or None


def visible(items, abuse_path: bool, decided=None) -> list[str]:
    """The texts of a list of guide items the case may see (see `shown`)."""
    return [text for text in (shown(i, abuse_path, decided) for i in items) if text]


def reachable_steps(guide) -> list:
    """The steps a case on the abuse path can come to: not marked parent_contact, and not behind
    a choice that is not offered there."""
    offered_ids: dict[str, set[str]] = {}
    reached = []
    for step in guide.steps():
        if step.parent_contact:
            continue
        if step.when and step.when[1] not in offered_ids.get(step.when[0], set()):
            continue
        if step.kind == StepKind.DECISION:
            offered_ids[step.id] = {o.id for o in offered(step.options, True)}
        reached.append(step)
    return reached


def guide_texts_on_abuse_path(guide) -> list[tuple[str, str]]:
    """Every guide text a case on the abuse path can show, as (where, text)."""
    texts = [("name", guide.name), ("short", guide.short), ("municipality", guide.municipality),
             ("more_info", guide.more_info), ("completion", shown(guide.completion, True) or "")]
    texts += [("contact", t) for t in visible(guide.contact, True)]
    texts += [("settings", t) for t in guide.settings] + [("age_groups", t) for t in guide.age_groups]
    texts += [("tools", t) for t in visible(guide.tools, True)]
    texts += [("fit.respondents", t) for t in visible(guide.fit_respondents, True)]
    safety = guide.safety
    texts += [(f"safety.{key}", getattr(safety, key)) for key in ("question", "help", "rule", "duty")]
    texts += [(f"safety.{key}", t) for key in ("contact", "recipients", "methods") for t in visible(getattr(safety, key), True)]
    texts += [("meetings.label", guide.meetings.label), ("meetings.plural", guide.meetings.plural)]
    texts += [("fit.note", shown(guide.fit_note, True) or "")]
    for part in guide.meeting_parts():
        texts += [(f"meetings.form.{part.id or part.part}", t) for t in (part.title, part.message, *visible(part.guidance, True))]
    texts += [(f"law.{ref.id}", f"{ref.ref}: {ref.text}") for ref in guide.law]
    texts += [(f"ruler.{pos.id}", f"{pos.label}. {pos.description}") for pos in guide.ruler]
    for phase in guide.phases:
        texts.append((f"{phase.id}.title", phase.title))
        texts += [(f"{phase.id}.guidance", t) for t in visible(phase.guidance, True)]
        texts += [(f"{phase.id}.sparring", t) for t in visible(phase.sparring, True)]
        texts.append((f"{phase.id}.next_hint", shown(phase.next_hint, True) or ""))
    for step in reachable_steps(guide):
        where = f"{step.phase_id}.{step.id}"
        texts += [(f"{where}.{key}", getattr(step, key)) for key in ("title", "message", "help", "meeting_kind")]
        for option in offered(step.options, True):
            texts += [(f"{where}.{option.id}", f"{option.label}. {option.description}")]
            texts += [(f"{where}.{option.id}.consequences", t) for t in visible(option.consequences, True)]
    return [(where, text) for where, text in texts if text]


def guide_problems(guide) -> list[tuple[str, str]]:
    """Texts the abuse path could show that speak of contacting the parents without being marked,
    and steps about the parents' view that are not marked: (where, what)."""
    problems = [(f"{s.phase_id}.{s.id}", "et trin om forældrenes syn (role = \"parents_view\")")
                for s in reachable_steps(guide) if s.role == "parents_view"]
    return problems + unmarked(guide_texts_on_abuse_path(guide), guide.parent_words)


def offered(options, abuse_path: bool) -> list:
    """The choices of a decision the case may be offered: on the abuse path, never one that means
    working with the parents (parent_contact)."""
    return [o for o in options if not (abuse_path and o.parent_contact)]


def document_texts_on_abuse_path(rules) -> list[tuple[str, str]]:
    """Every text of data/documents.toml a document of a case on the abuse path can show."""
    texts = []
    for purpose in rules.purposes:
        texts += [(f"{purpose.id}.title", purpose.title), (f"{purpose.id}.description", purpose.description),
                  (f"{purpose.id}.intro", shown(purpose.intro, True) or "")]
        texts += [(f"{purpose.id}.agenda", t) for t in purpose.agenda]
        for section in purpose.sections:
            if section.parent_contact:
                continue
            where = f"{purpose.id}.{section.source}"
            texts += [(where, section.heading), (where, shown(section.help, True) or ""), (where, section.write_in)]
            texts += [(where, t) for t in visible(section.parties, True)]
    return [(where, text) for where, text in texts if text]
