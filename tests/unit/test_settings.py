"""Settings: read from the environment, overridden by CLI options, validated with clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from lotty.settings import Settings, SettingsError, documented_settings


def test_defaults_match_the_spec():
    s = Settings.from_env({})
    assert (s.data_dir, s.runtime_auth, s.decision_log) == (Path("data"), True, "async")
    assert (s.guardrail_interval_seconds, s.flush_interval_seconds) == (60, 5)
    assert (
        s.max_active_experiments,
        s.cooldown_after_enrolments,
        s.cooldown_window_hours,
        s.cooldown_hours,
    ) == (3, 10, 24, 1)


def test_environment_is_read_and_options_win():
    env = {
        "LOTTY_DATA_DIR": "/tmp/x",
        "LOTTY_RUNTIME_AUTH": "off",
        "LOTTY_PORT": "9001",
        "LOTTY_DECISION_LOG": "sync",
    }
    s = Settings.from_env(env, port=9002)
    assert (s.data_dir, s.runtime_auth, s.port, s.decision_log) == (Path("/tmp/x"), False, 9002, "sync")


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"LOTTY_DECISION_LOG": "maybe"}, "LOTTY_DECISION_LOG"),
        ({"LOTTY_RUNTIME_AUTH": "perhaps"}, "LOTTY_RUNTIME_AUTH"),
        ({"LOTTY_PORT": "eighty"}, "LOTTY_PORT"),
        ({"LOTTY_PORT": "70000"}, "LOTTY_PORT"),
        ({"LOTTY_GUARDRAIL_INTERVAL_SECONDS": "0"}, "LOTTY_GUARDRAIL_INTERVAL_SECONDS"),
        ({"LOTTY_MAX_ACTIVE_EXPERIMENTS": "-1"}, "LOTTY_MAX_ACTIVE_EXPERIMENTS"),
        ({"LOTTY_ADMIN_KEY": "short"}, "LOTTY_ADMIN_KEY"),
        ({"LOTTY_SECRET": "short"}, "LOTTY_SECRET"),
    ],
)
def test_bad_values_name_the_variable(env, names):
    with pytest.raises(SettingsError, match=names):
        Settings.from_env(env)


def test_secret_is_generated_once_and_kept_private(tmp_path):
    s = Settings(data_dir=tmp_path)
    first = s.load_or_create_secret()
    assert s.load_or_create_secret() == first and len(first) >= 32
    assert (tmp_path / "secret").stat().st_mode & 0o077 == 0
    assert Settings(data_dir=tmp_path, secret="x" * 20).load_or_create_secret() == b"x" * 20


def test_every_setting_is_documented_with_a_description():
    names = [name for name, _, doc in documented_settings()]
    assert len(names) == len(set(names))
    assert all(doc for _, _, doc in documented_settings())


def test_logging_and_cors_settings():
    s = Settings.from_env({})
    assert (s.log_level, s.access_log, s.cors_origin_list) == ("info", True, ())
    s = Settings.from_env(
        {
            "LOTTY_LOG_LEVEL": "WARNING",
            "LOTTY_ACCESS_LOG": "off",
            "LOTTY_CORS_ORIGINS": "https://app.example, http://localhost:3000,",
        }
    )
    assert (s.log_level, s.access_log) == ("WARNING", False)
    assert s.cors_origin_list == ("https://app.example", "http://localhost:3000")
    assert Settings.from_env({"LOTTY_CORS_ORIGINS": "*"}).cors_origin_list == ("*",)


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"LOTTY_LOG_LEVEL": "loud"}, "LOTTY_LOG_LEVEL"),
        ({"LOTTY_ACCESS_LOG": "sometimes"}, "LOTTY_ACCESS_LOG"),
        ({"LOTTY_CORS_ORIGINS": "app.example"}, "LOTTY_CORS_ORIGINS"),
        ({"LOTTY_CORS_ORIGINS": "https://app.example/path"}, "LOTTY_CORS_ORIGINS"),
    ],
)
def test_bad_logging_and_cors_values_name_the_variable(env, names):
    with pytest.raises(SettingsError, match=names):
        Settings.from_env(env)
