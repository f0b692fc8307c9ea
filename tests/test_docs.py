"""Docs stay true to the code: every setting and command is documented, links resolve."""

from __future__ import annotations

import re
from pathlib import Path

from lotty.cli import build_parser
from lotty.settings import documented_settings

ROOT = Path(__file__).resolve().parents[1]
CONFIGURATION = (ROOT / "docs" / "configuration.md").read_text()


def test_every_setting_is_documented_with_its_default():
    for env, default, _ in documented_settings():
        row = next((line for line in CONFIGURATION.splitlines() if line.startswith(f"| `{env}`")), None)
        assert row is not None, f"{env} is missing from docs/configuration.md"
        if default is not None:
            shown = ("on" if default else "off") if isinstance(default, bool) else str(default)
            assert f"`{shown}`" in row, f"{env}: default {shown!r} not shown"


def test_every_cli_command_is_documented():
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    for name in commands:
        assert f"`lotty {name}" in CONFIGURATION, f"lotty {name} is missing from docs/configuration.md"


def test_readme_names_exactly_two_setup_commands_and_ci_runs_the_second():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```sh\n(make .*?)```", readme, re.S)
    assert block is not None
    commands = [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]
    assert commands == ["make demo", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_relative_links_in_docs_resolve():
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#:]+\.md)\)", page.read_text()):
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"
