"""The NumPy all-MiniLM-L6-v2 encoder (clinic_nlu.minilm) against the reference's outputs.

Expected token ids and embeddings were produced by the reference implementation
(transformers 5.24 / tokenizers 0.23 BertTokenizer, sentence-transformers 6.2 on torch
2.13 CPU, same weights) and are pasted here, so these tests need neither. The tests on
real ids and embeddings need the model directory that
``python -m clinic_nlu.minilm_build build/minilm`` writes, and skip without it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from clinic_nlu.minilm import Encoder, WordPieceTokenizer

MODEL_DIR = Path(__file__).resolve().parents[2] / "build" / "minilm"
needs_model = pytest.mark.skipif(
    not (MODEL_DIR / "model.safetensors").is_file(),
    reason=f"{MODEL_DIR} not built: run `python -m clinic_nlu.minilm_build build/minilm`",
)

# ---------------------------------------------------------------------------------------
# The tokenizer's steps, on a toy vocabulary (no model files needed)

TOY_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able", "aff"]
TOY_TOKENS += ["a", "##b", "!", "'", "t", "can", "cafe", "σ", "##σ", "我", "x", "##x"]
TOY_VOCAB = {token: index for index, token in enumerate(TOY_TOKENS)}


@pytest.fixture
def toy() -> WordPieceTokenizer:
    return WordPieceTokenizer(TOY_VOCAB, max_length=8)


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("Café NAÏVE", "cafe naive"),
        ("ΟΔΟΣ", "οδοσ"),  # lower-cased letter by letter: no final "ς"
        ("tab\there\r\nnbsp\u00a0zero\u200bwidth\x00nul\ufffd", "tab here  nbsp zerowidthnul"),
        ("我的", " 我  的 "),
        ("İ", "i"),  # NFD, the dot dropped, then lower-cased
    ],
)
def test_normalize(toy: WordPieceTokenizer, text: str, normalized: str) -> None:
    assert toy.normalize(text) == normalized


def test_pre_tokenize_splits_around_punctuation(toy: WordPieceTokenizer) -> None:
    words = toy.pre_tokenize("can't  stop!!  (now)… ¿qué? a_b")
    assert words[:8] == ["can", "'", "t", "stop", "!", "!", "(", "now"]
    assert words[8:] == [")", "…", "¿", "qué", "?", "a", "_", "b"]


def test_wordpiece_is_greedy_longest_match_first(toy: WordPieceTokenizer) -> None:
    ids = toy.tokenize_ids("unaffable Can't!")
    tokens = [TOY_TOKENS[i] for i in ids]
    assert tokens == ["un", "##aff", "##able", "can", "'", "t", "!"]


def test_wordpiece_unknown_and_overlong_words(toy: WordPieceTokenizer) -> None:
    assert toy.tokenize_ids("abz") == [TOY_VOCAB["[UNK]"]]  # "z" cannot be matched
    assert toy.tokenize_ids("x" * 100) == [TOY_VOCAB["x"]] + [TOY_VOCAB["##x"]] * 99
    assert toy.tokenize_ids("x" * 101) == [TOY_VOCAB["[UNK]"]]


def test_special_tokens_in_text_are_kept_whole(toy: WordPieceTokenizer) -> None:
    tokens = [TOY_TOKENS[i] for i in toy.tokenize_ids("a[SEP]a [MASK] [sep]")]
    assert tokens == ["a", "[SEP]", "a", "[MASK]", "[UNK]", "[UNK]", "[UNK]"]


def test_encode_adds_cls_sep_and_truncates(toy: WordPieceTokenizer) -> None:
    cls, sep, a = TOY_VOCAB["[CLS]"], TOY_VOCAB["[SEP]"], TOY_VOCAB["a"]
    assert toy.encode("") == [cls, sep]
    assert toy.encode("a " * 20) == [cls, *[a] * 6, sep]


# ---------------------------------------------------------------------------------------
# Real ids: the model's vocabulary, ids taken from the reference tokenizer

# fmt: off
TOKENIZER_TABLE = [
    ("Do you take walk-ins?", [101, 2079, 2017, 2202, 3328, 1011, 16021, 1029, 102]),
    ("I can't lift 10kg since my back surgery.",
     [101, 1045, 2064, 1005, 1056, 6336, 2184, 2243, 2290, 2144, 2026, 2067, 5970, 1012, 102]),
    ("How much is a first visit? $120?",
     [101, 2129, 2172, 2003, 1037, 2034, 3942, 1029, 1002, 6036, 1029, 102]),
    ("Café au lait, naïve résumé, Dvořák",
     [101, 7668, 8740, 21110, 2102, 1010, 15743, 13746, 1010, 1040, 14550, 4817, 102]),
    ("ÉCOLE ÉLÉMENTAIRE", [101, 12431, 5783, 14737, 102]),
    ("?", [101, 1029, 102]),
    ("", [101, 102]),
    ("I love this clinic 😀👍🏽 thanks!!", [101, 1045, 2293, 2023, 9349, 100, 4283, 999, 999, 102]),
    ("我的背很痛，可以预约吗？",
     [101, 1855, 1916, 100, 100, 100, 1989, 100, 100, 100, 100, 100, 1994, 102]),
    ("ΟΔΟΣ ΣΟΦΟΣ", [101, 1169, 29722, 29730, 29733, 1173, 29730, 29736, 29730, 29733, 102]),
    ("zero\u200bwidth soft\u00adhyphen tab\there\nnewline",
     [101, 5717, 9148, 11927, 2232, 3730, 10536, 8458, 2368, 21628, 2182, 2047, 4179, 102]),
    ("[CLS] special [SEP] tokens [MASK] stay [sep] whole",
     [101, 101, 2569, 102, 19204, 2015, 103, 2994, 1031, 19802, 1033, 2878, 102]),
    ("Supercalifragilisticexpialidocious antidisestablishmentarianism",
     [101, 3565, 9289, 10128, 29181, 24411, 4588, 10288, 19312, 21273, 10085, 6313, 3424,
      10521, 4355, 7875, 13602, 3672, 12199, 2964, 102]),
    ("x" * 101, [101, 100, 102]),
    ("email desk@clinic.example, call (555) 010-0199 @ 9-5 #1",
     [101, 10373, 4624, 1030, 9349, 1012, 2742, 1010, 2655, 1006, 29541, 1007, 5890, 2692,
      1011, 5890, 2683, 2683, 1030, 1023, 1011, 1019, 1001, 1015, 102]),
    ("helo i wud like to bok an apointment plz",
     [101, 2002, 4135, 1045, 8814, 2094, 2066, 2000, 8945, 2243, 2019, 9706, 25785, 3672,
      20228, 2480, 102]),
]
# fmt: on


@pytest.fixture(scope="module")
def tokenizer() -> WordPieceTokenizer:
    return WordPieceTokenizer.from_dir(MODEL_DIR, max_length=256)


@needs_model
@pytest.mark.parametrize(("text", "ids"), TOKENIZER_TABLE)
def test_ids_match_the_reference_tokenizer(
    tokenizer: WordPieceTokenizer, text: str, ids: list[int]
) -> None:
    assert tokenizer.encode(text) == ids


@needs_model
def test_truncates_to_max_seq_length(tokenizer: WordPieceTokenizer) -> None:
    ids = tokenizer.encode(" ".join(["word"] * 300))
    assert ids == [101] + [2773] * 254 + [102]


# ---------------------------------------------------------------------------------------
# Embeddings: the reference's first 8 dimensions, rounded to 5 decimals

EMBEDDING_FIXTURE = [
    (
        "Do you take walk-ins?",
        [0.02644, 0.01511, 0.03311, 0.0428, 0.06985, 0.00471, 0.089, -0.0064],
    ),
    (
        "Can I come in without an appointment?",
        [-0.00285, 0.04564, -0.02974, 0.02935, -0.00234, -0.01655, -0.00168, -0.02853],
    ),
    (
        "How much does the first visit cost?",
        [0.07973, 0.02029, 0.02654, 0.0745, -0.06286, -0.0583, 0.02317, 0.00131],
    ),
    (
        "What is the price of an initial consultation?",
        [-0.01408, 0.0182, -0.0287, 0.02774, -0.11507, 0.00758, 0.0328, 0.09955],
    ),
    (
        "I can't control my bladder since yesterday",
        [0.01998, -0.0618, 0.03648, 0.10326, -0.00799, -0.03075, 0.00299, 0.01499],
    ),
]
FIXTURE_TEXTS = [text for text, _ in EMBEDDING_FIXTURE]


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return Encoder.load(MODEL_DIR)


@needs_model
def test_embeddings_match_the_reference(encoder: Encoder) -> None:
    vectors = encoder.encode(FIXTURE_TEXTS)
    assert vectors.dtype == np.float32
    assert vectors.shape == (5, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    expected = np.array([values for _, values in EMBEDDING_FIXTURE], dtype=np.float32)
    np.testing.assert_allclose(vectors[:, :8], expected, atol=1e-5)


@needs_model
def test_batching_does_not_change_embeddings(encoder: Encoder) -> None:
    texts = [*FIXTURE_TEXTS, "?", " ".join(["word"] * 300)]
    together = encoder.encode(texts, batch_size=32)
    one_by_one = np.vstack([encoder.encode([text]) for text in texts])
    np.testing.assert_allclose(together, one_by_one, atol=1e-6)
    assert encoder.encode([]).shape == (0, 384)


@needs_model
def test_paraphrases_are_closer_than_unrelated_sentences(encoder: Encoder) -> None:
    walk_in, no_booking, first_cost, initial_price, bladder = encoder.encode(FIXTURE_TEXTS)
    assert walk_in @ no_booking > max(walk_in @ first_cost, walk_in @ bladder)
    assert first_cost @ initial_price > max(first_cost @ walk_in, first_cost @ bladder)
    assert initial_price @ first_cost > initial_price @ no_booking


def test_encode_rejects_a_bare_string() -> None:
    encoder = Encoder.__new__(Encoder)
    with pytest.raises(TypeError):
        encoder.encode("Do you take walk-ins?")  # type: ignore[arg-type]
