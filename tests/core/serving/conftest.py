"""One served tiny model per test module: a 2-layer GPT with the byte tokenizer in the vault, owned by the
trainer "owner"; the viewer "viewer" holds `use` on it, "stranger" holds nothing; each has an API key; the
server listens on a free loopback port. Tests that change users or keys make their own."""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

import pytest
import torch

from studio.core.datasets.tokenizers import CharTokenizer
from studio.core.models.config import GPTConfig
from studio.core.models.gpt import GPT, model_tensors
from tests.conftest import TEST_ARGON2, TEST_PASSWORD

CONTEXT = 96
# Printable characters only, so that what a random model says is text (a byte model's is mostly invalid UTF-8).
TOKENIZER = CharTokenizer("".join(sorted(set(string.ascii_letters + string.digits + " .,:;!?'\n"))))


def tiny_gpt(seed: int = 0, context: int = CONTEXT) -> GPT:
    """A random 2-layer GPT over TOKENIZER whose end-of-document and unknown tokens are never the likeliest,
    so that greedy text runs to max_tokens."""
    torch.manual_seed(seed)
    model = GPT(GPTConfig(vocab_size=TOKENIZER.vocab_size, block_size=context, n_layer=2, n_head=2, n_embd=32,
                          dropout=0.0, tie_embeddings=False)).eval()
    with torch.no_grad():
        model.lm_head.weight[:2] = 0.0
        model.lm_head.weight[2:] *= 20.0  # confident choices: argmax ties between kernels do not happen
    return model


@dataclass
class Env:
    studio: Any
    server: Any
    root: Any
    owner: Any
    viewer: Any
    stranger: Any
    keys: dict[str, str]
    model: GPT
    model_id: int

    def user(self, role: str, name: str) -> Any:
        self.studio.accounts.create_user(self.root, name, role, TEST_PASSWORD)
        return self.studio.accounts.login(name, TEST_PASSWORD)

    def entries(self, after: int, action: str | None = None) -> list[Any]:
        from studio.core.stores.audit import AuditFilter

        flt = AuditFilter(action=action) if action else None
        return sorted(self.studio.audit_store.page(flt, after_seq=after, limit=100_000), key=lambda e: e.seq)


def start_env(data_dir, **options) -> Env:
    from studio.core.security import passwords
    from studio.core.services import Studio
    from studio.core.serving.options import ServeOptions

    passwords.set_active_params(passwords.Argon2Params(*TEST_ARGON2))
    studio = Studio.open(data_dir)
    root = studio.accounts.create_first_admin("root", TEST_PASSWORD)
    made = {}
    for name, role in (("owner", "trainer"), ("viewer", "viewer"), ("stranger", "viewer")):
        studio.accounts.create_user(root, name, role, TEST_PASSWORD)
        made[name] = studio.accounts.login(name, TEST_PASSWORD)
    model = tiny_gpt()
    version = studio.vault.add_version(made["owner"], None, model_tensors(model), name="tiny",
                                       config=model.config.to_dict(), tokenizer=TOKENIZER.to_json())
    studio.grants.add(made["owner"], "viewer", "model", version.model_id, "use")
    keys = {n: studio.keys.create(u, "tests", rate_per_min=100_000).token for n, u in made.items()}
    settings = {"port": 0, "max_batch": 8, "max_queue": 64, **options}
    server = studio.serving.start(made["owner"], ["tiny"], ServeOptions(**settings))
    return Env(studio, server, root, made["owner"], made["viewer"], made["stranger"], keys, model, version.model_id)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models: one thread is fastest, and the server's threads share two cores
    e = start_env(tmp_path_factory.mktemp("serving") / "data")
    yield e
    e.studio.serving.stop(e.owner, e.server)
    e.studio.close()
    torch.set_num_threads(threads)


@pytest.fixture
def client(env):
    import openai

    made = []

    def make(key: str | None = None, **kw):
        c = openai.OpenAI(base_url=env.server.url, api_key=key or env.keys["viewer"], max_retries=0, timeout=60, **kw)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()
