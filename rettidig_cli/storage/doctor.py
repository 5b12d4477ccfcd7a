"""`rettidig doctor`: is the data file whole, private and safe where it lies? Only reads; never
creates, migrates, tightens or repairs anything (it says what to do instead)."""

from __future__ import annotations

import datetime as dt
import os
import stat
from dataclasses import dataclass
from pathlib import Path

OK, WARNING, ERROR = "ok", "advarsel", "fejl"


@dataclass(frozen=True)
class Check:
    status: str
    title: str
    detail: str


def _modes(path: Path, store_backups: list[Path]) -> list[Check]:
    if os.name != "posix":
        return []
    loose = []
    folder_mode = stat.S_IMODE(path.parent.stat().st_mode)
    if folder_mode & 0o077:
        loose.append(f"mappen {path.parent} ({folder_mode:o}, skal være 700)")
    extras = [path.with_name(path.name + s) for s in ("-wal", "-shm", ".kryptering")]
    for file in [path, *extras, *store_backups]:
        if file.exists() and stat.S_IMODE(file.stat().st_mode) & 0o077:
            loose.append(f"{file.name} ({stat.S_IMODE(file.stat().st_mode):o}, skal være 600)")
    if not stat.S_IMODE(path.stat().st_mode) & stat.S_IWUSR:
        return [Check(ERROR, "Filrettigheder", "Datafilen er skrivebeskyttet, så rettidig kan ikke gemme noget. "
                      f"Fjern skrivebeskyttelsen (chmod 600 {path}), eller brug en kopi.")]
    if loose:
        return [Check(ERROR, "Filrettigheder", "Andre brugere kan læse: " + "; ".join(loose)
                      + ". Ret med chmod, eller åbn rettidig én gang (datafilen strammes da selv).")]
    return [Check(OK, "Filrettigheder", "Kun du kan læse datafilen, dens mappe og sikkerhedskopierne.")]


def _backups(path: Path, known_key, info) -> list[Check]:
    """Every backup opened with its own sidecar's key (a keyring key is found; one locked by a
    passphrase only with the data file's, already typed) and checked: quick_check, a rettidig
    file, not from a newer version. Also a backup or a restore that a crash cut short."""
    from rettidig_cli.storage import keys, restore
    from rettidig_cli.storage.store import BACKUP_FOLDER, Store, backups_in

    checks = []
    marker = restore.marker_path(path)
    if marker.exists():
        checks.append(Check(ERROR, "Gendannelse", f"En gendannelse blev afbrudt ({marker.name} ligger i "
                            f"{path.parent}). Kør rettidig gendan igen med den samme sikkerhedskopi, og slet "
                            f"derefter {marker.name}, hvis den stadig findes."))
    if restore.copy_path(path).exists():
        checks.append(Check(WARNING, "Gendannelse", f"{restore.copy_path(path).name} er en kopi fra en afbrudt "
                            "gendannelse og kan slettes (næste rettidig gendan fjerner den)."))
    folder = path.parent / BACKUP_FOLDER
    if not folder.is_dir():
        return checks + [Check(WARNING, "Sikkerhedskopier", "Ingen endnu. Tag en med: rettidig backup")]
    unfinished = sorted(folder.glob("*" + Store.UNFINISHED_SUFFIX))
    if unfinished:
        checks.append(Check(WARNING, "Sikkerhedskopier", f"{len(unfinished)} afbrudt sikkerhedskopi"
                            f"{'' if len(unfinished) == 1 else 'er'} (ikke brugbar, fjernes ved næste "
                            "rettidig backup): " + ", ".join(u.name for u in unfinished[:3])))
    good, unchecked, foreign = [], [], []
    for backup in backups_in(folder):
        verdict, detail = restore.inspect_backup(backup, known_key)
        if verdict == "ok":
            good.append(backup)
        elif verdict == "ikke tjekket":
            unchecked.append(backup)
        elif verdict == "fremmed":
            foreign.append(backup)
            checks.append(Check(WARNING, "Sikkerhedskopi", f"{backup.name} {detail}."))
        else:
            checks.append(Check(ERROR, "Sikkerhedskopi", f"{backup.name} {detail}. Den kan ikke bruges; slet den, "
                                "og tag en ny med: rettidig backup"))
    plain = [b for b in good + foreign if not keys.sidecar(b).exists()]
    if info is not None and plain:
        checks.append(Check(WARNING, "Sikkerhedskopier", f"{len(plain)} af sikkerhedskopierne er ikke krypteret "
                            "(fra før datafilen blev krypteret) og indeholder børnenes data i klar tekst: "
                            + ", ".join(b.name for b in plain[:3]) + ". Slet dem, når de ikke skal bruges."))
    if unchecked:
        checks.append(Check(WARNING, "Sikkerhedskopier", f"{len(unchecked)} er krypteret med en anden adgangskode "
                            "end datafilen og er ikke tjekket: " + ", ".join(b.name for b in unchecked[:3])
                            + ". rettidig gendan tjekker en kopi, før den bruges."))
    if good:
        newest = dt.datetime.fromtimestamp(max(b.stat().st_mtime for b in good))
        checks.append(Check(OK, "Sikkerhedskopier", f"{len(good)} hele i {folder} (åbnet og tjekket), nyeste "
                            f"{newest:%d-%m-%Y %H.%M}."))
    elif not unchecked:
        checks.append(Check(WARNING, "Sikkerhedskopier", "Ingen hele endnu. Tag en med: rettidig backup"))
    kept = restore.aside_folder(path)
    earlier = sorted(kept.glob("*.db")) if kept.is_dir() else []
    if earlier:
        checks.append(Check(OK, "Gemt ved gendannelse", f"{len(earlier)} tidligere "
                            f"{'datafil' if len(earlier) == 1 else 'datafiler'} i {kept}. De indeholder børnenes "
                            "data; slet dem, når de ikke skal bruges."))
    return checks


def _leftovers(store) -> list[Check]:
    """Temporary export files (with a child's data) left by a run that was killed."""
    left = [p for _, p in store.pending_leftovers() if p.exists()]
    if not left:
        return []
    what = "1 halvt skrevet eksport ligger" if len(left) == 1 else f"{len(left)} halvt skrevne eksporter ligger"
    return [Check(WARNING, "Midlertidige filer", f"{what} tilbage fra en kørsel, der blev afbrudt, med oplysninger om "
                  "børn: " + ", ".join(str(p) for p in left[:3]) + ". "
                  + ("Den" if len(left) == 1 else "De") + " fjernes, næste gang rettidig bruges (fx: rettidig list).")]


def run(path: Path, ask_passphrase=None, today: dt.date | None = None) -> list[Check]:
    from rettidig_cli.storage import erase, keys, places, settings
    from rettidig_cli.domain.errors import RettidigError
    from rettidig_cli.storage.store import BACKUP_FOLDER, Store, data_home, schema_state

    if not path.exists():
        missing = [Check(WARNING, "Datafil", f"Der er ingen datafil i {path} endnu.")]
        # Backups without a data file: say whether they are whole (one may be put back with gendan).
        return missing + (_backups(path, None, None) if (path.parent / BACKUP_FOLDER).is_dir() else [])
    size = path.stat().st_size
    checks = [Check(OK, "Datafil", f"{path} ({size // 1024} KB)" if size >= 1024 else f"{path} ({size} byte)")]
    try:
        store = Store(path, ask_passphrase=ask_passphrase, create=False)
    except RettidigError as exc:  # nothing else is worth checking in a file that does not open
        # ... but the backups are: one of them may be what the user needs now.
        backups = _backups(path, None, None)
        if any(c.status == OK and c.title == "Sikkerhedskopier" for c in backups):
            backups.append(Check(WARNING, "Gendan", "Læg en hel sikkerhedskopi på plads med: "
                                 f"rettidig gendan {path.parent / BACKUP_FOLDER}/FILNAVN.db"))
        return checks + [Check(ERROR, "Åbning", exc.message)] + backups
    warning = places.location_warning(path)
    checks.append(Check(WARNING, "Placering", warning) if warning else Check(OK, "Placering", "Lokal mappe."))
    info = None
    try:
        info = keys.describe(path)
    except RettidigError as exc:
        checks.append(Check(ERROR, "Kryptering", exc.message))
    if info is None:
        checks.append(Check(WARNING, "Kryptering", "Datafilen er ikke krypteret. Kryptér den med: rettidig kryptering til"))
    elif info["metode"] == keys.KEYRING:
        checks.append(Check(OK, "Kryptering", "Krypteret med SQLCipher; nøglen ligger i computerens nøglering."))
    else:
        checks.append(Check(OK, "Kryptering", "Krypteret med SQLCipher og en adgangskode."))
    if keys.switch_in_progress(info):
        checks.append(Check(WARNING, "Kryptering", "Et skift af nøgle blev afbrudt. Begge nøgler er bevaret, og "
                            "næste gang rettidig åbner datafilen, gøres skiftet færdigt eller rulles tilbage."))
    try:
        checks += _modes(path, [p for b in store.backups() for p in (b, b.with_name(b.name + ".kryptering"))])
        for pragma, title in (("quick_check", "Hurtigt tjek"), ("integrity_check", "Fuldt tjek")):
            try:
                verdict = store.check(pragma)
            except Exception as exc:  # a corrupt file can fail the check itself
                verdict = [str(exc)]
            checks.append(Check(OK, title, "Ingen fejl fundet.") if verdict == ["ok"]
                          else Check(ERROR, title, "; ".join(verdict[:5]) + " – brug en sikkerhedskopi."))
        try:
            broken = len(store.check("foreign_key_check"))
        except Exception:  # a damaged table cannot be walked: the checks above already say so
            broken = None
        if broken is None:
            checks.append(Check(ERROR, "Sammenhæng", "Kunne ikke tjekkes, fordi filen er beskadiget."))
        else:
            checks.append(Check(OK, "Sammenhæng", "Alle poster hører til en sag.") if not broken else
                          Check(ERROR, "Sammenhæng", f"{broken} poster peger på noget, der ikke findes."))
        try:
            schema = schema_state(store.conn)
        except Exception:
            return checks
        if schema == "newer":
            checks.append(Check(ERROR, "Version", "Filen er lavet af en nyere version af rettidig. Opdatér rettidig."))
        elif schema == "pending":
            checks.append(Check(WARNING, "Version", "Filen opdateres, næste gang rettidig bruger den "
                                "(en sikkerhedskopi tages først)."))
        else:
            checks.append(Check(OK, "Version", "Datafilen passer til denne version af rettidig."))
        checks += _backups(path, store.key, info)
        if schema == "current":
            checks += _leftovers(store)
            told: list[str] = []
            months, _ = settings.retention(data_home(), warn=told.append)
            checks += [Check(WARNING, "Indstillinger", note) for note in told]
            due = erase.expired_cases(store, months, today or dt.date.today())
            checks.append(Check(WARNING, "Opbevaring", f"{len(due)} lukkede sager er ældre end {months} måneder. "
                                "Slet dem med: rettidig oprydning") if due else
                          Check(OK, "Opbevaring", f"Ingen lukkede sager ældre end {months} måneder."))
    finally:
        store.close()
    return checks
