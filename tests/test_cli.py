import subprocess
import sys

from workbench.cli import main


def test_help_lists_program(capsys):
    assert main([]) == 0
    assert "bertbench" in capsys.readouterr().out


def test_version_runs_as_module():
    out = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0
    assert out.stdout.startswith("bertbench ")
