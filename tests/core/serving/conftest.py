"""A served tiny model: a 2-layer GPT with the byte tokenizer in the vault, owned by a trainer, a viewer
granted `use` on it, an API key each, and a server on a free loopback port."""

from __future__ import annotations

import pytest
import torch

from studio.core.datasets.tokenizers import ByteTokenizer
from studio.core.models.config import GPTConfig
from studio.core.models.gpt import GPT, model_tensors


def tiny_gpt(seed: int = 0, context: int = 96) -> GPT:
    torch.manual_seed(seed)
    return GPT(GPTConfig(vocab_size=257, block_size=context, n_layer=2, n_head=2, n_embd=32, dropout=0.0)).eval()


@pytest.fixture
def served(studio, make_user):
    """(studio, server, owner, viewer, {"owner": key, "viewer": key}, model)."""
    from studio.core.serving.server import ServeOptions

    owner = make_user("trainer", "owner")
    viewer = make_user("viewer", "viewer")
    model = tiny_gpt()
    version = studio.vault.add_version(owner, None, model_tensors(model), name="tiny",
                                       config=model.config.to_dict(), tokenizer=ByteTokenizer().to_json())
    studio.grants.add(owner, "viewer", "model", version.model_id, "use")
    keys = {"owner": studio.keys.create(owner, "tests").token, "viewer": studio.keys.create(viewer, "tests").token}
    server = studio.serving.start(owner, ["tiny"], ServeOptions(port=0, max_batch=8, max_queue=64))
    yield studio, server, owner, viewer, keys, model
    studio.serving.stop(owner, server)


@pytest.fixture
def client_for(served):
    import openai

    server = served[1]
    made = []

    def make(key: str, **kw):
        c = openai.OpenAI(base_url=server.url, api_key=key, max_retries=0, timeout=30, **kw)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()
