"""Help that ends with its example, as the README promises.

Each command's docstring ends with a paragraph ``Example: monitor ...``. click would
print it with the rest of the text, before the options, and re-wrap it at the width of
the terminal, breaking the command in two. ``ExampleCommand`` and ``ExampleGroup`` print
the text without it, then the options (and subcommands), and the example last, on one
line as written:

    Usage: monitor mark [OPTIONS] HIT_ID {relevant|irrelevant|seen}

      Triage a hit: relevant, irrelevant or seen, with an optional note.

    Options:
      --note TEXT  A note to keep with the hit (an empty string removes it).
      --help       Show this message and exit.

    Example: monitor mark 12 relevant --note "second deployment, JCS figure"

``command.help`` keeps the whole docstring, example included, for the docs tests.
"""

from __future__ import annotations

import inspect

import click

EXAMPLE = "Example:"


def split_example(help_text: str | None) -> tuple[str, str | None]:
    """The help text without its closing ``Example:`` paragraph, and that example's
    command as one line (None when the text has no example)."""
    text = inspect.cleandoc(help_text or "").partition("\f")[0]
    body, _, last = text.rpartition("\n\n")
    if not last.startswith(EXAMPLE):
        return text, None
    return body, " ".join(last.removeprefix(EXAMPLE).split())


class ExampleCommand(click.Command):
    """A command whose ``--help`` ends with its example, never re-wrapped."""

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        body, _ = split_example(self.help)
        if body:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(body)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)
        _, example = split_example(self.help)
        if example:
            formatter.write_paragraph()
            formatter.write(f"{EXAMPLE} {example}\n")  # as it is: write_text would wrap it


class ExampleGroup(ExampleCommand, click.Group):
    """A group whose commands, and subgroups with theirs, end their help with the example."""

    command_class = ExampleCommand
    group_class = type  # subgroups are of the class of the group they belong to
