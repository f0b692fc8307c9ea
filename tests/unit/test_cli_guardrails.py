"""`lotty guardrails check` against a server: it needs an admin key and says when it cannot reach it.
(The direct and through-the-server paths run in tests/e2e/test_guardrails_e2e.py.)"""

from __future__ import annotations

from lotty.cli import main
from tests.e2e.server import free_port


def test_asking_a_server_needs_an_admin_key(monkeypatch, capsys, tmp_path):
    monkeypatch.delenv("LOTTY_ADMIN_KEY", raising=False)
    monkeypatch.setenv("LOTTY_DATA_DIR", str(tmp_path))
    assert main(["guardrails", "check", "--url", "http://127.0.0.1:9"]) == 2
    assert "--key or LOTTY_ADMIN_KEY" in capsys.readouterr().err


def test_an_unreachable_server_is_a_clear_error(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("LOTTY_DATA_DIR", str(tmp_path))
    url = f"http://127.0.0.1:{free_port()}"
    assert main(["guardrails", "check", "--url", url, "--key", "k" * 20]) == 2
    assert f"cannot reach {url}" in capsys.readouterr().err


def test_a_data_dir_without_a_database(monkeypatch, capsys, tmp_path):
    assert main(["guardrails", "check", "--data-dir", str(tmp_path / "none")]) == 2
    assert "run `lotty init` first" in capsys.readouterr().err
