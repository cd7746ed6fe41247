import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studio.core.datasets.tokenizers import (
    EOS_TOKEN,
    ByteTokenizer,
    CharTokenizer,
    HFTokenizer,
    array_dtype,
    load_tokenizer,
    load_tokenizer_file,
    train_bpe,
)
from studio.core.errors import ValidationError

CORPUS = [
    "The quick brown fox jumps over the lazy dog. 12 foxes, 345 dogs!",
    "Café crème — naïve 東京 😀 emoji and tabs\tand\nnewlines\n\n  double  spaces",
    "def f(x):\n    return x**2  # code-ish <b>html</b> 3.14159",
    "Ünïcödé and ﬁ ligature, ½ fractions, \u00a0nbsp, \u2003em space, \x1cfile sep, \x85nel.",
] * 30


@pytest.fixture(scope="module")
def bpe():
    return train_bpe(CORPUS, 400)


# Text of every sort: ASCII words, whitespace runs, digits, punctuation, any Unicode character.
texts = st.text(
    alphabet=st.one_of(
        st.sampled_from(list(" \t\n\r\f\v.,;:!?'\"()[]{}<>|-_=+*/\\#@$%^&~`0123456789abcXYZ")),
        st.characters(codec="utf-8"),
    ),
    max_size=80,
)


@settings(max_examples=150, deadline=None)
@given(text=texts)
def test_bpe_fast_path_gives_the_ids_of_the_tokenizers_library(bpe, text):
    assert bpe.fast_path
    assert bpe.encode(text) == bpe.hf.encode(text, add_special_tokens=False).ids


@settings(max_examples=60, deadline=None)
@given(batch=st.lists(texts, max_size=6))
def test_encode_many_is_encode_of_each(bpe, batch):
    for tok in (ByteTokenizer(), CharTokenizer("abc xyz"), bpe):
        flat, lengths = tok.encode_many(batch)
        assert lengths.tolist() == [len(tok.encode(t)) for t in batch]
        assert flat.tolist() == [i for t in batch for i in tok.encode(t)]


@settings(max_examples=60, deadline=None)
@given(text=texts)
def test_every_tokenizer_round_trips_and_its_spans_cover_the_text(bpe, text):
    char = CharTokenizer.from_counts(np.bincount(np.frombuffer(text.encode("utf-32-le"), np.uint32), minlength=0x110000))
    for tok in (ByteTokenizer(), char, bpe):
        ids = tok.encode(text)
        assert tok.decode(ids) == text
        spans = tok.token_spans(text)
        assert [s[0] for s in spans] == ids
        covered = []
        for _, start, end in spans:
            if not covered or start >= covered[-1][1]:
                covered.append((start, end))
        assert "".join(text[s:e] for s, e in covered) == text


@pytest.mark.parametrize("make", ["byte", "char", "bpe"])
def test_to_json_restores_the_same_tokenizer(bpe, make):
    tok = {"byte": ByteTokenizer(), "char": CharTokenizer("".join(sorted(set("".join(CORPUS))))), "bpe": bpe}[make]
    again = load_tokenizer(tok.to_json())
    assert type(again) is type(tok)
    assert (again.vocab_size, again.eos_id, again.kind) == (tok.vocab_size, tok.eos_id, tok.kind)
    for text in CORPUS[:4]:
        assert again.encode(text) == tok.encode(text)


def test_byte_and_char_basics():
    b = ByteTokenizer()
    assert (b.vocab_size, b.eos_id) == (257, 256)
    assert b.encode("é") == [0xC3, 0xA9]
    assert b.decode([104, 105, 256, 33], skip_special=False) == f"hi{EOS_TOKEN}!"
    c = CharTokenizer("ab")
    assert (c.vocab_size, c.eos_id, c.unknown_id) == (4, 0, 1)
    assert c.encode("abz") == [2, 3, 1]
    assert c.decode([2, 0, 3], skip_special=False) == f"a{EOS_TOKEN}b"


def test_special_token_text_in_a_document_is_not_a_document_boundary(bpe):
    text = f"before {EOS_TOKEN} after"
    for tok in (ByteTokenizer(), CharTokenizer("".join(sorted(set(text)))), bpe):
        assert tok.eos_id not in tok.encode(text)
        assert tok.decode(tok.encode(text)) == text


def test_bpe_training_is_deterministic_and_learns_merges():
    a, b = train_bpe(CORPUS, 350), train_bpe(CORPUS, 350)
    assert a.to_json() == b.to_json()
    assert len(a.encode(CORPUS[0])) < 0.6 * len(CORPUS[0].encode())


def test_bpe_vocab_size_is_checked():
    with pytest.raises(ValidationError, match="out of range"):
        train_bpe(CORPUS, 100)


def test_array_dtype_fits_the_vocabulary():
    assert array_dtype(65536) == np.uint16
    assert array_dtype(65537) == np.uint32


def _word_level(tmp_path, vocab, name="tokenizer.json"):
    from tokenizers import Tokenizer, models, pre_tokenizers

    hf = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    hf.pre_tokenizer = pre_tokenizers.Whitespace()
    path = tmp_path / name
    path.write_text(hf.to_str())
    return path


def test_a_users_tokenizer_json_is_loaded_with_its_end_token(tmp_path):
    path = _word_level(tmp_path, {"[UNK]": 0, "</s>": 1, "hello": 2, "world": 3})
    tok = load_tokenizer_file(path)
    assert isinstance(tok, HFTokenizer) and tok.kind == "file"
    assert (tok.eos_id, tok.vocab_size, tok.unknown_id) == (1, 4, 0)
    assert tok.encode("hello world mars") == [2, 3, 0]
    again = load_tokenizer(tok.to_json())
    assert again.encode("hello world") == [2, 3]


def test_a_large_vocabulary_needs_uint32(tmp_path):
    vocab = {f"w{i}": i for i in range(70_000)}
    vocab["[UNK]"] = 70_000
    vocab[EOS_TOKEN] = 70_001
    tok = load_tokenizer_file(_word_level(tmp_path, vocab))
    assert tok.vocab_size == 70_002 and tok.dtype == np.uint32


def test_bad_tokenizer_files_are_refused_with_the_reason(tmp_path):
    no_eos = _word_level(tmp_path, {"[UNK]": 0, "hello": 1})
    with pytest.raises(ValidationError, match="no end-of-document token"):
        load_tokenizer_file(no_eos)
    garbage = tmp_path / "bad.json"
    garbage.write_text("{not json")
    with pytest.raises(ValidationError, match="bad.json.*not valid JSON"):
        load_tokenizer_file(garbage)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"hello": 1}))
    with pytest.raises(ValidationError, match="not a Hugging Face tokenizer"):
        load_tokenizer_file(other)
    with pytest.raises(ValidationError, match="does not exist"):
        load_tokenizer_file(tmp_path / "missing.json")


def test_batches_with_and_without_nul_characters_encode_like_single_texts(bpe):
    for batch in (["one two", "", " three\n", "four."], ["has\x00nul", "plain", "\x00"], ["x"]):
        flat, lengths = bpe.encode_many(batch)
        assert flat.tolist() == [i for t in batch for i in bpe.hf.encode(t, add_special_tokens=False).ids]
        assert lengths.tolist() == [len(bpe.encode(t)) for t in batch]
