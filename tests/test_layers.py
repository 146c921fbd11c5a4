"""The command line is the only edge: nothing below coach/cli/ knows typer, rich, terminals or
exit statuses, and every option a library error can name has a flag the CLI puts first."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from support.runners import invoke

from coach.cli.failures import FLAGS

PACKAGE = Path(__file__).resolve().parent.parent / "coach"
BELOW_CLI = sorted(p for p in PACKAGE.rglob("*.py") if PACKAGE / "cli" not in p.parents)
EDGE_MODULES = {"typer", "rich", "click", "termios", "tty"}
EDGE_WORDS = re.compile(r"\b(isatty|sys\.exit|ExitStatus|exit_status|SystemExit)\b")


def _imported(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_the_library_has_modules_to_check():
    assert len(BELOW_CLI) > 30 and PACKAGE / "session.py" in BELOW_CLI


@pytest.mark.parametrize("module", BELOW_CLI, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_nothing_below_the_cli_knows_the_terminal_or_exit_statuses(module):
    source = module.read_text()
    assert not _imported(ast.parse(source)) & EDGE_MODULES
    assert not EDGE_WORDS.findall(source)


def _option_names() -> set[str]:
    """Every name an OptionError is raised with in the package: a literal first argument, or
    for a variable one, the literals its enclosing `for` loop takes it from; and the literals
    a function's `option` parameter takes (find_drill's: its default, `option=` in a call)."""
    names = set()
    for module in PACKAGE.rglob("*.py"):
        tree = ast.parse(module.read_text())
        for loop in [n for n in ast.walk(tree) if isinstance(n, ast.For)]:
            raised = [c for c in ast.walk(loop) if isinstance(c, ast.Call)
                      and getattr(c.func, "id", None) == "OptionError"]  # fmt: skip
            if any(isinstance(c.args[0], ast.Name) for c in raised):
                names |= {t.elts[0].value for t in ast.walk(loop.iter)
                          if isinstance(t, ast.Tuple) and isinstance(t.elts[0], ast.Constant)}
        for call in ast.walk(tree):
            if (isinstance(call, ast.Call) and getattr(call.func, "id", None) == "OptionError"
                    and isinstance(call.args[0], ast.Constant)):  # fmt: skip
                names.add(call.args[0].value)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                params = node.args.args[len(node.args.args) - len(node.args.defaults):]
                names |= {d.value for p, d in zip(params, node.args.defaults, strict=True)
                          if p.arg == "option" and isinstance(d, ast.Constant)}  # fmt: skip
            elif isinstance(node, ast.Call):
                names |= {k.value.value for k in node.keywords
                          if k.arg == "option" and isinstance(k.value, ast.Constant)}  # fmt: skip
    return names


def test_every_option_an_error_names_has_a_flag():
    names = _option_names()
    assert {"only", "pace", "volume", "music_duck", "drill"} <= names  # the scan finds them
    # "drill" is the argument of `coach rehearse`, whose message speaks for itself
    assert names - {"drill"} <= set(FLAGS), names - {"drill"} - set(FLAGS)


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["--only", "nope"], "--only"),
        (["--skip", "nope"], "--skip"),
        (["--without", "boat"], "--without"),
        (["--rest", "9999"], "--rest"),
        (["--pace", "9"], "--pace"),
        (["--volume", "2"], "--volume"),
        (["--cache-dir", ""], "--cache-dir"),
        (["--music", "/no/such/track.mp3"], "--music"),
        (["--music", "/no/such/track.mp3", "--music-duck", "1"], "--music-duck"),
        (["--music", "/no/such/track.mp3", "--music-level", "99"], "--music-level"),
    ],
)
def test_a_bad_option_is_named_by_its_flag(args, flag):
    result = invoke("script", *args)
    assert result.exit_code == 2
    assert result.output.startswith(f"coach: error: {flag}: "), result.output
