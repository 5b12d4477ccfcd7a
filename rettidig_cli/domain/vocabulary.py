"""The product's fixed vocabulary: the states a case, a meeting and an agreement can be in, the
kinds of event in a case's history, and the kinds of guide step. Each value is stored in the data
file exactly as it was before these names existed (a StrEnum is its string), so no migration."""

from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    OPEN = "åben"
    CLOSED = "lukket"


class MeetingState(StrEnum):
    PLANNED = "planlagt"
    HELD = "afholdt"
    CANCELLED = "aflyst"


class AgreementStatus(StrEnum):
    AGREED = "aftalt"
    IN_PROGRESS = "i gang"
    DONE = "udført"
    ABANDONED = "opgivet"


# An agreement that still has to be carried out: it can be overdue.
OPEN_AGREEMENT = (AgreementStatus.AGREED, AgreementStatus.IN_PROGRESS)


class EventKind(StrEnum):
    """A row of case_events: what happened to a meeting or to the case."""

    PLANNED = "planlagt"
    MOVED = "flyttet"
    CANCELLED = "aflyst"
    ESCALATED = "eskaleret"
    CLOSED = "lukket"
    REOPENED = "genåbnet"
    SUSPICION = "mistanke"
    SUSPICION_REMOVED = "mistanke fjernet"
    GUIDE_UPDATED = "guide opdateret"
    NAMED = "navngivet"  # an anonymous case got the child's name, with consent


class StepKind(StrEnum):
    """The record kinds the wizard knows how to ask for, store and render (a guide step's `kind`)."""

    CHILD = "child"
    TEXT = "text"
    OBSERVATIONS = "observations"
    FACTORS = "factors"
    DECISION = "decision"
    AGREEMENTS = "agreements"
    TOVHOLDER = "tovholder"
    STATUS_MEETINGS = "status_meetings"
    MEETING = "meeting"
    CONSENT = "consent"
    UNDERRETNING = "underretning"
    POSITION = "position"
    NETWORK = "network"  # the people of the family's own network the family wants with them
