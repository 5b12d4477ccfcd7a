"""The rettidig command line. Commands are thin: they open the store, call the wizard, plan or
exporters, and print. Only typer is imported at module level, so `rettidig --help` is fast;
everything heavier is imported inside the command that needs it."""

import gc

# Python's cycle collector runs again and again while typer and the command modules load, and
# finds nothing: what an import makes lives as long as the program. It is off while they load (a
# few per cent of a short command); at the end of this module gc.freeze() sets those objects aside,
# so the collections of a long command (10,000 cases) do not walk them again.
gc.disable()

import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Annotated, Optional  # noqa: E402

import typer  # noqa: E402

from rettidig_cli.commands.common import (  # noqa: E402
    AnswersOption, CaseArg, DanishCommand, DanishGroup, DbOption, asking_guard, home_folder, in_terminal, open_store,
    out_console, plural, read_answers, say, warn,
)
from rettidig_cli.commands import corrections as cli_corrections, data as cli_data, export as cli_export, followup as cli_followup  # noqa: E402,E501
from rettidig_cli.domain.errors import Interrupted, NoTerminalError, RettidigError, UsageError  # noqa: E402

app = typer.Typer(
    cls=DanishGroup,
    help="rettidig – fra bekymring til handling. En guide for dig, der er bekymret for et barn: "
    "den fører dig gennem kommunens guide, gemmer hvert svar med det samme og skriver handleplanen.",
    no_args_is_help=False,  # `rettidig` alone shows the start screen (_root)
    add_completion=False,  # typer's English --install-completion; rettidig has --installer-tab (_root)
    context_settings={"help_option_names": ["-h", "--help"]},  # every group and command inherits it
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
)
guide_app = typer.Typer(cls=DanishGroup, help="Se de installerede guides og deres trin.", no_args_is_help=True)
app.add_typer(guide_app, name="guide")


def _file_source(path: Path, ctx):
    """Read and validate a whole answers file; say which of its answers will not be used."""
    from rettidig_cli.workflow import wizard

    source = wizard.FileSource(read_answers(path), ctx)
    for warning in source.warnings:
        say(("Bemærk: ", "yellow"), warning)
    return source


def _run_wizard(store, case: dict, guide, source=None, start_at=None) -> None:
    """Walk the case with an answers-file source, or with the interactive prompts if None."""
    from rettidig_cli.workflow import wizard

    from_file = source is not None
    if source is None:
        from rettidig_cli.ui import prompts

        source = prompts.InteractiveSource(case["code"])
    try:
        outcome = wizard.run(store, case, guide, source, start_at)
    except KeyboardInterrupt:
        raise Interrupted(
            f"Afbrudt. Alt, du har svaret indtil nu, er gemt i sag {case['code']}.",
            hint=f"Fortsæt, hvor du slap: rettidig resume {case['code']}",
        ) from None
    except EOFError:
        raise NoTerminalError(
            "Der er ingen terminal at stille spørgsmålene i. Det, du har svaret, er gemt.",
            hint=f"Fortsæt i en terminal med: rettidig resume {case['code']}, eller brug --answers FIL.",
        ) from None
    for notice in getattr(source, "notices", []) if from_file else []:
        say((notice, "yellow"))
    if outcome == "paused":
        say("Sag ", (case["code"], "bold"), " er gemt. Fortsæt, når du er klar: ",
             (f"rettidig resume {case['code']}", "bold"))
    elif from_file:
        say("Sag ", (case["code"], "bold"), " er gemt. Se handleplanen: ", (f"rettidig plan {case['code']}", "bold"))


def _require_terminal(answers: Path | None, command: str) -> None:
    from rettidig_cli.ui import prompts

    if answers is None and not prompts.terminal_available():
        raise NoTerminalError(
            "rettidig stiller spørgsmål og skal derfor køres i en terminal.",
            hint=f"Uden terminal: rettidig {command} --answers svar.toml "
            "(se trinnenes id'er med: rettidig guide show NAVN).",
        )


@app.command(cls=DanishCommand)
def new(
    guide: Annotated[Optional[str], typer.Option("--guide", help="Guidens navn eller sti til en .toml-fil.",
                                                  show_default=False)] = None,
    answers: AnswersOption = None,
    db: DbOption = None,
) -> None:
    """Opret en ny sag om en bekymring og gå guiden igennem.

    Eksempel: rettidig new --guide NAVN (navnene står i rettidig guide list)
    """
    from rettidig_cli.guide import reader as guides
    from rettidig_cli.workflow import wizard

    _require_terminal(answers, "new")
    home = home_folder()
    chosen = guides.find(guide, home) if guide else None
    if chosen is None and answers is None:
        from rettidig_cli.ui import prompts

        installed = guides.available(home)
        default = guides.default_guide(home)
        if len(installed) > 1:
            chosen = prompts.select("Hvilken guide følger I?", [(g.name, g) for g in installed], default=default)
        else:
            chosen = default
    chosen = chosen or guides.default_guide(home)
    # Validate the whole file before a case exists, so a mistake leaves nothing half-made.
    source = _file_source(answers, wizard.Context(guide=chosen)) if answers is not None else None
    store = open_store(db)
    case = store.create_case(chosen, abuse_path=False)
    say("Ny sag: ", (case["code"], "bold"),
        f" (guide: {chosen.short or chosen.name}). Hvert svar gemmes med det samme.")
    _run_wizard(store, case, chosen, source)


@app.command(cls=DanishCommand)
def resume(
    case: CaseArg,
    answers: AnswersOption = None,
    fra: Annotated[Optional[str], typer.Option(
        "--fra", help="Start ved et tidligere trin (trinnets id eller et ord fra titlen) og ret svarene derfra; "
                      "Enter beholder et svar.", show_default=False, metavar="TRIN")] = None,
    db: DbOption = None,
) -> None:
    """Fortsæt en sag, hvor du slap – eller fra et tidligere trin for at rette svarene derfra.

    Eksempel: rettidig resume RT-2026-001 --fra vurdering
    """
    from rettidig_cli.workflow import followup, wizard

    store = open_store(db)
    row = store.case(case)
    followup.require_open(row)
    guide = store.guide_for(row)
    source = None
    if fra is not None and answers is not None:
        raise UsageError("--fra bruges i en terminal, hvor du ser de tidligere svar og retter dem; en svarfil "
                         "besvarer kun de trin, der mangler.", hint=f"rettidig resume {row['code']} --fra {fra}")
    start_at = wizard.step_for(guide, wizard.context_for(store, row, guide), fra) if fra is not None else None
    _require_terminal(answers, f"resume {row['code']}")
    if answers is not None:
        source = _file_source(answers, wizard.context_for(store, row, guide))
    if start_at is not None:
        say("Fortsætter sag ", (row["code"], "bold"), f" fra trinnet «{start_at.title or start_at.id}». "
            "Enter beholder et svar; et nyt svar står i historikken med det tidligere.")
    else:
        say("Fortsætter sag ", (row["code"], "bold"), ".")
    _run_wizard(store, row, guide, source, start_at)


@app.command(cls=DanishCommand)
def plan(
    case: CaseArg,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv handleplanen som JSON.")] = False,
    db: DbOption = None,
) -> None:
    """Vis handleplanen for en sag: hvem gør hvad, tovholder og statusmøder.

    Eksempel: rettidig plan RT-2026-001
    """
    from rettidig_cli.views import plan as plans

    store = open_store(db)
    data = plans.build(store, store.case(case))
    if as_json:
        from rettidig_cli.ui.output import write_json

        write_json(plans.as_json(data))
        return
    from rettidig_cli.ui import output, render

    with output.paged():
        render.print_plan(data, out_console())


LIST_LIMIT = 25  # cases in the morning view; the rest are counted under it ("og 40 flere")


@app.command(name="find", cls=DanishCommand)
def find_cases(
    tekst: Annotated[str, typer.Argument(help="Det, du leder efter: en del af koden, barnets navn, tovholderen "
                                              "eller et ord fra sagen.", show_default=False, metavar="TEKST")],
    as_json: Annotated[bool, typer.Option("--json", help="Skriv fundene som JSON.")] = False,
    db: DbOption = None,
) -> None:
    """Find sager: koder, børnenes navne, tovholdere og det, der er skrevet i sagerne. Søgningen står i loggen.

    Eksempel: rettidig find Ida
    """
    from rettidig_cli.storage.store import case_line

    store = open_store(db)
    with store.atomic():
        found = store.search(tekst)
        store.audit("søg", None, f"søgning, {len(found)} sager", shown=[case["code"] for case, _ in found])
    rows = [{"kode": case["code"], "sag": case_line(case), "fundet_i": places} for case, places in found]
    if as_json:
        from rettidig_cli.ui.output import write_json

        write_json(rows)
        return
    if not rows:
        say(f"Ingen sager passer på «{tekst}».")
        return
    for row in rows:
        say((row["kode"], "bold"), f"  {row['sag']}  (fundet i: {', '.join(row['fundet_i'])})")


@app.command(name="list", cls=DanishCommand)
def list_cases(
    tovholder: Annotated[Optional[str], typer.Option("--tovholder", help="Kun sager med denne tovholder.",
                                                     show_default=False)] = None,
    tilbud: Annotated[Optional[str], typer.Option("--tilbud", help="Kun sager fra dette tilbud, fx Børnehave.",
                                                  show_default=False)] = None,
    fase: Annotated[Optional[str], typer.Option("--fase", help="Kun sager i denne fase (nummer eller navn).",
                                                show_default=False)] = None,
    closed_only: Annotated[bool, typer.Option("--lukkede", help="Vis kun lukkede sager.")] = False,
    include_closed: Annotated[bool, typer.Option(
        "--alle", help="Vis alle sager, også lukkede (ellers de 25 vigtigste åbne).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv listen som JSON.")] = False,
    db: DbOption = None,
) -> None:
    """Morgenoversigten: dine sager, det vigtigste først (overskredet, ugens møder, frister).

    Eksempel: rettidig list --tovholder Anna
    """
    from rettidig_cli.domain import dates
    from rettidig_cli.views import overview

    store = open_store(db)
    today = dates.today()
    with store.atomic():  # one transaction: the summaries made now are kept, and the search logged
        # In a terminal the most urgent cases are shown; --alle and --json show every one.
        everything = as_json or include_closed or closed_only
        rows, hidden = overview.from_store(store, today, include_closed or closed_only, closed_only, tovholder,
                                           tilbud, fase, limit=None if everything else LIST_LIMIT)
        # The list shows each child's name, so insight into a case must include that it was
        # listed: one row naming every case shown.
        store.audit("søg", None, f"oversigt, {len(rows)} sager", shown=[r["kode"] for r in rows])
    if as_json:
        from rettidig_cli.ui.output import write_json

        write_json(rows)
        return
    from rettidig_cli.ui import output, render

    title = "Lukkede sager" if closed_only else "Dine sager – det vigtigste først"
    with output.paged():
        render.print_list(rows, out_console(), title, hidden=hidden)
    from rettidig_cli.storage import erase, settings

    months, log_months = settings.retention(home_folder(), warn=warn)  # a reminder only: a bad file is a warning
    due = erase.expired_cases(store, months, today)
    old_log = erase.old_audit_rows(store, log_months, today)
    if due or old_log:  # past the retention periods: a reminder, never an automatic erasure
        what = [f"{plural(len(due), 'lukket sag', 'lukkede sager')} har været lukket i mere end {months} måneder"] \
            if due else []
        what += [f"{plural(old_log, 'logpost', 'logposter')} er ældre end {log_months} måneder"] if old_log else []
        say(("Bemærk: ", "bold yellow"), " og ".join(what) + ". Ryd op med: ", ("rettidig oprydning", "bold"))


@guide_app.command(name="list", cls=DanishCommand)
def guide_list() -> None:
    """Vis de installerede guides, også dem, der ikke kan bruges, og hvorfor.

    Eksempel: rettidig guide list
    """
    from rich.table import Table
    from rich.text import Text

    from rettidig_cli.guide import reader as guides
    from rettidig_cli.domain.privacy import for_terminal

    home = home_folder()
    installed, broken = guides.catalogue(home)
    table = Table(title=Text("Installerede guides"), title_justify="left")
    for name in ("Navn", "Guide", "Faser", "Fil"):
        # The id is typed (--guide): whole on one line; the other columns wrap, never cut with ….
        table.add_column(name, no_wrap=name == "Navn", overflow="fold")
    default = next((g for g in installed if g.is_default), installed[0]) if installed else None
    for g in installed:
        table.add_row(Text(g.id + ("\n(standard)" if default and g.id == default.id else ""), style="bold"),
                      Text(g.name), str(len(g.phases)), Text(for_terminal(Path(g.path).name)))
    for bad in broken:
        first = guides.problems_of(bad.error, bad.path)
        table.add_row(Text(Path(bad.path).stem, style="bold red"),
                      Text(f"Kan ikke bruges: {first[0].message}" + (f" (og {len(first) - 1} fejl mere)"
                                                                     if len(first) > 1 else ""), style="red"),
                      "–", Text(for_terminal(Path(bad.path).name)))
    out_console().print(table)
    for bad in broken:
        say("Se alle fejl i ", (Path(bad.path).name, "bold"), " med: ",
            (f"rettidig guide tjek {for_terminal(bad.path)}", "bold"))


@guide_app.command(name="tjek", cls=DanishCommand)
def guide_check(
    files: Annotated[list[Path], typer.Argument(help="Guidefilen eller -filerne, der skal tjekkes.", metavar="FIL...",
                                                show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Skriv fejlene som JSON (til en editor eller CI).")] = False,
) -> None:
    """Tjek guidefiler: alle fejl på én gang, hver med linje, fase og trin, og hvad der forventes.

    Exit-kode 0, når alle filer er gyldige, og 3, når mindst én har fejl.

    Eksempel: rettidig guide tjek min-kommune.toml
    """
    from rettidig_cli.guide import reader as guides

    installed, _ = guides.catalogue(home_folder())
    results = []
    for path in files:
        try:
            guide = guides.load_file(path)
        except RettidigError as exc:
            results.append((path, None, guides.problems_of(exc, str(path))))
            continue
        others = [g for g in installed if g.id == guide.id and Path(g.path).resolve() != path.resolve()]
        problems = [guides.duplicate_id(guide, others[0].path).problem] if others else []
        results.append((path, guide, problems))
    if as_json:
        from rettidig_cli.ui.output import write_json

        write_json({"filer": [{"fil": str(path), "gyldig": not problems, "guide": guide.id if guide else None,
                               "fejl": [p.as_json() for p in problems]} for path, guide, problems in results]})
    else:
        _print_check(results)
    if any(problems for _, _, problems in results):
        raise typer.Exit(3)


@guide_app.command(name="ny", cls=DanishCommand)
def guide_new(
    kommune: Annotated[Optional[str], typer.Option("--kommune", help="Kommunen (og området), fx «Hedensted Kommune, dagtilbud».",
                                                   show_default=False)] = None,
    navn: Annotated[Optional[str], typer.Option("--navn", help="Guidens navn, som det står på handleplanen.",
                                                show_default=False)] = None,
    guide_id: Annotated[Optional[str], typer.Option("--id", help="Guidens id (små bogstaver, tal, - og _); "
                                                    "ellers lavet af kommunens navn.", show_default=False)] = None,
    tilbud: Annotated[Optional[str], typer.Option("--tilbud", help="Tilbuddene, adskilt af komma, fx «Vuggestue, Børnehave».",
                                                  show_default=False)] = None,
    fra: Annotated[Optional[str], typer.Option("--fra", help="En installeret guide, der kopieres (ellers skabelonen med "
                                               "forklaringer).", show_default=False)] = None,
    fil: Annotated[Optional[Path], typer.Option("--fil", help="Hvor filen skrives (ellers mappen guides i datamappen).",
                                                show_default=False)] = None,
) -> None:
    """Lav en ny guidefil til din kommune: skabelonen med forklaringer, eller en kopi af en
    installeret guide med jeres eget id, navn og tilbud. Bagefter: ret den i en editor, og tjek den
    med «rettidig guide tjek FIL».

    Eksempel: rettidig guide ny --kommune "Min Kommune" --tilbud "Børnehave" --fra NAVN
    """
    from rettidig_cli.guide import authoring
    from rettidig_cli.guide import reader as guides

    home = home_folder()
    installed = guides.available(home)
    asked = kommune is None or tilbud is None
    if asked and not in_terminal():
        raise NoTerminalError("rettidig guide ny spørger om kommunen og tilbuddene, og der er ingen terminal at spørge i.",
                              hint="Uden terminal: rettidig guide ny --kommune \"Min Kommune\" --tilbud \"Vuggestue, "
                                   "Børnehave\" [--navn …] [--id …] [--fra GUIDE] [--fil sti.toml]")
    with asking_guard("Ingen fil er skrevet."):
        if asked:
            from rettidig_cli.ui import prompts

            kommune = kommune or prompts.ask_text("Hvilken kommune (og hvilket område) er guiden til?", _not_empty)
            navn = navn or prompts.ask_text("Guidens navn:", _not_empty,
                                            default=f"Fra bekymring til handling – {kommune}")
            guide_id = guide_id or prompts.ask_text("Guidens id (små bogstaver, tal, - og _):", authoring.check_id,
                                                    default=authoring.proposed_id(kommune))
            tilbud = tilbud or prompts.ask_text("Hvilke tilbud gælder guiden for? (adskilt af komma)",
                                                authoring.settings_list, default="Vuggestue, Børnehave, Dagpleje")
            if fra is None:
                fra = prompts.select("Hvad skal den nye guide bygge på?",
                                     [("Skabelonen med forklaringer", "")] + [(f"En kopi af {g.name}", g.id)
                                                                              for g in installed])
    try:
        ident = authoring.check_id(guide_id or authoring.proposed_id(kommune))
        settings = authoring.settings_list(tilbud)
        name, municipality = _not_empty(navn or f"Fra bekymring til handling – {kommune}"), _not_empty(kommune)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    taken = next((g for g in installed if g.id == ident), None)
    if taken:
        raise UsageError(f"Id'et «{ident}» bruges allerede af guiden {taken.name}.", hint="Vælg et andet med --id.")
    target = (fil or home / "guides" / f"{ident}.toml").expanduser()
    if target.exists():
        raise UsageError(f"Filen {target} findes allerede og overskrives ikke.", hint="Vælg en anden med --fil.")
    if fra:
        source = guides.find(fra, home)
        text = authoring.from_copy(source.text, Path(source.path).name, ident, name, municipality, settings,
                                   target.name)
    else:
        text = authoring.from_skeleton(ident, name, municipality, settings, target.name)
    guides.parse_guide(text, str(target))  # what is written is a guide that can be used
    target.parent.mkdir(parents=True, exist_ok=True)
    _write_new_file(target, text.encode("utf-8"), "--fil")
    say("Guiden er skrevet: ", (str(target), "bold"))
    say("Ret den i en editor (docs/guide-format.md beskriver hver nøgle), og tjek den med: ",
        (f"rettidig guide tjek {target}", "bold"))


@guide_app.command(name="opdater", cls=DanishCommand)
def guide_update(
    case: CaseArg,
    yes: Annotated[bool, typer.Option("--ja", help="Flyt sagen uden at spørge (til scripts).")] = False,
    db: DbOption = None,
) -> None:
    """Flyt en åben sag til den nyeste udgave af sin guide: vis først, hvad det ændrer for sagen.

    En sag følger den guide, den blev oprettet med, også når guidefilen siden er rettet. Intet i
    sagen ændres: svar på trin, som den nye udgave ikke har, står stadig i historikken.

    Eksempel: rettidig guide opdater RT-2026-001
    """
    from rettidig_cli.domain.errors import NotFoundError
    from rettidig_cli.guide import reader as guides
    from rettidig_cli.workflow import followup

    store = open_store(db)
    row = store.case(case)
    followup.require_open(row)
    old = store.guide_for(row)
    try:
        new = guides.find(old.id, home_folder())
    except NotFoundError:
        raise NotFoundError(f"Guiden «{old.id}», som sag {row['code']} følger, er ikke installeret længere.",
                            hint="Se de installerede guides med: rettidig guide list") from None
    if new.sha == old.sha:
        say("Sag ", (row["code"], "bold"), f" følger allerede den nyeste udgave af guiden {new.name}.")
        return
    changes = followup.guide_changes(store, row, old, new)
    _print_guide_changes(row["code"], new, changes)
    if not yes:
        if not in_terminal():
            raise NoTerminalError("Der er ingen terminal at spørge i. Sagen er ikke flyttet.",
                                  hint=f"Flyt den uden at spørge med: rettidig guide opdater {row['code']} --ja")
        from rettidig_cli.ui import prompts

        with asking_guard("Sagen er ikke flyttet."):
            if not prompts.yes(f"Skal sag {row['code']} følge den nye udgave?", default=False):
                say("Sagen er ikke flyttet.")
                return
    followup.update_guide(store, row, new)
    say("Sag ", (row["code"], "bold"), " følger nu den nye udgave. Se handleplanen med: ",
        (f"rettidig plan {row['code']}", "bold"))


def _print_guide_changes(code: str, guide, changes) -> None:
    from rich.text import Text

    console = out_console()
    console.print(Text(f"Det ændrer den nye udgave af {guide.name} for sag {code}:", style="bold"), soft_wrap=True)
    lines = [("Nye trin", changes.new_steps), ("Trin, der er væk (svarene står stadig i historikken)",
                                                changes.removed_answered),
             ("Trin, der er væk (ikke besvaret)", changes.removed_unanswered),
             ("Valg med nyt navn", [f"{d}: «{a}» hedder nu «{b}»" for d, a, b in changes.renamed_choices]),
             ("Valg, som den nye udgave ikke har (står stadig i sagen)", [f"{d}: «{a}»" for d, a in changes.lost_choices]),
             ("Nye dokumenter", changes.new_documents), ("Dokumenter, der er væk", changes.removed_documents)]
    shown = False
    for title, items in lines:
        if items:
            shown = True
            console.print(Text(f"{title}:", style="bold"))
            for item in items:
                console.print(Text(f"  • {item}"), soft_wrap=True)
    if not shown:
        console.print(Text("Ingen trin, valg eller dokumenter ændres for sagen; kun teksterne."))


def _write_guide_document(guide, fmt: str | None, out: Path | None) -> None:
    from rettidig_cli.domain import dates
    from rettidig_cli.views import guide_document

    suffixes = {"markdown": ".md", "md": ".md", "docx": ".docx", "word": ".docx"}
    fmt = (fmt or ("docx" if out and out.suffix.lower() == ".docx" else "markdown")).strip().lower()
    if fmt not in suffixes:
        raise UsageError(f"Formatet «{fmt}» kendes ikke her. Brug markdown eller docx.")
    target = (out or Path(f"guide-{guide.id}{suffixes[fmt]}")).expanduser()
    if target.is_dir():
        target = target / f"guide-{guide.id}{suffixes[fmt]}"
    doc = guide_document.build(guide, dates.today())
    if suffixes[fmt] == ".md":
        from rettidig_cli.export import markdown

        data = markdown.document(doc).encode("utf-8")
    else:
        from rettidig_cli.export import word

        data = word.document(doc)
    _write_new_file(target, data, "--out")
    confirm = next(value for label, value in doc["felter"] if label == "Skal bekræftes")
    say("Guiden er skrevet: ", (str(target), "bold"), f" ({confirm} tekster skal bekræftes).")


def _write_new_file(target: Path, data: bytes, flag: str) -> None:
    """A new file, whole or not at all, never over one that is there (not even one made a moment
    ago in another window): written under a temporary name and published with safefile.publish_new.
    A run killed before that leaves only the temporary file, which no guide list reads."""
    import contextlib
    import os

    from rettidig_cli.storage import safefile

    taken = UsageError(f"Filen {target} findes allerede og overskrives ikke.", hint=f"Vælg en anden med {flag}.")
    if target.exists():
        raise taken
    temporary = target.with_name(f".{target.name}.{os.getpid()}.ufaerdig")
    try:
        fd = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        safefile.publish_new(temporary, target, "guide")
    except FileExistsError:
        raise taken from None
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


def _not_empty(value: str) -> str:
    if not (value or "").strip():
        raise ValueError("Skriv noget her.")
    return value.strip()


def _print_check(results) -> None:
    from rich.text import Text

    from rettidig_cli.domain.privacy import for_terminal
    from rettidig_cli.guide import reader as guides

    console = out_console()
    for path, guide, problems in results:
        name = for_terminal(str(path))
        if not problems:
            steps = sum(len(phase.steps) for phase in guide.phases)
            console.print(Text.assemble(("✓ ", "bold green"), (name, "bold"),
                                        f": gyldig – guiden «{guide.id}», {len(guide.phases)} faser, {steps} trin."),
                          soft_wrap=True)
            continue
        console.print(Text.assemble(("✗ ", "bold red"), (name, "bold"),
                                    f": {plural(len(problems), 'fejl', 'fejl')}."), soft_wrap=True)
        for number, problem in enumerate(sorted(problems, key=lambda p: (p.line is None, p.line or 0)), start=1):
            console.print(Text(f"  {number}. {for_terminal(problem.short())}"))
            if problem.hint and problem.hint != guides.HINT:
                console.print(Text(f"     {for_terminal(problem.hint)}", style="dim"))
    if any(problems for _, _, problems in results):
        console.print(Text(f"\n{guides.HINT} Formatet er beskrevet i docs/guide-format.md.", style="dim"))


@guide_app.command(name="show", cls=DanishCommand)
def guide_show(
    name: Annotated[str, typer.Argument(help="Guidens navn (se: rettidig guide list) eller sti til en .toml-fil.", metavar="NAVN")],
    fmt: Annotated[Optional[str], typer.Option("--format", "-f", help="markdown eller docx: hele guiden som et dokument "
                                               "til kommunens godkendelse.", metavar="FORMAT", show_default=False)] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Filen (standard: guide-ID.md eller .docx i mappen, "
                                                "du står i).", metavar="FIL", show_default=False)] = None,
) -> None:
    """Vis en guides faser, sparring og trin-id'er (til --answers), eller skriv hele guiden som et
    dokument (--format markdown|docx), der også viser, hvilke tekster der skal bekræftes.

    Eksempel: rettidig guide show NAVN --format docx
    """
    from rich.panel import Panel
    from rich.text import Text

    from rettidig_cli.guide import reader as guides

    g = guides.find(name, home_folder())
    if fmt is not None or out is not None:
        _write_guide_document(g, fmt, out)
        return
    from rettidig_cli.ui.output import paged

    with paged():  # the whole guide is long: paged in a terminal
        console = out_console()
        console.print(Panel(Text(f"{g.name}\n{g.source}"), title=Text(g.id)))
        body = Text(f"{g.safety.question}\n", style="bold")
        body.append(f"trin-id: sikkerhed   ·   {g.safety.rule}")
        console.print(Panel(body, title=Text("Først: sikkerhedsspørgsmålet"), border_style="red"))
        marked = {c.text for c in g.to_confirm}

        def shown(item) -> str:
            return ((f"(kun når {item.when[0]} = {item.when[1]}) " if item.when else "") + item.text
                    + (" (ikke ved mistanke om vold eller overgreb)" if item.parent_contact else "")
                    + (" [skal bekræftes]" if item.confirm or item.text in marked else ""))

        for number, phase in enumerate(g.phases, start=1):
            text = Text()
            for item in phase.guidance:
                text.append(f"• {shown(item)}\n")
            if phase.sparring:
                text.append("Husk, du også kan få sparring hos: ", style="bold")
                text.append(", ".join(shown(i) for i in phase.sparring) + "\n")
            text.append("\nTrin:\n", style="bold")
            for step in phase.steps:
                flags = [k for k, on in (("valgfrit", not step.required), ("kontakt til forældre", step.parent_contact),
                                         ("flere valg", step.multiple), ("kan være anonym", step.anonymous),
                                         ("skal bekræftes", step.message in marked)) if on]
                if step.when:
                    flags.append(f"kun når {step.when[0]} = {step.when[1]}")
                text.append(f"  {step.id}", style="cyan")
                text.append(f"  [{step.kind}]  {step.message}" + (f"  ({'; '.join(flags)})" if flags else "") + "\n")
                for option in step.options:
                    text.append(f"      {option.id}: {option.label}"
                                + ("  (kontakt til forældre)" if option.parent_contact else "")
                                + ("  [skal bekræftes]" if option.label in marked else "") + "\n", style="dim")
            console.print(Panel(text, title=Text(f"Fase {number}: {phase.title}"), title_align="left"))
        from rettidig_cli.guide.reference import purposes_for
        from rettidig_cli.views.plan import part_words

        parts = [p for p in g.meeting_parts()
                 if (g.fit_use or not p.part.startswith("fit_")) and (g.ruler or p.part != "placering")]
        form = Text("\n".join(f"{n}. " + (f"{p.title}: {p.message} (noter.{p.id})" if p.part == "note" else part_words(g, p))
                              for n, p in enumerate(parts, start=1)))
        if not g.fit_use:
            form.append("\nFIT bruges ikke i guiden.")
        console.print(Panel(form, title=Text(f"{g.meetings.plural}: mødets gang (rettidig møde hold)"), title_align="left"))
        documents = Text("\n".join(f"{p.id}: {p.title}" for p in purposes_for(g)))
        console.print(Panel(documents, title=Text("Dokumenter (rettidig export SAG --til ID)"), title_align="left"))
        if g.to_confirm:
            listed = Text("\n".join(f"• {c.place}: «{c.text}»" + (f" – {c.note}" if c.note else "") for c in g.to_confirm))
            console.print(Panel(listed, title=Text(f"Skal bekræftes af kommunen ({len(g.to_confirm)})"), title_align="left",
                                border_style="yellow"))
        say("Hele guiden som dokument til godkendelse, med de tekster, der skal bekræftes: ",
            (f"rettidig guide show {g.id} --format docx", "bold"))


cli_followup.register(app)
cli_corrections.register(app)
cli_export.register(app)
cli_data.register(app)


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", help="Vis versionen.", is_eager=True)] = False,
    install_tab: Annotated[bool, typer.Option(
        "--installer-tab", help="Sæt Tab-tasten op, så den gør kommandoer og valgmuligheder færdige (bash, zsh, "
        "fish). Én gang er nok.")] = False,
) -> None:
    """The root's own options, and the start screen when no command is given. (The help shown for
    the root is the app's, given to typer.Typer above, not this docstring.)"""
    if version:
        from rettidig_cli import __version__

        typer.echo(f"rettidig {__version__}")
        raise typer.Exit()
    if install_tab:
        from rettidig_cli.commands.common import install_completion

        install_completion()
        raise typer.Exit()
    if ctx.invoked_subcommand is None:
        from rettidig_cli.commands.common import start_screen

        start_screen()


def _param_name(param) -> str:
    if param is None:
        return "en værdi"
    opts = getattr(param, "opts", None) or []
    if opts and opts[0].startswith("-"):
        return opts[0]
    return getattr(param, "metavar", None) or (param.name or "en værdi").upper()


def _either(names) -> str:
    """«a», «a» eller «b», «a», «b» eller «c»."""
    quoted = [f"«{name}»" for name in names]
    return " eller ".join([", ".join(quoted[:-1]), quoted[-1]] if len(quoted) > 1 else quoted)


def _type_words(param) -> str | None:
    """What a value of this parameter's type is, for a message: the value click could not read.
    Read from the type's name and choices (typer's and click's types differ between versions)."""
    kind = getattr(param, "type", None)
    choices = getattr(kind, "choices", None)
    if choices:
        return f"en af {_either(str(getattr(c, 'value', c)) for c in choices)}"
    words = {"int": "et helt tal, fx 12", "integer": "et helt tal, fx 12", "float": "et tal", "bool": "ja eller nej",
             "boolean": "ja eller nej"}
    return words.get(getattr(kind, "name", ""))


def _usage_message(exc) -> str:
    """click's usage errors in Danish, from the error's class and what it carries (never its
    English words): the name typed and the near ones, the value given, the option."""
    from typer._click import exceptions as click_exc

    from rettidig_cli.commands import common

    path = exc.ctx.command_path if exc.ctx else "rettidig"
    if isinstance(exc, common.NoSuchCommand):
        near = f" Mente du {_either(exc.possibilities)}?" if exc.possibilities else ""
        return f"Ukendt kommando: «{exc.name}».{near}"
    if isinstance(exc, common.MissingCommand):
        return f"Skriv en kommando efter {path}: {_either(exc.names)}."
    if isinstance(exc, common.ExtraArguments):
        words = " ".join(exc.extra)
        takes_text = any(p.param_type_name == "option" and not getattr(p, "is_flag", True) and p.name != "db"
                         for p in exc.ctx.command.params)
        tip = ' Hører ordene til en tekst, så sæt anførselstegn om hele teksten, fx "Leger med to andre".' \
            if takes_text else ""
        parent = exc.ctx.parent
        if parent is not None and isinstance(parent.command, common.DefaultGroup):
            # `rettidig observation rett SAG 1`: said as the user wrote it, with the group's commands
            others = [name for name in common.visible_commands(parent.command, parent) if name != exc.ctx.info_name]
            path = parent.command_path
            tip = f" Kommandoerne under {path} er {_either(others)}, fx {path} {others[0]} SAG NR." if others else tip
        return f"{path} forstår ikke: «{words}».{tip}"
    if isinstance(exc, click_exc.NoSuchOption):
        near = f" Mente du {_either(sorted(exc.possibilities))}?" if exc.possibilities else ""
        return f"Ukendt valgmulighed: {exc.option_name}.{near}"
    if isinstance(exc, click_exc.BadOptionUsage):
        name = exc.option_name
        param = next((p for p in (exc.ctx.command.params if exc.ctx else [])
                      if name in (*getattr(p, "opts", ()), *getattr(p, "secondary_opts", ()))), None)
        if param is not None and (getattr(param, "is_flag", False) or getattr(param, "count", False)):
            return f"{name} tager ingen værdi: skriv bare {name}."
        shown = common._shown_type(param, exc.ctx) if param is not None else ""
        return f"{name} skal have en værdi efter sig, fx {name} {shown or 'TEKST'}."
    if isinstance(exc, click_exc.MissingParameter):
        return f"Mangler {_param_name(exc.param)}."
    if isinstance(exc, click_exc.BadParameter):
        given = getattr(exc, "given", None)
        value = f": «{given}»" if given is not None else ""
        wanted = _type_words(exc.param)
        return f"Ugyldig værdi for {_param_name(exc.param)}{value}." + (f" Skriv {wanted}." if wanted else "")
    return f"{path} kan ikke læses, som den er skrevet ({exc.message})."


def _fail(message: str, hint: str | None, code: int) -> None:
    from rich.text import Text

    from rettidig_cli.domain.privacy import for_terminal

    console = out_console(stderr=True)
    # soft_wrap: the terminal wraps long lines itself, so a path or a command is never cut in two.
    console.print(Text(for_terminal(message), style="bold red"), soft_wrap=True)
    if hint:
        console.print(Text(for_terminal(hint)), soft_wrap=True)
    sys.exit(code)


_SINGLE: dict[str, typer.Typer] = {}


def _listed_app() -> typer.Typer:
    """The whole app as its own help lists it: every command and group with its name and help, but
    none of their options, which typer would read from every function's signature. `rettidig` (the
    start screen), `rettidig --help` (or -h), `--version` and `--installer-tab` end before any
    command runs: help and --version are eager, --installer-tab and the start screen are the root's
    own (_root), and a command named after --version is looked up (by name), never run."""
    import copy

    if "" not in _SINGLE:
        def listed(info):
            def command():  # typer takes a command's name and help from its function
                pass

            command.__name__, command.__doc__ = info.callback.__name__, info.callback.__doc__
            shown = copy.copy(info)
            shown.callback = command
            return shown

        def listed_group(info):
            shown, sub = copy.copy(info), copy.copy(info.typer_instance)
            sub.registered_commands, sub.registered_groups = [], []
            shown.typer_instance = sub
            return shown

        whole = copy.copy(app)
        whole.registered_commands = [listed(c) for c in app.registered_commands]
        whole.registered_groups = [listed_group(g) for g in app.registered_groups]
        _SINGLE[""] = whole
    return _SINGLE[""]


def _app_for(args: list[str]) -> typer.Typer:
    """The app to run for these arguments. Typer turns every command into a click command before
    it parses anything (~10 ms for the whole app); a line that starts with a command's name needs
    only that command (or group), so the app run has only it. The start screen, the root help and
    --version list the commands without building them (_listed_app); an option or a name that is
    not a command (whose message suggests the near ones) runs the whole app, and so does the Tab
    key's completion (the shell sets _RETTIDIG_COMPLETE), which completes every command's options."""
    import copy

    from typer.main import get_command_name

    if os.environ.get("_RETTIDIG_COMPLETE"):  # the Tab key (--installer-tab): completion needs every option
        from typer._completion_classes import completion_init

        completion_init()  # typer registers its shells only with add_completion, which rettidig leaves off
        return app
    if not args or args[0] in ("--help", "-h", "--version", "--installer-tab"):
        return _listed_app()
    if args[0].startswith("-"):
        return app
    name = args[0]
    if name not in _SINGLE:
        commands = [c for c in app.registered_commands
                    if (c.name if isinstance(c.name, str) else get_command_name(c.callback.__name__)) == name]
        groups = [g for g in app.registered_groups if isinstance(g.name, str) and g.name == name]
        if not commands and not groups:
            return app
        single = copy.copy(app)  # the same settings, root callback (--version) and help
        single.registered_commands, single.registered_groups = commands, groups
        _SINGLE[name] = single
    return _SINGLE[name]


def main() -> None:
    """Entry point: the one place errors become Danish messages and exit codes."""
    from typer._click import exceptions as click_exc

    try:
        result = _app_for(sys.argv[1:])(standalone_mode=False, prog_name="rettidig")
        if result == 130:  # typer turns Ctrl-C at a prompt outside our own handlers into a return code
            raise KeyboardInterrupt
        if isinstance(result, int) and result:  # typer.Exit(code) from a command, e.g. guide tjek
            sys.exit(result)
    except RettidigError as exc:
        _fail(exc.message, exc.hint, exc.exit_code)
    except click_exc.NoArgsIsHelpError as exc:  # a group alone (`rettidig aftale`): its help, which is the answer
        if exc.message:  # plain help (TYPER_USE_RICH=0) comes as text; rich help is already printed
            typer.echo(exc.message)
        sys.exit(0)
    except click_exc.UsageError as exc:
        from rettidig_cli.commands.common import DefaultGroup

        command = exc.ctx.command_path if exc.ctx else "rettidig"
        if exc.ctx and exc.ctx.parent and isinstance(exc.ctx.parent.command, DefaultGroup) \
                and exc.ctx.info_name == DefaultGroup.default_command:
            command = exc.ctx.parent.command_path  # `observation SAG` is its group's own line: its help is the group's
        try:
            message = _usage_message(exc)
        except Exception:  # an error of a kind not foreseen is still said, never a traceback
            if os.environ.get("RETTIDIG_DEBUG"):
                raise
            message = "Kommandoen kan ikke læses, som den er skrevet."
        _fail(message, f"Se: {command} --help", 2)
    except (KeyboardInterrupt, typer.Abort):
        _fail("Afbrudt. Det, du allerede har svaret, er gemt.", None, 130)
    except (typer.Exit, click_exc.ClickException) as exc:  # --help, --version and friends
        sys.exit(getattr(exc, "exit_code", 0))
    except BrokenPipeError:
        sys.exit(1)
    except OSError as exc:  # a full or failing disk, a name too long: said in Danish, never a traceback
        if os.environ.get("RETTIDIG_DEBUG"):
            raise
        from rettidig_cli.domain.errors import disk_error

        error = disk_error(exc)
        _fail(error.message, error.hint, error.exit_code)
    except Exception as exc:  # never show a traceback: locals can hold a child's data
        if os.environ.get("RETTIDIG_DEBUG"):
            raise
        from rettidig_cli.commands import common
        from rettidig_cli.storage import store

        if isinstance(exc, store.database_errors()):  # a read outside a transaction met a damaged or locked file
            error = store.translate_error(exc, common.opened_path)
            _fail(error.message, error.hint, error.exit_code)
        _fail(f"Der skete en uventet fejl ({exc.__class__.__name__}). Det, der allerede er gemt, er ikke tabt.",
              "Kør igen med RETTIDIG_DEBUG=1 for detaljer, og fortæl det til den, der har installeret rettidig.", 70)


gc.freeze()
# A command that starts (imports rich, reads a plan) makes tens of thousands of objects that live
# until it ends; collecting every 700 allocations (Python's default) walks them again and again.
gc.set_threshold(20_000, 20, 20)
gc.enable()
