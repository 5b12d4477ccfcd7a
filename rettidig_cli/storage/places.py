"""Is the data file somewhere SQLite can be corrupted? A cloud-synced folder copies the file while
it is being written; a network drive's locking is not reliable. Both get a warning, not a refusal:
the user may have no other choice on a municipal laptop."""

from __future__ import annotations

import os
from pathlib import Path

MOUNTS = Path("/proc/mounts")


def _cloud_folder(path: Path, names: tuple[str, ...]) -> str | None:
    wanted = [n.lower() for n in names]
    for part in path.parts:
        lowered = part.lower()
        for name in wanted:
            if lowered.startswith(name):
                return part
    return None


def _windows_network(path: Path) -> bool:
    text = str(path)
    if text.startswith("\\\\"):
        return True
    if os.name != "nt" or len(text) < 2 or text[1] != ":":
        return False
    import ctypes

    DRIVE_REMOTE = 4
    return ctypes.windll.kernel32.GetDriveTypeW(text[:2] + "\\") == DRIVE_REMOTE


def _mount_type(path: Path, mounts_text: str) -> str | None:
    """The file system type of the longest mount point that holds path (Linux)."""
    best, best_type = "", None
    target = str(path)
    for line in mounts_text.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, best_type = point, fields[2]
    return best_type


def location_warning(path: Path, what: str = "Datafilen") -> str | None:
    """A Danish warning if a file (the data file, or an export) lies in a synced folder or on a
    network drive."""
    from rettidig_cli.guide.reference import privacy_rules

    rules = privacy_rules()
    try:
        resolved = path.expanduser().resolve()
    except OSError:
        resolved = path
    folder = _cloud_folder(resolved, rules.cloud_folders)
    if folder:
        if what != "Datafilen":
            return (f"{what} ligger i en mappe, der synkroniseres til skyen («{folder}»), og sendes dermed ud af "
                    "computeren. Den er ikke krypteret. Gem dokumenter om børn i en lokal mappe eller i ESDH.")
        return (f"Datafilen ligger i en mappe, der synkroniseres til skyen («{folder}»). Synkronisering kan "
                "ødelægge datafilen og sender børns data ud af computeren. Flyt den til en lokal mappe "
                "(standardmappen, se rettidig doctor), eller vælg en anden med RETTIDIG_HOME.")
    network = _windows_network(resolved)
    if not network:
        try:
            fs_type = _mount_type(resolved, MOUNTS.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            fs_type = None
        network = fs_type in rules.network_filesystems
    if network and what != "Datafilen":
        return f"{what} ligger på et netværksdrev. Den er ikke krypteret."
    if network:
        return ("Datafilen ligger på et netværksdrev. Her kan SQLite-filer blive ødelagt, når to "
                "skriver samtidig. Flyt den til en lokal mappe, eller vælg en anden med RETTIDIG_HOME.")
    return None
