"""all-MiniLM-L6-v2 sentence embeddings in NumPy: no torch, no transformers.

The model is ``sentence-transformers/all-MiniLM-L6-v2`` (licence: Apache-2.0): a 6-layer,
384-wide MiniLM (Wang et al., "MiniLM: Deep Self-Attention Distillation for Task-Agnostic
Compression of Pre-Trained Transformers", NeurIPS 2020, arXiv:2002.10957), fine-tuned as a
sentence encoder in the Sentence-BERT way (Reimers & Gurevych, "Sentence-BERT: Sentence
Embeddings using Siamese BERT-Networks", EMNLP 2019, arXiv:1908.10084) on about a billion
sentence pairs. Its pipeline is BERT (Devlin et al., 2019) -> mean pooling over the real
tokens -> L2 normalisation, so the dot product of two embeddings is their cosine similarity.

This module reproduces that pipeline with NumPy alone (``safetensors`` reads the weights):

- ``WordPieceTokenizer``: the model's uncased BERT tokenizer, id for id. It follows the
  HuggingFace ``tokenizers`` implementation that sentence-transformers runs (BertNormalizer,
  BertPreTokenizer, WordPiece), including its quirks: lower-casing character by character
  (a final capital sigma becomes "σ", not "ς"), and the Unicode 8 character classes of its
  ``unicode_categories`` crate, which the tables below restore on top of ``unicodedata``.
- ``Encoder``: the BERT forward pass in float32 (exact erf GELU, LayerNorm eps 1e-12,
  token type 0, padding masked out), mean pooling and normalisation. Texts are truncated to
  ``max_seq_length`` tokens from the model's ``sentence_bert_config.json`` (256), as
  sentence-transformers does.

The model directory is the one ``python -m clinic_nlu.minilm_build build/minilm`` writes:
``model.safetensors``, ``vocab.txt`` and the JSON configuration files.

    encoder = Encoder.load(Path("build/minilm"))
    vectors = encoder.encode(["Do you take walk-ins?", "Can I come without booking?"])
    similarity = float(vectors[0] @ vectors[1])
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from safetensors.numpy import load_file

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

# What this implementation supports: the architecture of all-MiniLM-L6-v2.
_MODULES: Final = (
    "sentence_transformers.models.Transformer",
    "sentence_transformers.models.Pooling",
    "sentence_transformers.models.Normalize",
)
_SPECIAL_TOKENS: Final = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
_MAX_WORD_CHARS: Final = 100  # longer words become [UNK], as in BERT's WordPiece
_MAX_WORD_CACHE: Final = 200_000


def _ranges(*pairs: tuple[int, int]) -> frozenset[int]:
    return frozenset(cp for first, last in pairs for cp in range(first, last + 1))


# HuggingFace `tokenizers` classifies characters with the `unicode_categories` crate, whose
# tables date from Unicode 8.0; Python 3.10's `unicodedata` is Unicode 13.0. The characters
# that the two disagree on (measured over every code point against tokenizers 0.23) are
# listed here, so that this tokenizer gives the ids the reference gives. (A newer Python
# would know characters added after Unicode 13.0 that these tables do not list.)
#
# Non-spacing marks (Mn) that accent stripping keeps: unknown to the crate's tables.
_KEEP_MARKS: Final = _ranges(
    (0x7FD, 0x7FD), (0x8D3, 0x8E1), (0x9FE, 0x9FE), (0xAFA, 0xAFF), (0xB55, 0xB55), (0xC04, 0xC04),
    (0xD00, 0xD00), (0xD3B, 0xD3C), (0xD81, 0xD81), (0xEBA, 0xEBA), (0x1885, 0x1886),
    (0x1ABF, 0x1AC0), (0x1DF6, 0x1DF9), (0x1DFB, 0x1DFB), (0xA82C, 0xA82C), (0xA8C5, 0xA8C5),
    (0xA8FF, 0xA8FF), (0xA9BD, 0xA9BD), (0x10D24, 0x10D27), (0x10EAB, 0x10EAC), (0x10F46, 0x10F50),
    (0x111C9, 0x111C9), (0x111CF, 0x111CF), (0x1123E, 0x1123E), (0x1133B, 0x1133B),
    (0x11438, 0x1143F), (0x11442, 0x11444), (0x11446, 0x11446), (0x1145E, 0x1145E),
    (0x1182F, 0x11837), (0x11839, 0x1183A), (0x1193B, 0x1193C), (0x1193E, 0x1193E),
    (0x11943, 0x11943), (0x119D4, 0x119D7), (0x119DA, 0x119DB), (0x119E0, 0x119E0),
    (0x11A01, 0x11A0A), (0x11A33, 0x11A38), (0x11A3B, 0x11A3E), (0x11A47, 0x11A47),
    (0x11A51, 0x11A56), (0x11A59, 0x11A5B), (0x11A8A, 0x11A96), (0x11A98, 0x11A99),
    (0x11C30, 0x11C36), (0x11C38, 0x11C3D), (0x11C3F, 0x11C3F), (0x11C92, 0x11CA7),
    (0x11CAA, 0x11CB0), (0x11CB2, 0x11CB3), (0x11CB5, 0x11CB6), (0x11D31, 0x11D36),
    (0x11D3A, 0x11D3A), (0x11D3C, 0x11D3D), (0x11D3F, 0x11D45), (0x11D47, 0x11D47),
    (0x11D90, 0x11D91), (0x11D95, 0x11D95), (0x11D97, 0x11D97), (0x11EF3, 0x11EF4),
    (0x16F4F, 0x16F4F), (0x16FE4, 0x16FE4), (0x1E000, 0x1E006), (0x1E008, 0x1E018),
    (0x1E01B, 0x1E021), (0x1E023, 0x1E024), (0x1E026, 0x1E02A), (0x1E130, 0x1E136),
    (0x1E2EC, 0x1E2EF), (0x1E944, 0x1E94A),
)  # fmt: skip
# Format characters (Cf) that text cleaning keeps: unknown to the crate's tables.
_KEEP_FORMAT: Final = _ranges((0x8E2, 0x8E2), (0x110CD, 0x110CD), (0x13430, 0x13438))
# Punctuation (P*) that is not split off: unknown to the crate's tables.
_NOT_PUNCT: Final = _ranges(
    (0x9FD, 0x9FD), (0xA76, 0xA76), (0xC77, 0xC77), (0xC84, 0xC84), (0x2E43, 0x2E4F),
    (0x2E52, 0x2E52), (0x10EAD, 0x10EAD), (0x10F55, 0x10F59), (0x1144B, 0x1144F),
    (0x1145A, 0x1145B), (0x1145D, 0x1145D), (0x11660, 0x1166C), (0x1183B, 0x1183B),
    (0x11944, 0x11946), (0x119E2, 0x119E2), (0x11A3F, 0x11A46), (0x11A9A, 0x11A9C),
    (0x11A9E, 0x11AA2), (0x11C41, 0x11C45), (0x11C70, 0x11C71), (0x11EF7, 0x11EF8),
    (0x11FFF, 0x11FFF), (0x16E97, 0x16E9A), (0x16FE2, 0x16FE2), (0x1E95E, 0x1E95F),
)  # fmt: skip
# Punctuation in Unicode 8.0 that later became a symbol or a mark.
_EXTRA_PUNCT: Final = frozenset({0x166D, 0x111C9})
# DIVES AKURU VOWEL SIGN O: its canonical decomposition (Unicode 13.0) is not applied.
_NO_DECOMPOSE: Final = "\U00011938"

# Rust's `char::is_whitespace` (the White_Space property); \t, \n and \r count as well.
_WHITESPACE: Final = frozenset(range(0x2000, 0x200B)).union(
    (0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000)
)
# "Chinese characters" (the CJK Unified Ideographs blocks), isolated as words of their own.
_CJK: Final = (
    (0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F), (0x2B920, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F),
)  # fmt: skip
_ASCII_PUNCT: Final = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def _is_control(cp: int) -> bool:
    """Removed by text cleaning: NUL, U+FFFD and "other" characters but \\t, \\n, \\r."""
    if cp in (0, 0xFFFD):
        return True
    if cp in (0x09, 0x0A, 0x0D):
        return False
    # Cc, Cf, Cs, Co; unassigned code points (Cn) are kept, as the reference does.
    category = unicodedata.category(chr(cp))
    return category in ("Cc", "Cs", "Co") or (category == "Cf" and cp not in _KEEP_FORMAT)


def _is_cjk(cp: int) -> bool:
    return any(first <= cp <= last for first, last in _CJK)


def _is_punctuation(char: str) -> bool:
    if char in _ASCII_PUNCT:
        return True
    cp = ord(char)
    if cp in _EXTRA_PUNCT:
        return True
    return unicodedata.category(char).startswith("P") and cp not in _NOT_PUNCT


class _CleanTable(dict[int, "str | None"]):
    """``str.translate`` table, filled on demand: cleaning and CJK spacing of one character."""

    def __init__(self, split_cjk: bool) -> None:
        super().__init__()
        self._split_cjk = split_cjk

    def __missing__(self, cp: int) -> str | None:
        value: str | None
        if _is_control(cp):
            value = None
        elif cp in _WHITESPACE:
            value = " "
        elif self._split_cjk and _is_cjk(cp):
            value = f" {chr(cp)} "
        else:
            value = chr(cp)
        self[cp] = value
        return value


class _MarkTable(dict[int, "str | None"]):
    """``str.translate`` table, filled on demand: drops non-spacing marks (after NFD)."""

    def __missing__(self, cp: int) -> str | None:
        char = chr(cp)
        drop = unicodedata.category(char) == "Mn" and cp not in _KEEP_MARKS
        value = None if drop else char
        self[cp] = value
        return value


class WordPieceTokenizer:
    """The uncased BERT WordPiece tokenizer of the model, id for id with HuggingFace's.

    Steps, in the reference's order: special tokens written in the text ("[SEP]", ...) are
    kept whole; then text cleaning (control characters removed, every whitespace a space),
    spaces around CJK ideographs, accents stripped (NFD, non-spacing marks dropped),
    lower-casing, splitting on whitespace and around each punctuation character, and greedy
    longest-match-first WordPiece with "##" continuations; a word longer than 100 characters,
    or one that cannot be matched, is a single [UNK]. ``encode`` adds [CLS] and [SEP] and
    truncates to ``max_length`` ids in all.
    """

    def __init__(
        self,
        vocab: dict[str, int],
        *,
        max_length: int,
        lowercase: bool = True,
        strip_accents: bool | None = None,
        split_cjk: bool = True,
    ) -> None:
        if max_length < 2:
            raise ValueError("max_length must leave room for [CLS] and [SEP]")
        missing = [token for token in _SPECIAL_TOKENS if token not in vocab]
        if missing:
            raise ValueError(f"vocabulary lacks special tokens {missing}")
        self.vocab = vocab
        self.max_length = max_length
        self.lowercase = lowercase
        # As in BertNormalizer: strip_accents unset means "strip if lower-casing".
        self.strip_accents = lowercase if strip_accents is None else strip_accents
        self.pad_id = vocab["[PAD]"]
        self.unk_id = vocab["[UNK]"]
        self.cls_id = vocab["[CLS]"]
        self.sep_id = vocab["[SEP]"]
        self._specials = re.compile("|".join(re.escape(token) for token in _SPECIAL_TOKENS))
        self._clean = _CleanTable(split_cjk)
        self._marks = _MarkTable()
        self._word_cache: dict[str, list[int]] = {}
        self._tokens: dict[int, str] = {}

    @classmethod
    def from_dir(cls, path: Path, max_length: int) -> WordPieceTokenizer:
        """The tokenizer of a model directory: ``vocab.txt`` and ``tokenizer_config.json``."""
        vocab: dict[str, int] = {}
        with (path / "vocab.txt").open(encoding="utf-8") as lines:
            for index, line in enumerate(lines):
                vocab[line.rstrip("\n")] = index
        config = _read_json(path / "tokenizer_config.json")
        if config.get("tokenizer_class", "BertTokenizer") not in (
            "BertTokenizer",
            "BertTokenizerFast",
        ):
            raise ValueError(f"not a BERT tokenizer: {config.get('tokenizer_class')}")
        if config.get("do_basic_tokenize", True) is not True or config.get("never_split"):
            raise ValueError("only the default basic tokenization is supported")
        return cls(
            vocab,
            max_length=max_length,
            lowercase=bool(config.get("do_lower_case", True)),
            strip_accents=config.get("strip_accents"),
            split_cjk=bool(config.get("tokenize_chinese_chars", True)),
        )

    def normalize(self, text: str) -> str:
        """Text cleaning, CJK spacing, accent stripping and lower-casing (BertNormalizer)."""
        text = text.translate(self._clean)
        if self.strip_accents and not text.isascii():
            # NFD then drop the non-spacing marks; one character is left composed (see above).
            parts = text.split(_NO_DECOMPOSE)
            text = _NO_DECOMPOSE.join(unicodedata.normalize("NFD", part) for part in parts)
            text = text.translate(self._marks)
        if self.lowercase:
            # Character by character, as Rust's `char::to_lowercase`: Python's `str.lower`
            # alone would turn a word-final capital sigma into "ς".
            text = text.replace("Σ", "σ").lower()
        return text

    def pre_tokenize(self, normalized: str) -> list[str]:
        """Split on whitespace, then around every punctuation character (BertPreTokenizer)."""
        words: list[str] = []
        for chunk in normalized.split():
            if chunk.isalnum():  # no punctuation inside: the common case
                words.append(chunk)
                continue
            start = 0
            for index, char in enumerate(chunk):
                if _is_punctuation(char):
                    if start < index:
                        words.append(chunk[start:index])
                    words.append(char)
                    start = index + 1
            if start < len(chunk):
                words.append(chunk[start:])
        return words

    def word_ids(self, word: str) -> list[int]:
        """Greedy longest-match-first WordPiece ids of one pre-tokenized word."""
        cached = self._word_cache.get(word)
        if cached is not None:
            return cached
        ids = self._wordpiece(word)
        if len(self._word_cache) >= _MAX_WORD_CACHE:
            self._word_cache.clear()
        self._word_cache[word] = ids
        return ids

    def _wordpiece(self, word: str) -> list[int]:
        if len(word) > _MAX_WORD_CHARS:
            return [self.unk_id]
        vocab = self.vocab
        ids: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            found: int | None = None
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                found = vocab.get(piece)
                if found is not None:
                    break
                end -= 1
            if found is None:
                return [self.unk_id]
            ids.append(found)
            start = end
        return ids

    def _text_ids(self, text: str) -> Iterable[int]:
        """Ids of a text segment free of special tokens."""
        for word in self.pre_tokenize(self.normalize(text)):
            yield from self.word_ids(word)

    def tokenize_ids(self, text: str) -> list[int]:
        """The text's ids without [CLS], [SEP] or truncation."""
        ids: list[int] = []
        start = 0
        for match in self._specials.finditer(text):
            ids.extend(self._text_ids(text[start : match.start()]))
            ids.append(self.vocab[match.group()])
            start = match.end()
        ids.extend(self._text_ids(text[start:]))
        return ids

    def tokenize(self, text: str) -> list[str]:
        """The text's WordPiece tokens as strings (for inspection)."""
        if not self._tokens:
            self._tokens = {index: token for token, index in self.vocab.items()}
        return [self._tokens[index] for index in self.tokenize_ids(text)]

    def encode(self, text: str) -> list[int]:
        """[CLS] ids [SEP], truncated to ``max_length`` ids in all."""
        ids = self.tokenize_ids(text)[: self.max_length - 2]
        return [self.cls_id, *ids, self.sep_id]


@dataclass(frozen=True)
class _Layer:
    """One transformer layer, weights transposed to (in, out) and the query pre-scaled."""

    qkv_w: FloatArray  # (hidden, 3 * hidden): query, key, value side by side
    qkv_b: FloatArray
    attn_out_w: FloatArray
    attn_out_b: FloatArray
    attn_norm_g: FloatArray
    attn_norm_b: FloatArray
    ffn_in_w: FloatArray
    ffn_in_b: FloatArray
    ffn_out_w: FloatArray
    ffn_out_b: FloatArray
    ffn_norm_g: FloatArray
    ffn_norm_b: FloatArray


# erf as a rational function on [-4, 4] (the float32 approximation of Eigen and XLA; beyond
# ±4 erf is ±1 in float32): odd numerator, even denominator, coefficients highest first.
_ERF_NUM: Final = (
    -2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06, -5.69250639462346e-05,
    -7.34990630326855e-04, -2.95459980854025e-03, -1.60960333262415e-02,
)  # fmt: skip
_ERF_DEN: Final = (
    -1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03, -7.37332916720468e-03,
    -1.42647390514189e-02,
)  # fmt: skip
_ERF_NUM32: Final = tuple(np.float32(c) for c in _ERF_NUM)
_ERF_DEN32: Final = tuple(np.float32(c) for c in _ERF_DEN)
_SQRT_HALF: Final = np.float32(np.sqrt(0.5))
# GELU runs over blocks of this many values, so that its temporaries stay in the CPU cache.
_GELU_BLOCK: Final = 1 << 16
# Attention scores are computed for at most about this many (query, key) pairs at a time.
_ATTENTION_BLOCK: Final = 1 << 18


def _horner_(z2: FloatArray, coefficients: tuple[np.float32, ...], out: FloatArray) -> None:
    """``out`` = the polynomial in ``z2`` with these coefficients (highest first)."""
    np.multiply(z2, coefficients[0], out=out)
    for coefficient in coefficients[1:-1]:
        out += coefficient
        out *= z2
    out += coefficients[-1]


def _gelu_(x: FloatArray) -> FloatArray:
    """GELU with the exact erf form, x * (1 + erf(x / sqrt 2)) / 2, computed in place."""
    flat = x.reshape(-1)
    block = min(_GELU_BLOCK, flat.size)
    scratch = np.empty((4, block), dtype=np.float32)
    for start in range(0, flat.size, block):
        values = flat[start : start + block]
        z, z2, num, den = (row[: values.size] for row in scratch)
        np.multiply(values, _SQRT_HALF, out=z)
        np.clip(z, np.float32(-4.0), np.float32(4.0), out=z)
        np.multiply(z, z, out=z2)
        _horner_(z2, _ERF_NUM32, num)
        num *= z
        _horner_(z2, _ERF_DEN32, den)
        num /= den  # erf(z)
        num += np.float32(1.0)
        num *= np.float32(0.5)
        values *= num
    return x


def _layer_norm_(x: FloatArray, gain: FloatArray, bias: FloatArray, eps: float) -> FloatArray:
    """LayerNorm over the last axis, in place."""
    x -= x.mean(axis=-1, keepdims=True)
    variance = np.mean(np.square(x), axis=-1, keepdims=True)
    variance += np.float32(eps)
    x /= np.sqrt(variance)
    x *= gain
    x += bias
    return x


def _read_json(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object")
    return data


def _f32(array: npt.ArrayLike) -> FloatArray:
    return np.ascontiguousarray(array, dtype=np.float32)


class Encoder:
    """all-MiniLM-L6-v2 sentence embeddings (Apache-2.0; Wang et al. 2020, Reimers & Gurevych
    2019): 384 float32 numbers a text, L2-normalised, so that a dot product is a cosine.

    Load once (about 90 MB of weights, a tenth of a second) and reuse. ``encode`` may be
    called from several threads: its only shared state is the tokenizer's caches.
    """

    def __init__(
        self,
        tokenizer: WordPieceTokenizer,
        weights: dict[str, FloatArray],
        config: dict[str, Any],
    ) -> None:
        self.tokenizer = tokenizer
        self.max_seq_length = tokenizer.max_length
        self.dim = int(config["hidden_size"])
        self.num_heads = int(config["num_attention_heads"])
        if self.dim % self.num_heads:
            raise ValueError("hidden_size is not a multiple of num_attention_heads")
        self.head_dim = self.dim // self.num_heads
        self.eps = float(config["layer_norm_eps"])
        if self.max_seq_length > int(config["max_position_embeddings"]):
            raise ValueError("max_seq_length exceeds the position embeddings")

        self._word = weights["embeddings.word_embeddings.weight"]
        if len(tokenizer.vocab) > self._word.shape[0]:
            raise ValueError("the vocabulary is larger than the word embeddings")
        # Token type is always 0 (single sentences): fold its embedding into the positions.
        type0 = weights["embeddings.token_type_embeddings.weight"][0]
        self._position = _f32(weights["embeddings.position_embeddings.weight"] + type0)
        self._embed_norm_g = weights["embeddings.LayerNorm.weight"]
        self._embed_norm_b = weights["embeddings.LayerNorm.bias"]
        scale = np.float32(1.0 / np.sqrt(self.head_dim))
        self._layers: list[_Layer] = []
        for index in range(int(config["num_hidden_layers"])):
            p = f"encoder.layer.{index}."

            def w(name: str, prefix: str = p) -> FloatArray:
                return weights[prefix + name]

            self._layers.append(
                _Layer(
                    qkv_w=_f32(
                        np.concatenate(
                            [
                                w("attention.self.query.weight").T * scale,
                                w("attention.self.key.weight").T,
                                w("attention.self.value.weight").T,
                            ],
                            axis=1,
                        )
                    ),
                    qkv_b=_f32(
                        np.concatenate(
                            [
                                w("attention.self.query.bias") * scale,
                                w("attention.self.key.bias"),
                                w("attention.self.value.bias"),
                            ]
                        )
                    ),
                    attn_out_w=_f32(w("attention.output.dense.weight").T),
                    attn_out_b=w("attention.output.dense.bias"),
                    attn_norm_g=w("attention.output.LayerNorm.weight"),
                    attn_norm_b=w("attention.output.LayerNorm.bias"),
                    ffn_in_w=_f32(w("intermediate.dense.weight").T),
                    ffn_in_b=w("intermediate.dense.bias"),
                    ffn_out_w=_f32(w("output.dense.weight").T),
                    ffn_out_b=w("output.dense.bias"),
                    ffn_norm_g=w("output.LayerNorm.weight"),
                    ffn_norm_b=w("output.LayerNorm.bias"),
                )
            )

    @classmethod
    def load(cls, path: Path) -> Encoder:
        """Load a sentence-transformers model directory of this architecture.

        Checks that it is BERT -> mean pooling -> Normalize, reads ``max_seq_length`` from
        ``sentence_bert_config.json`` and the weights from ``model.safetensors``.
        """
        path = Path(path)
        modules = json.loads((path / "modules.json").read_text(encoding="utf-8"))
        types = tuple(module["type"] for module in modules)
        if types != _MODULES:
            raise ValueError(f"{path}: unsupported sentence-transformers modules {types}")
        pooling = _read_json(path / "1_Pooling" / "config.json")
        modes = sorted(
            key for key, value in pooling.items() if key.startswith("pooling_mode") and value
        )
        if modes != ["pooling_mode_mean_tokens"]:
            raise ValueError(f"{path}: only mean pooling is supported, not {modes}")
        config = _read_json(path / "config.json")
        expected = {"model_type": "bert", "hidden_act": "gelu"}
        for key, value in expected.items():
            if config.get(key) != value:
                raise ValueError(f"{path}: {key} is {config.get(key)!r}, expected {value!r}")
        if config.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError(f"{path}: only absolute position embeddings are supported")
        st_config = _read_json(path / "sentence_bert_config.json")
        tokenizer = WordPieceTokenizer.from_dir(path, max_length=int(st_config["max_seq_length"]))
        raw = load_file(str(path / "model.safetensors"))
        weights = {name: _f32(array) for name, array in raw.items() if array.dtype.kind == "f"}
        return cls(tokenizer, weights, config)

    def encode(self, texts: list[str], batch_size: int = 32) -> FloatArray:
        """Embeddings of ``texts``: float32, shape (len(texts), 384), each row of norm 1.

        Texts are grouped by token count into batches of ``batch_size``, so that attention
        computes little padding (the other layers compute none); the rows come back in the
        order of ``texts``.
        """
        if isinstance(texts, str):
            raise TypeError("encode takes a list of texts, not a single string")
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        encoded = [self.tokenizer.encode(text) for text in texts]
        out = np.zeros((len(encoded), self.dim), dtype=np.float32)
        order = sorted(range(len(encoded)), key=lambda index: len(encoded[index]))
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            out[batch] = self._embed_batch([encoded[index] for index in batch])
        return out

    def _embed_batch(self, sequences: list[list[int]]) -> FloatArray:
        """Mean-pooled, L2-normalised embeddings of a batch of token id sequences."""
        lengths = np.array([len(ids) for ids in sequences], dtype=np.int64)
        hidden = self._forward(sequences, lengths)
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        pooled = np.add.reduceat(hidden, starts, axis=0) / lengths[:, None].astype(np.float32)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return _f32(pooled / np.maximum(norms, np.float32(1e-12)))

    def _forward(self, sequences: list[list[int]], lengths: IntArray) -> FloatArray:
        """BERT's last hidden states of the real tokens, packed: (sum(lengths), hidden).

        The dense layers run on the packed tokens; only attention uses the padded
        (batch, length) layout, where padding keys are masked out.
        """
        batch, length = len(sequences), int(lengths.max())
        heads, head_dim, dim = self.num_heads, self.head_dim, self.dim
        mask = np.arange(length)[None, :] < lengths[:, None]  # (batch, length)
        rows, positions = np.nonzero(mask)
        slots = rows * length + positions  # where each real token sits in the padded layout
        padded = bool(slots.size < batch * length)
        ids = np.fromiter((i for ids in sequences for i in ids), dtype=np.int64, count=slots.size)
        x = self._word[ids]
        x += self._position[positions]
        x = _layer_norm_(x, self._embed_norm_g, self._embed_norm_b, self.eps)
        # Added to the attention scores: padding keys get the lowest float32.
        key_bias = np.where(mask, np.float32(0.0), np.finfo(np.float32).min).astype(np.float32)
        key_bias = key_bias[:, None, None, :]
        # Attention runs over groups of sequences whose scores fit in the CPU cache.
        group = max(1, _ATTENTION_BLOCK // (heads * length * length))
        for layer in self._layers:
            qkv = x @ layer.qkv_w
            qkv += layer.qkv_b
            if padded:
                qkv_padded = np.zeros((batch * length, 3 * dim), dtype=np.float32)
                qkv_padded[slots] = qkv
                qkv = qkv_padded
            qkv_heads = qkv.reshape(batch, length, 3, heads, head_dim).transpose(2, 0, 3, 1, 4)
            context = np.empty((batch, length, heads, head_dim), dtype=np.float32)
            for first in range(0, batch, group):
                chunk = slice(first, first + group)
                query, key, value = (part[chunk] for part in qkv_heads)
                scores = query @ key.transpose(0, 1, 3, 2)  # (group, heads, length, length)
                if padded:
                    scores += key_bias[chunk]
                scores -= scores.max(axis=-1, keepdims=True)
                np.exp(scores, out=scores)
                scores /= scores.sum(axis=-1, keepdims=True)
                context[chunk] = (scores @ value).transpose(0, 2, 1, 3)
            context = context.reshape(batch * length, dim)
            if padded:
                context = context[slots]
            attended = context @ layer.attn_out_w
            attended += layer.attn_out_b
            attended += x
            x = _layer_norm_(attended, layer.attn_norm_g, layer.attn_norm_b, self.eps)
            inner = x @ layer.ffn_in_w
            inner += layer.ffn_in_b
            _gelu_(inner)
            ffn = inner @ layer.ffn_out_w
            ffn += layer.ffn_out_b
            ffn += x
            x = _layer_norm_(ffn, layer.ffn_norm_g, layer.ffn_norm_b, self.eps)
        return x
