"""One error family: every error class of the engine and the workbench is a BertbenchError."""

import importlib
import inspect
import pkgutil

import pytest

import bert_engine
import workbench
from bert_engine.errors import BertbenchError, adopt


def _modules():
    for package in (bert_engine, workbench):
        yield package
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if info.name.startswith("workbench.web"):
                pytest.importorskip("gradio")
            yield importlib.import_module(info.name)


def test_every_error_class_is_a_bertbench_error():
    found: dict[str, type] = {}
    for module in _modules():
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseException)
                and obj.__module__.startswith(("bert_engine", "workbench"))
                and not name.startswith("_")  # private control flow (e.g. _DataExhausted)
            ):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    outside = sorted(name for name, cls in found.items() if not issubclass(cls, BertbenchError))
    assert outside == []
    # The walk saw them all: the engine's, the workbench's and the native module's.
    short = {name.rsplit(".", 1)[-1] for name in found}
    for expected in (
        "PresetError",
        "DataFileNotFoundError",
        "CheckpointError",
        "RunBusyError",
        "UnknownRunError",
        "CliError",
        "WorkspaceError",
        "FormatError",
        "TrainingCancelled",
    ):
        assert expected in short


def test_builtin_bases_are_kept():
    from bert_engine.data.errors import DataFileNotFoundError
    from bert_engine.presets import PresetError
    from bert_engine.tokenizers import FormatError
    from workbench.services.manager import UnknownRunError

    assert issubclass(PresetError, ValueError)
    assert issubclass(DataFileNotFoundError, FileNotFoundError)
    assert issubclass(UnknownRunError, KeyError)
    with pytest.raises(ValueError):  # the native module's error is still a ValueError too
        raise FormatError("x")
    with pytest.raises(BertbenchError):  # and `except BertbenchError` catches it
        raise FormatError("x")


def test_adopt_gives_a_foreign_class_the_base():
    class Foreign(Exception):
        pass

    class ForeignValue(ValueError):
        pass

    for cls in (Foreign, ForeignValue):
        adopt(cls)
        adopt(cls)  # twice is harmless
        with pytest.raises(BertbenchError, match="m"):
            raise cls("m")
    assert issubclass(ForeignValue, ValueError)
