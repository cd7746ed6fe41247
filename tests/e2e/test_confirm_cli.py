"""Destructive verbs ask first (issue 14: `runs delete` and `dataset delete` acted without a confirmation,
unlike `vault delete`). Every `delete` verb of the CLI takes --yes; at a terminal the name is typed back, and
anything else deletes nothing."""

from __future__ import annotations

import argparse
import types

import pytest
import torch
from safetensors.torch import save_file

from studio.cli import confirm
from studio.cli.main import build_parser
from tests.e2e.cli_runner import cli_with_users


def _verbs(parser: argparse.ArgumentParser, path=()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*path, name), sub
                yield from _verbs(sub, (*path, name))


def test_every_delete_verb_takes_yes():
    deletes = {" ".join(p): sub for p, sub in _verbs(build_parser()) if p[-1] in ("delete", "remove", "purge")}
    assert {"vault delete", "runs delete", "dataset delete"} <= set(deletes)
    missing = [name for name, sub in deletes.items()
               if not any("--yes" in a.option_strings for a in sub._actions)]
    assert missing == []


@pytest.fixture
def cli(data_dir, monkeypatch, capsys):
    return cli_with_users(data_dir, monkeypatch, capsys)


@pytest.fixture
def terminal(monkeypatch):
    """A terminal that answers the confirmation prompts with the given lines, in turn."""
    answers: list[str] = []
    prompts: list[str] = []
    monkeypatch.setattr(confirm, "sys", types.SimpleNamespace(stdin=types.SimpleNamespace(isatty=lambda: True)))
    monkeypatch.setattr("builtins.input", lambda prompt="": prompts.append(prompt) or answers.pop(0))
    return answers, prompts


def test_at_a_terminal_only_the_name_typed_back_deletes(cli, tmp_path, terminal):
    answers, prompts = terminal
    src = tmp_path / "notes.txt"
    src.write_text("\n\n".join(f"note {i}" for i in range(50)))
    cli("dataset", "import", str(src), "--name", "notes", "--tokenizer", "char")
    weights = tmp_path / "w.safetensors"
    save_file({"w": torch.zeros(3, 4)}, str(weights))
    cli("vault", "import", str(weights), "--name", "tiny")
    for argv, listing, name in ((("dataset", "delete", "notes"), ("dataset", "list"), "notes"),
                                (("vault", "delete", "tiny"), ("vault", "list"), "tiny")):
        for wrong in ("", "y", "yes", name.upper(), name + "x"):
            answers.append(wrong)
            out, _ = cli(*argv, expect=1)  # not done: a script sees a failure
            assert "not deleted" in out, (argv, wrong)
            assert name in cli(*listing)[0]
        assert prompts[-1].startswith("Delete ") and name in prompts[-1] and "cannot be undone" in prompts[-1]
        answers.append(f"  {name} ")
        cli(*argv)
        assert name not in cli(*listing)[0]
    assert answers == []
