"""Runs one rettidig command in this process with a fault at one named point of the careful
writes (rettidig_cli.storage.safefile.point), as the fault tests' subprocess.

    python fault_driver.py RESULT_FILE FAULT N -- rettidig-args...

FAULT is one of: count (no fault; write the names of every point passed to RESULT_FILE),
kill (SIGKILL at the N-th point), sigint (a real SIGINT at the N-th point), enospc, eio (an
OSError raised there), interrupt (KeyboardInterrupt raised there). Passphrase prompts are answered
from RETTIDIG_FAULT_PASSPHRASES (old, new), which only this driver reads: rettidig itself never
takes a key from the environment. Exit status is rettidig's own."""

from __future__ import annotations

import errno
import json
import os
import signal
import sys


def main() -> None:
    result_file, fault, nth = sys.argv[1], sys.argv[2], int(sys.argv[3])
    args = sys.argv[sys.argv.index("--") + 1:]
    from rettidig_cli.commands import app as cli, common as cli_common
    from rettidig_cli.storage import safefile

    passed: list[str] = []

    def hook(name: str) -> None:
        passed.append(name)
        if fault == "count" or len(passed) != nth:
            return
        if fault == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        if fault == "sigint":
            os.kill(os.getpid(), signal.SIGINT)
            return
        if fault in ("enospc", "eio"):
            code = errno.ENOSPC if fault == "enospc" else errno.EIO
            raise OSError(code, os.strerror(code))
        if fault == "interrupt":
            raise KeyboardInterrupt

    safefile.fault_hook = hook
    old, new = json.loads(os.environ.get("RETTIDIG_FAULT_PASSPHRASES", '["", ""]'))
    # After a passphrase switch cut short, either passphrase may be the right one: old first.
    cli_common._ask_passphrase = lambda attempt: (old, new, new)[attempt]
    cli_common._ask_new_passphrase = lambda: new
    sys.argv = ["rettidig", *args]
    try:
        cli.main()
    finally:
        if fault == "count":
            with open(result_file, "w", encoding="utf-8") as handle:
                json.dump(passed, handle)


if __name__ == "__main__":
    main()
