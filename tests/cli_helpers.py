"""Helpers for tests that drive the command line in-process (test_cli, test_lessons)."""

from __future__ import annotations

import json

from playground.cli import main


def cli(capsys, *args) -> tuple[int, str, str]:
    """Run `rnn-playground ARGS` in this process: (exit status, stdout, stderr)."""
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def cli_json(capsys, *args) -> dict:
    """Run a command with --json; its last line of output as a dict."""
    code, out, err = cli(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out.splitlines()[-1])


def assert_error(capsys, *args, words: tuple[str, ...], prefix: str = "rnn-playground: error:") -> str:
    """Exit status 2, nothing on stdout, one line on stderr with the prefix and every word."""
    try:
        code, out, err = cli(capsys, *args)
    except SystemExit as e:  # argparse stops with SystemExit
        code = e.code
        out, err = capsys.readouterr()
    assert code == 2, (code, err)
    assert out == ""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(prefix), lines[0]
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]
