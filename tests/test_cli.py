import subprocess
import sys

import pytest

from workbench.cli import main


def test_without_a_terminal_bare_command_prints_help(capsys):
    # Under pytest stdout is captured (not a TTY), so the TUI must not open.
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "bertbench" in out and "tui" in out and "web" in out


def test_version_runs_as_module():
    out = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0
    assert out.stdout.startswith("bertbench ")


def test_user_error_is_one_line_unless_debugging(tmp_path, capsys, monkeypatch):
    missing = tmp_path / "no-such-tokenizer.json"
    monkeypatch.delenv("BERTBENCH_DEBUG", raising=False)
    assert main(["tokenizer", "encode", str(missing), "hello"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "no-such-tokenizer.json" in err

    monkeypatch.setenv("BERTBENCH_DEBUG", "1")
    with pytest.raises((FileNotFoundError, ValueError)):
        main(["tokenizer", "encode", str(missing), "hello"])


def test_training_verbs_share_their_run_arguments():
    from workbench.cli import build_parser

    parser = build_parser()
    shared = ["my-preset", "--set", "a.b=1", "--set", "c.d=x", "--resume", "runs/r", "--quiet"]
    parsed = {verb: vars(parser.parse_args([verb, *shared])) for verb in ("pretrain", "finetune")}
    for args in parsed.values():
        assert args["preset"] == "my-preset" and args["overrides"] == ["a.b=1", "c.d=x"]
        assert args["resume"] == "runs/r" and args["quiet"] is True
    assert parser.parse_args(["finetune", "--resume", "runs/r"]).preset is None
