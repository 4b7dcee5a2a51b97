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


def _raising(exc: BaseException):
    def run(args: object) -> int:
        raise exc

    return run


def test_any_bertbench_error_is_a_user_error_and_anything_else_a_failure(capsys, monkeypatch):
    from bert_engine.errors import BertbenchError
    from workbench.commands import runs

    monkeypatch.delenv("BERTBENCH_DEBUG", raising=False)

    class SomeNewError(BertbenchError):  # a class the CLI has never heard of
        pass

    monkeypatch.setattr(runs, "run_list", _raising(SomeNewError("bad thing; do this instead")))
    assert main(["runs", "list"]) == 2
    err = capsys.readouterr().err
    assert err == "error: bad thing; do this instead\n"

    # A plain ValueError is no longer taken for the user's fault: it is a bug, with its traceback.
    monkeypatch.setattr(runs, "run_list", _raising(ValueError("a bug")))
    with pytest.raises(ValueError, match="a bug"):
        main(["runs", "list"])


def test_unexpected_exception_exits_1_with_traceback(tmp_path):
    code = (
        "import sys\n"
        "from workbench.commands import runs\n"
        "from workbench.cli import main\n"
        "def boom(args): raise ZeroDivisionError('a bug')\n"
        "runs.run_list = boom\n"
        "sys.exit(main(['runs', 'list']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "ZeroDivisionError: a bug" in done.stderr


def test_workspace_option_runs_any_verb_in_that_workspace(tmp_path, capsys, monkeypatch):
    """`bertbench --workspace DIR VERB` (or $BERTBENCH_WORKSPACE) uses DIR's presets/ and runs/,
    the folders the TUI and the web panel of that workspace use."""
    from kit.fixed_runs import write_run

    monkeypatch.chdir(tmp_path)  # main() moves into the workspace; the test's cwd comes back
    monkeypatch.delenv("BERTBENCH_WORKSPACE", raising=False)
    ws = tmp_path / "bench"
    assert main(["--workspace", str(ws), "presets", "new", "mine", "--from", "quickstart"]) == 0
    assert (ws / "presets" / "mine.toml").is_file()
    assert not (tmp_path / "presets").exists()
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert main(["--workspace", str(ws), "presets", "list"]) == 0
    listed = capsys.readouterr().out
    assert any("mine" in line and "local" in line for line in listed.splitlines()), listed

    write_run(ws, "base", day=1, lr=1e-3)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BERTBENCH_WORKSPACE", str(ws))
    assert main(["runs", "list"]) == 0
    assert "base-20260101T000000Z" in capsys.readouterr().out
    # A relative path on the command line is relative to the workspace.
    monkeypatch.chdir(tmp_path)
    assert main(["presets", "show", "presets/mine.toml"]) == 0
    assert 'name = "mine"' in capsys.readouterr().out

    # A workspace that cannot be made is one clear line.
    (tmp_path / "file").write_text("x")
    assert main(["--workspace", str(tmp_path / "file" / "ws"), "runs", "list"]) == 2
    assert "error: --workspace" in capsys.readouterr().err
