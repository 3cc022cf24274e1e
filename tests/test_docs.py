"""Keep the README true: every setting, feed key, command and watch key is documented."""

from __future__ import annotations

import re

import click
import pytest

from monitor.cli import cli
from monitor.settings import FEED_SETTINGS, SETTINGS, markdown_table
from monitor.watch import GROUP_KEYS, WATCH_KEYS
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_settings_tables_are_the_ones_in_the_code() -> None:
    assert markdown_table(SETTINGS) in README
    assert markdown_table(FEED_SETTINGS) in README


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_is_documented_with_an_example(name: str) -> None:
    assert f"`monitor {name}" in README
    command = cli.commands[name]
    assert command.help and "Example: monitor" in command.help


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_option_is_documented(name: str) -> None:
    for param in cli.commands[name].params:
        if isinstance(param, click.Option):
            assert any(f"`{flag}" in README or f"{flag} " in README for flag in param.opts), (
                name,
                param.opts,
            )


def test_every_watch_key_is_documented() -> None:
    for key in WATCH_KEYS | GROUP_KEYS:
        assert f"`{key}`" in README, key


def test_the_shipped_config_sets_only_documented_keys() -> None:
    shipped = (ROOT / "config" / "monitor.toml").read_text(encoding="utf-8")
    for key in re.findall(r"^(\w+) = ", shipped, flags=re.MULTILINE):
        assert f"`{key}`" in README or any(s.key.endswith("." + key) for s in SETTINGS), key


def test_the_two_commands_are_the_readme_setup() -> None:
    assert "make run " in README and "make test " in README
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_the_example_config_shows_every_setting() -> None:
    """Each key of the settings table stands in config/monitor.toml, set or commented."""
    shipped = (ROOT / "config" / "monitor.toml").read_text(encoding="utf-8")
    sections = re.split(r"^\[(\w+)\]\s*$", shipped, flags=re.MULTILINE)
    by_section = {"": sections[0], **dict(zip(sections[1::2], sections[2::2], strict=True))}
    for setting in SETTINGS:
        section, _, key = setting.key.rpartition(".")
        text = by_section.get(section, "")
        assert re.search(rf"^#?\s*{re.escape(key)}\s*=", text, re.MULTILINE), setting.key
