"""A keyring backend for the tests: keeps keys in a JSON file named by RETTIDIG_TEST_KEYRING, so a
real subprocess (pexpect, kill -9 trials) finds the key the test process made. Selected with
PYTHON_KEYRING_BACKEND=keyring_for_tests.TestKeyring; never used outside the tests."""

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend


class TestKeyring(KeyringBackend):
    priority = 1
    name = "testnøglering"

    def _file(self) -> Path:
        return Path(os.environ["RETTIDIG_TEST_KEYRING"])

    def _load(self) -> dict:
        try:
            return json.loads(self._file().read_text())
        except FileNotFoundError:
            return {}

    def get_password(self, service, username):
        return self._load().get(f"{service}/{username}")

    def set_password(self, service, username, password):
        data = self._load()
        data[f"{service}/{username}"] = password
        self._file().write_text(json.dumps(data))

    def delete_password(self, service, username):
        data = self._load()
        data.pop(f"{service}/{username}", None)
        self._file().write_text(json.dumps(data))
