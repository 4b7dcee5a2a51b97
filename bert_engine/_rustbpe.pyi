"""Stubs of the native module built from rustbpe/ (see rustbpe/src/bindings.rs)."""

from collections.abc import Callable, Iterable, Sequence
from os import PathLike

_Path = str | PathLike[str]
_Progress = Callable[[str, int, int], bool | None]

class TrainingCancelled(Exception):
    """Training was cancelled by the progress callback."""

class FormatError(ValueError):
    """A corrupt, foreign or unsupported tokenizer file."""

class Tokenizer:
    @staticmethod
    def from_json(text: str, source: str = "<string>") -> Tokenizer: ...
    @staticmethod
    def from_file(path: _Path) -> Tokenizer: ...
    @staticmethod
    def from_vocab_file(
        path: _Path,
        lowercase: bool = True,
        strip_accents: bool | None = None,
        clean_text: bool = True,
        handle_chinese_chars: bool = True,
    ) -> Tokenizer: ...
    @staticmethod
    def train_bpe(
        *,
        vocab_size: int,
        min_frequency: int,
        special_tokens: list[str],
        pattern: str,
        files: Sequence[_Path] | None = None,
        texts: Iterable[str] | None = None,
        progress: _Progress | None = None,
    ) -> Tokenizer: ...
    @staticmethod
    def train_wordpiece(
        *,
        vocab_size: int,
        min_frequency: int,
        special_tokens: list[str],
        limit_alphabet: int | None,
        lowercase: bool,
        strip_accents: bool | None,
        clean_text: bool,
        handle_chinese_chars: bool,
        max_input_chars_per_word: int,
        files: Sequence[_Path] | None = None,
        texts: Iterable[str] | None = None,
        progress: _Progress | None = None,
    ) -> Tokenizer: ...
    def to_json(self) -> str: ...
    def vocab_txt(self) -> str: ...
    @property
    def model_type(self) -> str: ...
    @property
    def vocab_size(self) -> int: ...
    def token_to_id(self, token: str) -> int | None: ...
    def id_to_token(self, id: int) -> str | None: ...
    def get_vocab(self) -> dict[str, int]: ...
    def special_tokens(self) -> list[str]: ...
    def merges(self) -> list[tuple[str, str]]: ...
    def encode(
        self,
        text: str,
        pair: str | None = None,
        add_special_tokens: bool = True,
        max_length: int | None = None,
    ) -> tuple[list[int], list[str], list[int], list[tuple[int, int]], list[int], list[int]]: ...
    def encode_batch(
        self,
        texts: list[str],
        pairs: list[str] | None = None,
        add_special_tokens: bool = True,
        max_length: int | None = None,
        padding: str | None = None,
        pad_to_multiple_of: int | None = None,
        pad_id: int | None = None,
    ) -> dict[str, bytearray | int]: ...
    def decode(self, ids: Sequence[int], skip_special_tokens: bool = True) -> str: ...
