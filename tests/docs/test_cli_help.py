"""Every command's --help starts with a one-line summary and ends with an example that parses."""

import shlex

import click
import pytest
from click.testing import CliRunner

from astromlp.pipeline.cli import main

COMMANDS = sorted(main.commands)
SUMMARY_WIDTH = 64  # what `astromlp --help` shows of a summary in an 80-column terminal


def _help(*args: str) -> str:
    result = CliRunner().invoke(main, [*args, "--help"], terminal_width=80)
    assert result.exit_code == 0, result.output
    return result.output


def _paragraphs(text: str) -> list[list[str]]:
    paragraphs, current = [], []
    for line in text.splitlines():
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append(current)
            current = []
    return paragraphs + ([current] if current else [])


def _examples(command: click.Command) -> list[str]:
    """The command lines of the help's 'Example:' paragraph."""
    block = next((p for p in _paragraphs(command.help) if p[0] in ("\b", "Example:")), [])
    lines = [line for line in block if line not in ("\b", "Example:")]
    return lines


def test_every_command_is_covered():
    assert set(COMMANDS) == {"run", "demo", "predict", "init", "report", "inspect", "lr-find", "sweep", "compare"}


@pytest.mark.parametrize("name", [None, *COMMANDS])
def test_help_starts_with_a_one_line_summary(name):
    command = main if name is None else main.commands[name]
    output = _help(*([name] if name else []))
    summary = command.help.strip().splitlines()[0]
    assert _paragraphs(output)[1] == [summary]  # right after the usage line, alone in its paragraph
    assert summary.endswith(".") and len(summary) <= SUMMARY_WIDTH
    if name:
        assert f"  {name:<8} {summary}" in _help()  # listed whole, not cut with '...'


@pytest.mark.parametrize("name", [None, *COMMANDS])
def test_help_ends_with_an_example_that_parses(name):
    command = main if name is None else main.commands[name]
    output = _help(*([name] if name else []))
    examples = _examples(command)
    assert examples, f"{name}: no example"
    for example in examples:
        assert f"Example:\n    {example}" in output or f"    {example}" in output
        words = shlex.split(example)
        assert words[0] == "astromlp" and (name is None or words[1] == name)
        parent = click.Context(main, info_name="astromlp")
        main.commands[words[1]].make_context(words[1], words[2:], parent=parent)  # raises on a bad option
