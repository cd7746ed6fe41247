"""The batching engine and the text stream, without HTTP: batched greedy decoding gives exactly the
studio's own generation, rows come and go, cancels and full queues behave, stop strings never leak."""

from __future__ import annotations

import threading

import pytest
import torch

from studio.core.datasets.tokenizers import ByteTokenizer
from studio.core.models.generate import SamplingConfig, generate
from studio.core.serving.engine import Engine, Job, QueueFull
from studio.core.serving.runner import runner_for
from studio.core.serving.textstream import TextStream
from tests.core.serving.conftest import tiny_gpt


class Collect:
    def __init__(self):
        self.tokens: list[int] = []
        self.reason = None
        self.done = threading.Event()

    def job(self, prompt, n, **kw) -> Job:
        return Job(list(prompt), n, self.tokens.append, self.finish, **kw)

    def finish(self, reason, error):
        self.reason = reason
        self.done.set()


@pytest.fixture
def model():
    torch.set_num_threads(1)
    return tiny_gpt(seed=3, context=48)


def test_batched_rows_at_different_positions_give_the_studios_own_tokens(model):
    engine = Engine(runner_for(model, 4), max_batch=4, max_queue=8)
    prompts = [[5, 6, 7], [8] * 9, [9], [10, 11] * 6, [12, 13], [14], [15, 16, 17, 18], [19]]
    runs = [(p, 6 + 4 * i, Collect()) for i, p in enumerate(prompts)]  # more than 4: rows are reused
    for p, n, c in runs:
        engine.submit(c.job(p, n, temperature=0.0))
    try:
        for p, n, c in runs:
            assert c.done.wait(30)
            want = list(generate(model, p, SamplingConfig(max_new_tokens=n, greedy=True)))
            assert c.tokens == want and c.reason == "length"
        assert engine.stats.rows_sum > engine.stats.steps  # rows shared steps
    finally:
        engine.close()


def test_seeded_sampling_matches_generate(model):
    engine = Engine(runner_for(model, 2), max_batch=2)
    c = Collect()
    engine.submit(c.job([3, 4], 20, temperature=0.8, top_k=20, seed=11))
    assert c.done.wait(30)
    engine.close()
    assert c.tokens == list(generate(model, [3, 4], SamplingConfig(max_new_tokens=20, temperature=0.8, top_k=20,
                                                                    seed=11)))


def test_stop_tokens_cancel_context_and_a_full_queue(model):
    want = list(generate(model, [5], SamplingConfig(max_new_tokens=10, greedy=True)))
    engine = Engine(runner_for(model, 1), max_batch=1, max_queue=1)
    try:
        stop = Collect()
        engine.submit(stop.job([5], 10, temperature=0.0, stop_ids=frozenset({want[3]})))
        assert stop.done.wait(30)
        assert stop.reason == "stop" and stop.tokens == want[:want.index(want[3]) + 1]

        edge = Collect()  # runs to the end of the context
        engine.submit(edge.job([5] * 40, 100, temperature=0.0))
        # the last position's logits give one more token than the positions left
        assert edge.done.wait(30) and edge.reason == "length" and len(edge.tokens) == 48 - 40 + 1

        gate = threading.Event()
        slow = Collect()
        job = slow.job([5], 10_000, temperature=0.0)
        job.on_token = lambda t: gate.wait(10)
        engine.submit(job)
        waiting = Collect()
        engine.submit(waiting.job([6], 3, temperature=0.0))  # the queue's one place
        with pytest.raises(QueueFull):
            engine.submit(Collect().job([7], 3, temperature=0.0))
        job.cancel()
        gate.set()
        assert slow.done.wait(30) and slow.reason == "cancelled"
        assert waiting.done.wait(30) and waiting.reason == "length"
    finally:
        engine.close()


def test_a_failing_step_fails_its_batch_and_the_engine_goes_on(model):
    runner = runner_for(model, 2)
    engine = Engine(runner, max_batch=2)
    real = runner.step
    calls = {"n": 0}

    def flaky(tokens):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("a kernel failed")
        return real(tokens)

    runner.step = flaky
    try:
        first = Collect()
        engine.submit(first.job([5], 5, temperature=0.0))
        assert first.done.wait(30) and first.reason == "error"
        after = Collect()
        engine.submit(after.job([5], 5, temperature=0.0))
        assert after.done.wait(30) and after.reason == "length"
        assert after.tokens == list(generate(model, [5], SamplingConfig(max_new_tokens=5, greedy=True)))
    finally:
        engine.close()


def feed_all(stream: TextStream, ids: list[int]) -> list[str]:
    out = []
    for i in ids:
        out.append(stream.feed(i))
        if stream.stopped:
            break
    out.append(stream.finish())
    return out


@pytest.mark.parametrize(("stop", "want"), [
    ((), "héllo wörld 你好 STOP more"),
    (("STOP",), "héllo wörld 你好 "),
    (("wörld", "llo"), "hé"),
    (("xyz", "mor"), "héllo wörld 你好 STOP "),
])
def test_text_stream_gives_whole_characters_and_hides_stop_strings(stop, want):
    tok = ByteTokenizer()
    text = "héllo wörld 你好 STOP more"
    pieces = feed_all(TextStream(tok, stop), tok.encode(text))
    assert "".join(pieces) == want
    assert all("\ufffd" not in p for p in pieces)
    for s in stop:  # no piece ever showed the start of a stop string that later matched
        assert s not in "".join(pieces)


def test_the_llama_cpp_runner_batches_like_the_torch_runner(model):
    """The llama.cpp back-end (the GGUF in a memfd) gives the studio's greedy tokens, batched, rows reused."""
    from studio.core.serving.llama_runner import LlamaCppRunner
    from tests.core.serving.conftest import TOKENIZER

    runner = LlamaCppRunner(model, TOKENIZER, 3, threads=1)
    engine = Engine(runner, max_batch=3, max_queue=8)
    prompts = [[5, 6, 7], [8] * 9, [9], [10, 11] * 6, [12, 13]]
    runs = [(p, 5 + 3 * i, Collect()) for i, p in enumerate(prompts)]
    try:
        for p, n, c in runs:
            engine.submit(c.job(p, n, temperature=0.0))
        for p, n, c in runs:
            assert c.done.wait(30) and c.reason == "length"
            assert c.tokens == list(generate(model, p, SamplingConfig(max_new_tokens=n, greedy=True)))
    finally:
        engine.close()
    assert runner._llm is None  # the engine freed llama.cpp's model and context when it stopped


@pytest.mark.parametrize("family", ["qwen3", "llama"])
def test_the_llama_cpp_runner_batches_transformers_families(tmp_path, family):
    """A transformers family through llama.cpp: rows share each decode step and the greedy tokens are the
    studio's own."""
    from studio.core.serving.llama_runner import LlamaCppRunner
    from tests.core.exports.conftest import hf_source

    torch.set_num_threads(1)
    source = hf_source(family, tmp_path)
    runner = LlamaCppRunner(source.model, source.tokenizer, 3, threads=1)
    assert runner.vocab_size == 272 and runner.context_length == 128
    engine = Engine(runner, max_batch=3, max_queue=8)
    prompts = [[65, 66, 67], [68] * 9, [69], [70, 71] * 6, [72, 73]]
    runs = [(p, 5 + 3 * i, Collect()) for i, p in enumerate(prompts)]
    try:
        for p, n, c in runs:
            engine.submit(c.job(p, n, temperature=0.0))
        for p, n, c in runs:
            assert c.done.wait(30) and c.reason == "length"
            assert c.tokens == list(generate(source.model, p, SamplingConfig(max_new_tokens=n, greedy=True)))
        assert engine.stats.rows_sum > engine.stats.steps  # rows shared steps
    finally:
        engine.close()


def test_the_llama_cpp_runner_refuses_what_gguf_cannot_hold(tmp_path):
    from studio.core.errors import ValidationError
    from studio.core.serving.llama_runner import LlamaCppRunner
    from tests.core.exports.conftest import hf_source

    source = hf_source("gpt_neox", tmp_path)
    with pytest.raises(ValidationError, match="gpt_neox.*--backend torch"):
        LlamaCppRunner(source.model, source.tokenizer, 2, threads=1)


def test_the_llama_cpp_runner_caps_a_rows_context(tmp_path, monkeypatch):
    """llama.cpp reserves each row's cache up front: a long-context model gets ROW_CONTEXT positions a row,
    and the runner refuses a prompt beyond them (the server answers such a request 400)."""
    from studio.core.errors import ValidationError
    from studio.core.serving import llama_runner
    from tests.core.exports.conftest import hf_source

    monkeypatch.setattr(llama_runner, "ROW_CONTEXT", 32)
    source = hf_source("qwen2", tmp_path)  # 128 positions
    runner = llama_runner.LlamaCppRunner(source.model, source.tokenizer, 2, threads=1)
    try:
        assert runner.context_length == 32
        with pytest.raises(ValidationError, match="1 to 32"):
            runner.add([65] * 33)
        row, logits = runner.add([65] * 32)
        assert row == 0 and logits.shape == (272,)
    finally:
        runner.close()


@pytest.mark.parametrize("family", ["llama", "mistral", "gpt2"])
def test_concurrent_transformers_requests_share_forward_passes_and_give_the_studios_tokens(family):
    """The torch back-end batches a transformers family: rows at different lengths are left-padded in one
    cache (Llama's RoPE, Mistral's sliding window of 16 positions passed, GPT-2's learned positions), the
    model's forward sees several rows at once, and every request's greedy tokens are those of generating it
    alone; rows come and go (more requests than rows) and the padding is trimmed as they leave."""
    from studio.core.serving.hf_runner import PaddedRunner
    from tests.hf_families import hf_model

    torch.set_num_threads(1)
    model = hf_model(family)
    runner = runner_for(model, 3)
    assert isinstance(runner, PaddedRunner)
    batch_sizes: list[int] = []
    hook = model.register_forward_pre_hook(lambda m, args, kwargs: batch_sizes.append(kwargs["input_ids"].shape[0]),
                                           with_kwargs=True)
    engine = Engine(runner, max_batch=3, max_queue=8)
    prompts = [[65, 66, 67], [68] * 9, [69], [70, 71] * 6, [72, 73], [74] * 20]
    runs = [(p, 5 + 3 * i, Collect()) for i, p in enumerate(prompts)]
    try:
        for p, n, c in runs:
            engine.submit(c.job(p, n, temperature=0.0))
        for _, _, c in runs:
            assert c.done.wait(60) and c.reason == "length"
    finally:
        engine.close()
        hook.remove()
    assert max(batch_sizes) == 3 and engine.stats.rows_sum > engine.stats.steps
    assert runner.rows == 0
    for p, n, c in runs:
        assert c.tokens == list(generate(model, p, SamplingConfig(max_new_tokens=n, greedy=True)))


def test_a_padded_row_leaving_trims_the_cache_and_the_rest_go_on_alone():
    """Removing the longest row leaves the cache as wide as the longest live row, and what is left decodes
    exactly as it would alone (checked against a fresh one-row runner step by step)."""
    from studio.core.serving.hf_runner import PaddedRunner
    from tests.hf_families import hf_model

    torch.set_num_threads(1)
    model = hf_model("llama")
    runner = PaddedRunner(model, 3)
    _, first = runner.add([65, 66])
    runner.add([67] * 12)
    runner.add([68, 69, 70])
    assert runner._cache_width() == 12
    assert runner.remove(1) == 2 and runner.lengths == [2, 3] and runner._cache_width() == 3
    alone = PaddedRunner(model, 1)
    _, want = alone.add([65, 66])
    assert torch.equal(first, want)
    token = int(first.argmax())
    for _ in range(4):
        got = runner.step([token, 71])[0]
        want = alone.step([token])[0]
        assert torch.allclose(got, want, atol=1e-5) and int(got.argmax()) == int(want.argmax())
        token = int(want.argmax())


def test_a_transformers_model_with_recurrent_layers_is_served_row_by_row(monkeypatch):
    """Left padding would feed a recurrent (linear-attention) layer's state with padding: such a model gets
    the family interface's default runner, which steps each row on its own."""
    from studio.core.serving.family_runner import FamilyRunner
    from tests.hf_families import hf_model

    model = hf_model("qwen3")
    monkeypatch.setattr(model.config, "layer_types", ["full_attention", "linear_attention"], raising=False)
    assert isinstance(runner_for(model, 2), FamilyRunner)
    monkeypatch.undo()
    assert not isinstance(runner_for(model, 2), FamilyRunner)
