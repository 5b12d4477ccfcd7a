"""Commands that look after the data file itself: encryption, erasure, retention, the audit log
for a parent's request for insight, backups and a health check."""

import contextlib
import datetime as dt
from pathlib import Path
from typing import Annotated, Optional

import typer

from rettidig_cli.commands.common import (
    CaseArg, DanishCommand, DanishGroup, DbOption, asking_guard, home_folder, in_terminal, open_store,
    out_console, plural, say, warn,
)
from rettidig_cli.domain.errors import NoTerminalError, RettidigError, StoreError, UsageError

crypt_app = typer.Typer(cls=DanishGroup, no_args_is_help=True,
                        help="Kryptér datafilen med SQLCipher, eller skift dens nøgle.")

YesOption = Annotated[bool, typer.Option("--ja", help="Spørg ikke; til scripts.")]


UNCHANGED = "Intet er ændret."


# ---------------------------------------------------------------- kryptering


def _method(keyring: bool, passphrase: bool) -> str:
    from rettidig_cli.storage import keys
    from rettidig_cli.ui import prompts

    if keyring and passphrase:
        raise UsageError("Vælg enten --noeglering eller --adgangskode, ikke begge.")
    if keyring or passphrase:
        return keys.KEYRING if keyring else keys.PASSPHRASE
    if not in_terminal():
        raise NoTerminalError("Vælg, hvor nøglen skal ligge.", hint="Tilføj --noeglering (eller kør i en terminal).")
    with asking_guard(UNCHANGED):
        return prompts.select("Hvor skal nøglen ligge?", [
            ("I computerens nøglering (anbefalet: du skal ikke huske noget)", keys.KEYRING),
            ("I en adgangskode, som jeg skriver, hver gang jeg bruger rettidig", keys.PASSPHRASE)])


def _new_key(method: str):
    from rettidig_cli.commands import common as cli_common
    from rettidig_cli.storage import keys

    if method == keys.KEYRING:
        return keys.new_keyring_key()  # refuses a plain-text or missing keyring before anything happens
    with asking_guard(UNCHANGED):
        return keys.from_passphrase(cli_common._ask_new_passphrase())


def _rewrap(db: Path | None, method: str, encrypting: bool) -> None:
    from rettidig_cli.storage import encrypt, keys, safefile
    from rettidig_cli.storage.store import db_path

    path = db_path(db)
    if not path.exists():
        raise StoreError(f"Der er ingen datafil i {path} endnu.",
                         hint="Vælg kryptering, når datafilen oprettes, eller sæt kryptering = \"nøglering\" "
                         "i indstillinger.toml.")
    store = open_store(db)
    if encrypting and store.key is not None:
        store.close()
        raise UsageError("Datafilen er allerede krypteret.", hint="Skift nøglen med: rettidig kryptering skift")
    if not encrypting and store.key is None:
        store.close()
        raise UsageError("Datafilen er ikke krypteret endnu.", hint="Kryptér den med: rettidig kryptering til")
    old_key = store.key
    new_key = _new_key(method)  # asked first: Ctrl-C here changes nothing at all
    try:
        # The copy before the switch, under the old key: whatever happens next, the file as it was
        # can be restored.
        label = "før-kryptering" if encrypting else "før-nøgleskift"
        taken, _ = _logged_backup(store, label, detail=label)
        with store.atomic():
            store.audit("kryptering", None, "til" if encrypting else "ny nøgle")
        backup_folder = store.backup_folder()
        earlier = [b for b in store.backups() if b != taken]
        plain_backups = [b for b in earlier if not keys.sidecar(b).exists()]
        old_backups = [b for b in earlier if keys.sidecar(b).exists()]
        store.close()
    except BaseException:
        if new_key.key_id:  # no file names the new key yet
            keys.forget_keyring_key(new_key.key_id)
        raise
    try:
        outcome = encrypt.switch(path, old_key, new_key)
    except BaseException:
        if encrypt.opens_with(path, old_key):  # nothing changed, so "Intet er ændret" stays true
            safefile.unlink(taken, "kopi")
            if keys.sidecar(taken).exists():
                safefile.unlink(keys.sidecar(taken), "kopi")
        raise
    if outcome.interrupted:
        say(("Du trykkede Ctrl-C, ", "bold yellow"), "mens nøglen blev skiftet. Skiftet blev gjort færdigt først, "
             "så datafilen og nøglen passer sammen.")
    if encrypting and encrypt.opens_with(path, new_key) and not encrypt.wal_path(path).exists():
        # It held the children's data in clear text: it was the way back only while the switch ran,
        # and the encrypted file has just been seen to open with its key.
        safefile.unlink(taken, "kopi")
        say("Sikkerhedskopien fra før krypteringen er slettet igen, fordi den ikke var krypteret.")
    elif encrypting:
        warn(f"Sikkerhedskopien fra før krypteringen er beholdt ({taken}), fordi den krypterede fil ikke "
              "kunne kontrolleres. Kør: rettidig doctor")
    else:
        say("En sikkerhedskopi fra før skiftet ligger i ", (str(taken), "bold"), " og åbnes med den gamle "
             + ("nøgle, som derfor bliver i nøgleringen, til kopien slettes." if old_key.key_id else "adgangskode."))
    where = "nøglen i computerens nøglering" if method == keys.KEYRING else "din adgangskode"
    if encrypting:
        say(("Datafilen er nu krypteret", "bold green"), f" (AES-256). Den åbnes med {where}.")
    else:
        say(("Nøglen er skiftet.", "bold green"), f" Datafilen åbnes nu med {where}.")
    if method == keys.KEYRING:  # a passphrase got this warning before it was chosen
        say((keys.LOST_KEY_WARNING.format(what=where), "bold"))
    if old_backups and not encrypting:
        say(("Bemærk: ", "bold yellow"), f"{plural(len(old_backups), 'ældre sikkerhedskopi', 'ældre sikkerhedskopier')} "
             f"er krypteret med en tidligere nøgle eller adgangskode. Slet {'den' if len(old_backups) == 1 else 'dem'}, "
             "hvis en tidligere nøgle eller adgangskode kan være kendt af andre.")
    if not encrypting:
        say("Ingen sikkerhedskopi åbnes endnu med den nye nøgle. Tag en nu: ", ("rettidig backup", "bold"))
    if plain_backups:
        say(("Bemærk: ", "bold yellow"), f"{plural(len(plain_backups), 'ældre sikkerhedskopi', 'ældre sikkerhedskopier')} "
             f"i {backup_folder} er ikke krypteret og indeholder børnenes data i klar tekst. "
             f"Slet {'den' if len(plain_backups) == 1 else 'dem'}, når du ikke skal bruge "
             f"{'den' if len(plain_backups) == 1 else 'dem'}.")


@crypt_app.command(name="til", cls=DanishCommand)
def encrypt_on(
    keyring: Annotated[bool, typer.Option("--noeglering", "--nøglering", help="Gem en tilfældig nøgle i computerens nøglering.")] = False,
    passphrase: Annotated[bool, typer.Option("--adgangskode", help="Brug en adgangskode, som du skriver hver gang.")] = False,
    db: DbOption = None,
) -> None:
    """Kryptér en eksisterende, ukrypteret datafil (skrives til en ny fil, kontrolleres og byttes).

    Eksempel: rettidig kryptering til --noeglering
    """
    _rewrap(db, _method(keyring, passphrase), encrypting=True)


@crypt_app.command(name="skift", cls=DanishCommand)
def encrypt_change(
    keyring: Annotated[bool, typer.Option("--noeglering", "--nøglering", help="Ny tilfældig nøgle i computerens nøglering.")] = False,
    passphrase: Annotated[bool, typer.Option("--adgangskode", help="Ny adgangskode.")] = False,
    db: DbOption = None,
) -> None:
    """Skift nøglen til en krypteret datafil (eller skift mellem nøglering og adgangskode).

    Eksempel: rettidig kryptering skift --adgangskode
    """
    _rewrap(db, _method(keyring, passphrase), encrypting=False)


# ---------------------------------------------------------------- slet, oprydning


def _erased(store, what: str, codes: list[str]) -> None:
    """Compact the file, then say where copies of the erased text may still be."""
    complete = store.compact()
    say((what, "bold"), " Teksten er fjernet fra datafilen.")
    if not complete:
        warn("Et andet rettidig-vindue har datafilen åben, så en rest kan ligge i filen "
              f"{store.path.name}-wal, til det lukkes. Luk det, og kør: rettidig doctor")
    copies = store.backups()
    exported = store.exports_of(codes)
    still_there = ([f"{plural(len(copies), 'sikkerhedskopi', 'sikkerhedskopier')} i {store.backup_folder()}"]
              if copies else []) + ([f"{plural(exported, 'eksporteret dokument', 'eksporterede dokumenter')}"
                                     " (se rettidig indsigt)"] if exported else [])
    if still_there:
        say(("Husk: ", "bold yellow"), " og ".join(still_there) + " indeholder stadig det slettede. "
             "Slet dem, når de ikke skal bruges.")


def slet(
    case: CaseArg,
    confirm: Annotated[Optional[str], typer.Option("--bekraeft", "--bekræft", metavar="SAG",
                                                   help="Sagens kode igen, som bekræftelse (til scripts).",
                                                   show_default=False)] = None,
    db: DbOption = None,
) -> None:
    """Slet en sag for altid: alle dens oplysninger fjernes fra datafilen (kan ikke fortrydes).

    Eksempel: rettidig slet RT-2026-001
    """
    from rettidig_cli.storage import erase
    from rettidig_cli.ui import prompts
    from rettidig_cli.domain.privacy import printable

    store = open_store(db)
    row = store.case(case, log=False)
    counts = erase.record_counts(store, row)
    if confirm is None:
        if not in_terminal():
            raise NoTerminalError("Sletning skal bekræftes.", hint=f"Skriv sagens kode igen: rettidig slet {row['code']} "
                                  f"--bekraeft {row['code']}")
        from rettidig_cli.domain import dates

        created = dates.format_date(dt.date.fromisoformat(row["created_at"][:10]))
        child = ", ".join(x for x in (row["child_name"], row["age_group"], row["setting"]) if x) or "barn ikke udfyldt"
        # Logged before the child's name is on the screen: the user may then say no (or Ctrl-C), and
        # a parent's insight must still list that the case was shown. erase_case keeps audit rows.
        with store.atomic(row):
            store.audit("visning", row["code"], ERASE_PROMPT_DETAIL)
        say("Sag ", (row["code"], "bold"), f" – {child} – ({row['status']}, oprettet {created}) har "
             f"{sum(counts.values())} poster. Sletningen kan ikke fortrydes.")
        say("Det, der skal gemmes, hører hjemme i kommunens ESDH: eksportér det først med ",
             (f"rettidig export {row['code']}", "bold"), ".")
        with asking_guard(UNCHANGED):
            # prompt_toolkit writes the question past the cleaning console: the code is cleaned here.
            confirm = prompts.ask_text(f"Skriv sagens kode ({printable(row['code'])}) for at slette den for altid:",
                                       lambda raw: raw)
    if confirm.strip().upper() != row["code"].upper():
        raise UsageError("Koden passer ikke til sagen. Intet er slettet.")
    erase.erase_case(store, row)
    _erased(store, f"Sag {row['code']} er slettet.", [row["code"]])


def oprydning(
    closed_after: Annotated[Optional[int], typer.Option("--lukkede-efter", metavar="MÅNEDER",
                                                        help="Slet lukkede sager, der blev lukket for mere end så mange måneder siden.",
                                                        show_default=False)] = None,
    log_after: Annotated[Optional[int], typer.Option("--log-efter", metavar="MÅNEDER",
                                                     help="Slet logposter, der er ældre end så mange måneder.",
                                                     show_default=False)] = None,
    remember: Annotated[bool, typer.Option("--gem", help="Husk perioderne til næste gang (indstillinger.toml).")] = False,
    yes: YesOption = False,
    db: DbOption = None,
) -> None:
    """Slet lukkede sager og logposter, der er ældre end opbevaringsperioden.

    Eksempel: rettidig oprydning --lukkede-efter 12 --gem
    """
    from rettidig_cli.domain import dates
    from rettidig_cli.storage import erase, settings
    from rettidig_cli.ui import prompts

    if any(months is not None and months < 1 for months in (closed_after, log_after)):
        raise UsageError("En opbevaringsperiode skal være mindst 1 måned.")
    home = home_folder()
    default_closed, default_log = settings.retention(home)
    closed_months, log_months = closed_after or default_closed, log_after or default_log
    if remember:
        settings.save(home, lukkede_sager_maaneder=closed_months, log_maaneder=log_months)
        say(f"Gemt: lukkede sager slettes efter {closed_months} måneder, logposter efter {log_months} måneder.")
    store = open_store(db)
    today = dates.today()
    due = erase.expired_cases(store, closed_months, today)
    old_log = erase.old_audit_rows(store, log_months, today)
    if not due and not old_log:
        say(f"Intet at rydde op: ingen lukkede sager ældre end {closed_months} måneder og ingen logposter "
             f"ældre end {log_months} måneder.")
        return
    for row in due:
        say("  ", (row["code"], "bold"), f" lukket {dates.format_date(dt.date.fromisoformat(row['closed_at'][:10]))}")
    found = [f"{plural(len(due), 'lukket sag', 'lukkede sager')} (opbevares {plural(closed_months, 'måned', 'måneder')})"] \
        if due else []
    found += [f"{plural(old_log, 'logpost', 'logposter')} (opbevares {plural(log_months, 'måned', 'måneder')})"] \
        if old_log else []
    say(f"{' og '.join(found)} er ældre end opbevaringsperioden.")
    if not yes:
        if not in_terminal():
            raise NoTerminalError("Sletningen skal bekræftes.", hint="Tilføj --ja for at slette dem.")
        with asking_guard(UNCHANGED):
            erase_now = prompts.yes("Slet dem for altid?" if len(due) + old_log > 1 else "Slet den for altid?",
                                    default=False)
        if not erase_now:
            say("Intet er slettet.")
            return
    for row in due:
        erase.erase_case(store, row, action="slet-opbevaring")
    removed = erase.prune_audit(store, log_months, today)
    done = [plural(len(due), "sag", "sager")] if due else []
    done += [plural(removed, "logpost", "logposter")] if removed else []
    _erased(store, f"{' og '.join(done)} er slettet.", [row["code"] for row in due])


# ---------------------------------------------------------------- indsigt

# The audit log stores command names and record kinds as the code knows them; a parent reads Danish.
AUDIT_WORDS = {
    "new": "ny sag", "resume": "fortsæt sag", "plan": "handleplan", "list": "oversigt", "export": "eksport",
    "safety": "sikkerhedsspørgsmål", "child": "barnet", "text": "tekst", "observations": "observation",
    "factors": "faktor", "decision": "beslutning", "agreements": "aftale", "status_meetings": "statusmøder",
    "meeting": "møde", "consent": "samtykke", "position": "placering på linealen", "tovholder": "tovholder",
    "underretning": "underretning", "network": "familiens netværk",
    "navngivet": "en anonym sag har fået barnets navn (samtykke)",
    "anonym forhåndsvisning": "anonymt dokument vist til gennemlæsning før eksport",
    "før sletning": "barnets navn, aldersgruppe og tilbud vist ved spørgsmålet om sletning",
    "før-kryptering": "før datafilen blev krypteret", "før-nøgleskift": "før datafilens nøgle blev skiftet",
    "før-opdatering": "før datafilen blev opdateret",
    "mistanke": "mistanke om vold eller overgreb registreret",
    "mistanke fjernet": "mistanke om vold eller overgreb taget af sagen",
}


# What happened, as a parent reads it (the log stores short verbs).
ACTION_WORDS = {
    "opret": "oprettet", "læs": "læst", "søg": "vist i oversigt", "ændre": "ændret", "luk": "lukket",
    "genåbn": "genåbnet", "eksport": "eksporteret", "skjul-ord": "ord skjult", "slet": "slettet",
    "slet-opbevaring": "slettet (opbevaringstiden udløb)", "indsigt": "log vist",
    "visning": "vist på skærmen", "backup": "kopieret til en sikkerhedskopi",
    "gendan": "lagt tilbage fra en sikkerhedskopi",
}

# The detail of the "visning" row (a case's data shown by a command that logs no "læs") written by the
# erasure prompt; the anonymous export's preview writes cli_export.PREVIEW_DETAIL. Both are in AUDIT_WORDS.
ERASE_PROMPT_DETAIL = "før sletning"


def _words(text: str) -> str:
    return AUDIT_WORDS.get(text, text)


def indsigt(
    case: CaseArg,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv loggen som JSON.")] = False,
    db: DbOption = None,
) -> None:
    """Vis loggen for én sag: hvem har set, søgt, ændret, eksporteret eller slettet hvornår (til aktindsigt).

    Eksempel: rettidig indsigt RT-2026-001
    """
    from rich.table import Table
    from rich.text import Text

    from rettidig_cli.domain.errors import NotFoundError

    store = open_store(db)
    from rettidig_cli.storage.store import normalise_code

    rows = store.audit_rows(case)
    if not rows:  # a part of the code, the child's name or initials of a case still there
        try:
            case = store.case(case, log=False)["code"]
        except NotFoundError:
            pass
        else:
            rows = store.audit_rows(case)
    if not rows:
        raise NotFoundError(f"Der er ingen logposter for sagen «{case}».", hint="Se dine sager med: rettidig list")
    wanted = normalise_code(case)
    code = next((r["case_code"] for r in rows if (r["case_code"] or "").upper() == wanted), wanted)
    with store.atomic():
        store.audit("indsigt", code)
    from rettidig_cli.domain.privacy import printable_tree

    # The user name comes from the environment and the rows from a file anyone could edit: cleaned
    # like every other text before it reaches a terminal or a JSON reader.
    entries = printable_tree([{"tidspunkt": r["at"][:19], "bruger": r["os_user"], "handling": r["action"],
                               "formål": _words(r["purpose"] or ""), "detalje": _words(r["detail"] or "")}
                              for r in rows])
    if as_json:
        from rettidig_cli.ui.output import write_json

        write_json({"sag": code, "log": entries})
        return
    table = Table(title=Text(f"Log for sag {code} – hvem har brugt oplysningerne"), title_justify="left", expand=True)
    # Wrapped, never cut with …: the time and the user whole, the rest shares the width (Hvad the most).
    for name, ratio in (("Tidspunkt", None), ("Bruger", None), ("Handling", 1), ("Formål (kommando)", 1), ("Hvad", 2)):
        table.add_column(name, no_wrap=ratio is None, overflow="fold", ratio=ratio)
    for entry in entries:
        moment = dt.datetime.fromisoformat(entry["tidspunkt"])
        table.add_row(Text(f"{moment:%d-%m-%Y %H.%M}"), Text(entry["bruger"]),
                      Text(ACTION_WORDS.get(entry["handling"], entry["handling"])), Text(entry["formål"]),
                      Text(entry["detalje"]))
    from rettidig_cli.ui.output import paged

    with paged():
        console = out_console()
        console.print(table)
        console.print(Text("Loggen viser aldrig indhold, kun hvem der brugte sagen, hvornår og til hvad."))


# ---------------------------------------------------------------- backup, doctor


def _logged_backup(store, label: str, target: Path | None = None, detail: str = "") -> tuple[Path, list[str]]:
    """A backup with one audit row per case in the file: it copies every child's data, so every
    case's insight log (rettidig indsigt) must list it. Returns the copy and the case codes.

    The rows are written before the copy, not after, because SQLite cannot copy a file from inside
    a write transaction: written after, an interruption between the two would leave a copy no log
    names. Being in the copy is right as well: a restored copy still says it was taken. If the copy
    fails (Store.backup removes what it had begun), the rows go again; if that fails too, they stay:
    a log that names a copy too many is better than one that misses one."""
    with store.atomic():
        first = store.last_audit_id() + 1
        codes = store.audit_every_case("backup", detail)
        last = store.last_audit_id()
    try:
        return store.backup(label, target), codes
    except BaseException:
        if last >= first:
            with contextlib.suppress(RettidigError):
                with store.atomic():
                    store.unlog_backup(first, last)
        raise


def backup(
    out: Annotated[Optional[Path], typer.Option("--til", help="Gem kopien her (en fil, der ikke findes).",
                                                show_default=False)] = None,
    db: DbOption = None,
) -> None:
    """Tag en sikkerhedskopi af datafilen (med SQLites backup-funktion; kontrolleret, før den gemmes; krypteret, hvis datafilen er).

    Eksempel: rettidig backup
    """
    if out is not None:
        from rettidig_cli.export import check_name

        check_name(str(out))  # the name is seen more widely than the file: no CPR number in it
    store = open_store(db)
    target, codes = _logged_backup(store, "kopi", out.expanduser() if out else None)
    with store.atomic():
        # The general row: a backup of a file without cases is logged too, and it says how many.
        store.audit("backup", None, plural(len(codes), "sag", "sager"))
    say(("Sikkerhedskopi gemt: ", "bold green"), str(target))
    say("Den er kontrolleret (integrity_check), før den fik sit navn.")
    if store.key is not None:
        say("Kopien er krypteret med samme nøgle som datafilen.")
    say("Læg den på plads igen med: ", (f"rettidig gendan {target}", "bold"))


def doctor(db: DbOption = None) -> None:
    """Tjek datafilen: hel, privat og et sikkert sted? Retter intet selv.

    Eksempel: rettidig doctor
    """
    from rich.text import Text

    from rettidig_cli.commands import common as cli_common
    from rettidig_cli.storage import doctor as checks
    from rettidig_cli.storage.store import db_path

    results = checks.run(db_path(db), ask_passphrase=cli_common._ask_passphrase)
    console = out_console()
    marks = {checks.OK: ("OK", "green"), checks.WARNING: ("Advarsel", "yellow"), checks.ERROR: ("Fejl", "bold red")}
    for check in results:
        label, style = marks[check.status]
        console.print(Text.assemble((f"{label:<9}", style), (f"{check.title}: ", "bold"), check.detail), soft_wrap=True)
    if any(c.status == checks.ERROR for c in results):
        raise RettidigError("rettidig doctor fandt fejl (se ovenfor). Datafilen er ikke ændret.")


def _ask_passphrase_for(what: str):
    """A passphrase question naming which file it is for (the backup, or the current data file)."""
    def ask(attempt: int) -> str:
        import questionary

        if not in_terminal():
            raise NoTerminalError(f"{what[0].upper()}{what[1:]} er krypteret med en adgangskode, og der er ingen "
                                  "terminal at spørge i.", hint="Kør kommandoen i en terminal.")
        if attempt:
            say(("Forkert adgangskode. ", "bold red"), f"Prøv igen ({attempt + 1}. af 3 forsøg).")
        with asking_guard(UNCHANGED):
            return questionary.password(f"Adgangskode til {what}:").unsafe_ask()

    return ask


def _when(moment: dt.datetime) -> str:
    return f"{moment:%d-%m-%Y} kl. {moment:%H.%M}"


def gendan(
    source: Annotated[Path, typer.Argument(metavar="SIKKERHEDSKOPI", show_default=False,
                                           help="Sikkerhedskopien, der skal bruges (en .db-fil, fx fra mappen "
                                           "sikkerhedskopier ved siden af datafilen).")],
    yes: YesOption = False,
    db: DbOption = None,
) -> None:
    """Læg en sikkerhedskopi på plads som datafil. Kopien kontrolleres først, og den nuværende datafil gemmes til side (den slettes aldrig).

    Eksempel: rettidig gendan sikkerhedskopier/rettidig-kopi-20261201-090000-000000.db
    """
    from rettidig_cli.ui import prompts
    from rettidig_cli.storage import restore
    from rettidig_cli.storage.store import db_path

    path = db_path(db)
    backup_file = source.expanduser()
    if not yes and not in_terminal():
        raise NoTerminalError("Gendannelse skal bekræftes, og der er ingen terminal at spørge i. Intet er ændret.",
                              hint=f"Tilføj --ja for at gendanne uden spørgsmål: rettidig gendan {backup_file} --ja")
    checked = restore.check_backup(path, backup_file, _ask_passphrase_for("sikkerhedskopien"))
    try:
        newest = dt.datetime.fromisoformat(checked.newest) if checked.newest else None
        say(("Sikkerhedskopien er hel", "bold green"), f" (tjekket med integrity_check): {backup_file}")
        say(f"Den er taget {_when(checked.taken)}"
             + (f"; det seneste, der er registreret i den, er fra {_when(newest)}." if newest else "."))
        say(("Alt, hvad der er gemt efter sikkerhedskopien blev taget, kommer ikke med.", "bold"),
             " Og en sag, der er slettet efter, kommer tilbage: slet den igen bagefter (se rettidig indsigt SAG).")
        if not yes:
            say(f"Den nuværende datafil {path} bliver ikke slettet: den gemmes i {restore.aside_folder(path)}.")
            with asking_guard(UNCHANGED):
                go = prompts.yes("Læg sikkerhedskopien på plads som datafil?", default=False)
            if not go:
                say(UNCHANGED)
                return
        lock = restore.lock_current(path, checked, _ask_passphrase_for("den nuværende datafil"))
        restored = restore.swap(path, checked, lock)
    finally:
        restore.discard_copy(path)  # the checked copy, unless swap put it in place
    restore.audit(path, checked)
    say(("Sikkerhedskopien er lagt på plads som datafil: ", "bold green"), str(path))
    if restored.kept is not None:
        say("Den tidligere datafil er gemt (ikke slettet) her: ", (str(restored.kept), "bold"))
        if not restored.locked:
            say("Den kunne ikke åbnes (beskadiget, eller nøglen passer ikke). Giv den til IT, hvis den skal undersøges.")
        else:
            say("Fortryd med: ", (f"rettidig gendan {restored.kept}", "bold"))
    if checked.passphrase is not None:
        say(("Datafilen åbnes nu med sikkerhedskopiens adgangskode", "bold yellow"),
             " (den, du skrev for kopien) – også hvis du har skiftet adgangskode, siden kopien blev taget.")
    say(f"Datafilen indeholder nu det, der var gemt, da sikkerhedskopien blev taget ({_when(checked.taken)}). "
         "Det, der blev gemt efter, er ikke i den.")
    say("Tjek den med: ", ("rettidig doctor", "bold"))


def register(app: typer.Typer) -> None:
    for function, name in ((slet, "slet"), (oprydning, "oprydning"), (indsigt, "indsigt"), (backup, "backup"),
                           (gendan, "gendan"), (doctor, "doctor")):
        app.command(name=name, cls=DanishCommand)(function)
    app.add_typer(crypt_app, name="kryptering")
