import pytest
import torch

from studio.core.errors import ValidationError
from studio.core.models.config import GPTConfig
from studio.core.models.generate import SamplingConfig, generate, next_token_distribution
from studio.core.models.gpt import GPT


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return GPT(GPTConfig(vocab_size=23, block_size=12, n_layer=2, n_head=2, n_embd=16))


def test_greedy_with_cache_equals_without_and_slides_past_the_context(model):
    s = SamplingConfig(max_new_tokens=20, greedy=True)  # 3 + 20 tokens > context of 12
    cached = list(generate(model, [1, 2, 3], s))
    plain = list(generate(model, [1, 2, 3], s, use_cache=False))
    assert cached == plain and len(cached) == 20
    # greedy means each token is the argmax of the full-window logits
    ids = [1, 2, 3]
    for tok in plain[:5]:
        logits, _ = model.eval()(torch.tensor([ids[-12:]]))
        assert tok == int(logits[0, -1].argmax())
        ids.append(tok)


def test_tokens_stream_one_by_one_and_stop(model):
    stream = generate(model, [5], SamplingConfig(max_new_tokens=50, seed=3))
    first = next(stream)
    assert isinstance(first, int) and 0 <= first < 23
    assert torch.is_grad_enabled()  # the generator leaves no inference mode behind between tokens
    stream.close()
    calls = iter(range(100))
    assert len(list(generate(model, [5], SamplingConfig(max_new_tokens=50, seed=3),
                             should_stop=lambda: next(calls) >= 4))) == 4
    greedy_first = next(generate(model, [5], SamplingConfig(max_new_tokens=5, greedy=True)))
    out = list(generate(model, [5], SamplingConfig(max_new_tokens=5, greedy=True, stop_ids=(greedy_first,))))
    assert out == [greedy_first]


def test_seed_makes_sampling_repeatable(model):
    s = SamplingConfig(max_new_tokens=15, temperature=1.5, seed=7)
    a, b = list(generate(model, [1], s)), list(generate(model, [1], s))
    c = list(generate(model, [1], SamplingConfig(max_new_tokens=15, temperature=1.5, seed=8)))
    assert a == b and a != c


def test_top_k_and_top_p_restrict_the_distribution():
    logits = torch.tensor([4.0, 3.0, 2.0, 1.0, 0.0])
    p = next_token_distribution(logits, 1.0, 2, None)
    assert (p[2:] == 0).all() and torch.isclose(p.sum(), torch.tensor(1.0))
    full = torch.softmax(logits, -1)
    p = next_token_distribution(logits, 1.0, None, 0.8)
    kept = (p > 0).sum().item()
    assert full[:kept - 1].sum() < 0.8 <= full[:kept].sum()  # the smallest set reaching 0.8
    assert torch.equal(next_token_distribution(logits, 1.0, None, 1e-6) > 0, torch.tensor([True] + [False] * 4))


def test_bad_prompts_are_clear_errors(model):
    with pytest.raises(ValidationError, match="empty"):
        next(generate(model, []))
    with pytest.raises(ValidationError, match="outside the model's vocabulary"):
        next(generate(model, [23]))
    with pytest.raises(ValidationError, match="top_p"):
        next(generate(model, [1], SamplingConfig(top_p=1.5)))
