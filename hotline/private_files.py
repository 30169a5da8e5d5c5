"""The controller's files are its own: caller numbers, summaries, transcripts, password and SIP
digest hashes, keys and recordings are readable by no other local user.

The entry points (the ``hotline`` command and the app's lifespan, never an import) set the umask to
:data:`CONTROLLER_UMASK`, so every file the controller writes is 0600 and every directory 0700;
what Asterisk must read is handed to it explicitly (``hotline/asterisk/layout.py``). At start
:func:`secure_state` creates the state directories with explicit modes and takes group and other
permissions away from what an older installation left readable.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Collection
from pathlib import Path

from sqlalchemy.engine import make_url

from hotline.settings import Settings

log = logging.getLogger(__name__)

CONTROLLER_UMASK = 0o077
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
# SQLite keeps these beside the database, with the database file's own mode when it makes them.
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def restrict_umask() -> int:
    """Files and directories made from now on by this process are private; returns the old umask."""
    return os.umask(CONTROLLER_UMASK)


def sqlite_path(database_url: str) -> Path | None:
    """The database file of a SQLite URL (None for other databases and in-memory SQLite)."""
    url = make_url(database_url)
    if not url.drivername.startswith("sqlite") or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def tighten(path: Path, *, spare: Collection[Path] = (), recurse: bool = True) -> list[Path]:
    """Take the group and other permission bits off ``path`` and (``recurse``) everything below
    it, except the trees in ``spare``; symbolic links are not followed. Returns what changed."""
    spared = {p.resolve() for p in spare}
    changed: list[Path] = []

    def fix(item: Path) -> bool:
        """True for a directory to walk into."""
        try:
            mode = item.lstat().st_mode
            if stat.S_ISLNK(mode) or (stat.S_ISDIR(mode) and spared and item.resolve() in spared):
                return False
            if stat.S_IMODE(mode) & 0o077:
                item.chmod(stat.S_IMODE(mode) & ~0o077)
                changed.append(item)
        except FileNotFoundError:  # removed meanwhile
            return False
        return stat.S_ISDIR(mode)

    if fix(path) and recurse:
        for directory, names, files in os.walk(path):
            base = Path(directory)
            names[:] = [name for name in names if fix(base / name)]
            for name in files:
                fix(base / name)
    return changed


def secure_state(settings: Settings) -> list[Path]:
    """Create the state directory, its secrets directory and the recordings store as private
    directories, create the SQLite database file 0600 if it does not exist yet, and make private
    whatever an earlier version left readable to others. Returns what was changed (and logs it)."""
    state = settings.state_dir
    store = settings.recording_store
    # The store holds one file per recorded leg, so it is walked only when it was left open: the
    # controller has written its files 0600 since.
    store_open = store.is_dir() and bool(stat.S_IMODE(store.stat().st_mode) & 0o077)
    for directory in (state, settings.secrets_dir, store):
        directory.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    # Everything in the state directory but the recordings (below) and an Asterisk root kept there
    # (its system files must stay readable inside the chroot).
    changed = tighten(state, spare=(store, settings.asterisk.root))
    changed += tighten(store, recurse=store_open)
    database = sqlite_path(settings.resolved_database_url)
    if database is not None:
        # A database elsewhere may live in a directory shared with other things: only its files.
        database.parent.mkdir(parents=True, exist_ok=True)
        # Made here, empty (a valid empty SQLite database), so that it is never readable by others,
        # whatever the umask; SQLite makes the -wal and -shm files with the same mode.
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE))
        for companion in ("", *SQLITE_COMPANIONS):
            changed += tighten(database.with_name(database.name + companion), recurse=False)
    key_file = settings.recordings.key_file
    if key_file is not None and key_file.exists():
        changed += tighten(key_file, recurse=False)
    if changed:
        shown = ", ".join(str(path) for path in changed[:10])
        more = f" and {len(changed) - 10} more" if len(changed) > 10 else ""
        log.warning(
            "Made %d file(s) and directories of the state private (they were readable by other local "
            "users): %s%s",
            len(changed),
            shown,
            more,
        )
    return changed
