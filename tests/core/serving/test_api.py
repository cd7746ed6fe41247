"""The OpenAI-compatible API through OpenAI's own client: what it answers, what it refuses, and that every
request, served or refused, is in the audit log."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime

import openai
import pytest

from studio.core.models.generate import SamplingConfig
from studio.core.services.runs.sampling import stream_text
from tests.core.serving.conftest import CONTEXT, TOKENIZER

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello there"}]


def model_tokenizer(env):
    from studio.core.models.family import family_for_config

    config = env.model.config.to_dict()
    return family_for_config(config).tokenizer({"tokenizer.json": TOKENIZER.to_json()}, config)


def reference(env, prompt: str, n: int) -> str:
    """The studio's in-process generation of the same model (greedy), as `studio sample` makes it."""
    return "".join(stream_text(env.model, model_tokenizer(env), prompt, SamplingConfig(max_new_tokens=n, greedy=True)))


def last_seq(env) -> int:
    return env.studio.audit_store.max_seq()


def test_completion_and_chat_match_in_process_generation(env, client):
    c = client()
    start = last_seq(env)
    done = c.completions.create(model="tiny", prompt="Once upon", max_tokens=12, temperature=0)
    assert done.choices[0].text == reference(env, "Once upon", 12)
    assert done.usage.prompt_tokens == len("Once upon")
    assert done.usage.completion_tokens == 12 and done.choices[0].finish_reason == "length"

    prompt = model_tokenizer(env).render_chat(MESSAGES)
    assert prompt == "system: Be brief.\nuser: Hello there\nassistant: "  # the native GPT's template
    chat = c.chat.completions.create(model="tiny:1", messages=MESSAGES, max_tokens=10, temperature=0)
    want = reference(env, prompt, 10)
    assert chat.choices[0].message.content == want.split("\nuser:")[0]
    assert chat.model == "tiny:1" and chat.usage.prompt_tokens == len(prompt)

    pieces = []
    usage = None
    for chunk in c.chat.completions.create(model="tiny", messages=MESSAGES, max_tokens=10, temperature=0,
                                           stream=True, stream_options={"include_usage": True}):
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            pieces.append(choice.delta.content or "")
    assert "".join(pieces) == chat.choices[0].message.content
    assert usage is not None and usage.completion_tokens == chat.usage.completion_tokens

    streamed = "".join(ch.choices[0].text for ch in c.completions.create(
        model="tiny", prompt="Once upon", max_tokens=12, temperature=0, stream=True))
    assert streamed == done.choices[0].text

    entries = env.entries(start)
    requests = [e for e in entries if e.action == "serve.request"]
    responses = [e for e in entries if e.action == "serve.response"]
    assert len(requests) == len(responses) == 4
    for e in requests + responses:
        assert e.actor_name == "viewer" and e.obj_id == str(env.model_id) and e.outcome == "allowed" and e.sealed
        d = e.details
        assert d["model"] == "tiny" and d["version"] == 1 and d["key_id"] and d["key"].startswith("msk_")
        assert "prompt_text" not in d and "completion_text" not in d
    first = responses[0].details
    assert first["tokens_in"] == 9 and first["tokens_out"] == 12 and first["latency_ms"] > 0
    assert {r.details["request_id"] for r in requests} == {r.details["request_id"] for r in responses}


def test_sampling_with_a_seed_is_reproducible(env, client):
    c = client()
    a = c.completions.create(model="tiny", prompt="abc", max_tokens=15, temperature=0.9, seed=7, top_p=0.9)
    b = c.completions.create(model="tiny", prompt="abc", max_tokens=15, temperature=0.9, seed=7, top_p=0.9)
    assert a.choices[0].text == b.choices[0].text


def test_stop_strings_end_the_text_before_them(env, client):
    c = client()
    free = c.completions.create(model="tiny", prompt="Once", max_tokens=20, temperature=0).choices[0].text
    stop = free[5:7]
    assert stop and stop in free
    cut = c.completions.create(model="tiny", prompt="Once", max_tokens=20, temperature=0, stop=[stop])
    assert cut.choices[0].text == free[:free.index(stop)]
    assert cut.choices[0].finish_reason == "stop"


def test_models_lists_what_the_key_may_use(env, client):
    assert [m.id for m in client(env.keys["viewer"]).models.list()] == ["tiny:1"]
    assert [m.id for m in client(env.keys["stranger"]).models.list()] == []


def expect_status(call, status: int, code: str | None = None):
    with pytest.raises(openai.APIStatusError) as info:
        call()
    assert info.value.status_code == status, info.value
    body = info.value.body or {}
    if code is not None:
        assert body.get("code") == code or (body.get("error") or {}).get("code") == code, body
    return info.value


def test_refused_keys_and_users_get_401_or_403_with_an_audit_entry(env, client):
    studio = env.studio
    revoked_user = env.user("viewer", "gone")
    expiring_user = env.user("viewer", "brief")
    disabled_user = env.user("viewer", "disabled")
    for name in ("gone", "brief", "disabled"):
        studio.grants.add(env.owner, name, "model", env.model_id, "use")
    revoked = studio.keys.create(revoked_user, "r").token
    studio.keys.revoke(revoked_user, "r")
    made = studio.keys.create(expiring_user, "e", expires_in_s=1)
    expired = made.token
    disabled = studio.keys.create(disabled_user, "d").token
    studio.accounts.set_disabled(env.root, "disabled", True)
    cases = [
        ("wrong", "msk_" + "A" * 43, 401, "(unknown key)"),
        ("not a key", "sk-proj-123", 401, "(unknown key)"),
        ("revoked", revoked, 401, "gone"),
        ("expired", expired, 401, "brief"),
        ("no grant", env.keys["stranger"], 403, "stranger"),
        ("disabled", disabled, 403, "disabled"),
    ]
    while datetime.now(UTC).replace(tzinfo=None) < made.key.expires_at:
        time.sleep(0.05)
    for what, key, status, who in cases:
        start = last_seq(env)
        expect_status(lambda key=key: client(key).chat.completions.create(
            model="tiny", messages=MESSAGES, max_tokens=3), status)
        entries = env.entries(start, "serve.request")
        assert len(entries) == 1, what
        e = entries[0]
        assert e.outcome == "denied" and e.actor_name == who, (what, e.as_dict())
        assert e.details["endpoint"] == "chat.completions"
        assert key not in e.details_json  # the key itself never reaches the log
    # the server keeps serving
    assert client().completions.create(model="tiny", prompt="x", max_tokens=2).usage.completion_tokens == 2


def test_a_revoked_grant_stops_the_next_request(env, client):
    studio = env.studio
    user = env.user("viewer", "temp")
    grant = studio.grants.add(env.owner, "temp", "model", env.model_id, "use")
    c = client(studio.keys.create(user, "t").token)
    assert c.completions.create(model="tiny", prompt="a", max_tokens=2).choices
    studio.grants.revoke(env.owner, "temp", "model", grant.obj_id, "use")
    expect_status(lambda: c.completions.create(model="tiny", prompt="a", max_tokens=2), 403)


def raw(env, path: str, body: bytes, key: str | None = None, content_type: str = "application/json"):
    req = urllib.request.Request(env.server.url.removesuffix("/v1") + path, data=body, method="POST", headers={
        "Authorization": f"Bearer {key or env.keys['viewer']}", "Content-Type": content_type})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.parametrize(("what", "body", "status", "code"), [
    ("malformed JSON", b'{"model": "tiny", "messages": [', 400, "invalid_json"),
    ("not an object", b'["tiny"]', 400, "invalid_request_body"),
    ("missing messages", json.dumps({"model": "tiny"}).encode(), 400, "missing_required_parameter"),
    ("missing model", json.dumps({"messages": MESSAGES}).encode(), 400, "missing_required_parameter"),
    ("max_tokens beyond the context", json.dumps({"model": "tiny", "messages": MESSAGES,
                                                  "max_tokens": CONTEXT}).encode(), 400, "context_length_exceeded"),
    ("negative temperature", json.dumps({"model": "tiny", "messages": MESSAGES,
                                         "temperature": -0.5}).encode(), 400, "invalid_value"),
    ("n > 1", json.dumps({"model": "tiny", "messages": MESSAGES, "n": 2}).encode(), 400, "invalid_value"),
    ("bad role", json.dumps({"model": "tiny", "messages": [{"role": "wizard", "content": "x"}]}).encode(), 400,
     "invalid_value"),
    ("unknown model", json.dumps({"model": "nope", "messages": MESSAGES}).encode(), 404, "model_not_found"),
    ("10 MB body", json.dumps({"model": "tiny", "messages": [{"role": "user", "content": "x" * 10_000_000}]}).encode(),
     413, "request_too_large"),
])
def test_bad_requests_get_the_right_4xx_and_the_server_goes_on(env, client, what, body, status, code):
    start = last_seq(env)
    got, answer = raw(env, "/v1/chat/completions", body)
    assert got == status, (what, answer)
    assert answer["error"]["code"] == code and answer["error"]["message"], answer
    entries = env.entries(start, "serve.request")
    assert [e.outcome for e in entries] == ["failed"] and entries[0].details["status"] == status
    assert client().completions.create(model="tiny", prompt="ok", max_tokens=2).choices[0].finish_reason == "length"


def test_unknown_paths_and_missing_keys_are_openai_shaped(env):
    req = urllib.request.Request(env.server.url + "/models")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, timeout=30)
    assert info.value.code == 401
    assert json.loads(info.value.read())["error"]["code"] == "missing_api_key"
    status, answer = raw(env, "/v1/embeddings", b"{}")
    assert status == 404 and answer["error"]["code"] == "unknown_url"


def test_the_audit_fails_closed(env, client, monkeypatch):
    from studio.core.errors import AuditWriteError

    store = env.studio.audit_store
    real = store.append
    engine = env.server.models[0].engine
    before = engine.stats.tokens

    def broken(session, **kw):
        raise AuditWriteError("The audit log could not be written (disk full, simulated).")

    monkeypatch.setattr(store, "append", broken)
    expect_status(lambda: client().completions.create(model="tiny", prompt="a", max_tokens=4), 503,
                  "audit_unavailable")
    assert engine.stats.tokens == before  # refused before a single token was computed

    def responses_fail(session, **kw):
        if kw["action"] == "serve.response":
            return broken(session, **kw)
        return real(session, **kw)

    monkeypatch.setattr(store, "append", responses_fail)
    answer = expect_status(lambda: client().completions.create(model="tiny", prompt="a", max_tokens=4), 503)
    assert "withheld" in str(answer)
    seen = []
    with pytest.raises(openai.APIError, match="withheld"):
        for chunk in client().completions.create(model="tiny", prompt="a", max_tokens=4, stream=True):
            seen.append(chunk.choices[0].finish_reason)
    assert "length" not in seen and "stop" not in seen  # the stream never said it ended well
    monkeypatch.undo()
    assert client().completions.create(model="tiny", prompt="a", max_tokens=2).choices[0].text


def test_per_key_rate_limit(env, client):
    user = env.user("viewer", "limited")
    env.studio.grants.add(env.owner, "limited", "model", env.model_id, "use")
    c = client(env.studio.keys.create(user, "slow", rate_per_min=2).token)
    for _ in range(2):
        assert c.completions.create(model="tiny", prompt="a", max_tokens=1).choices
    start = last_seq(env)
    error = expect_status(lambda: c.completions.create(model="tiny", prompt="a", max_tokens=1), 429,
                          "rate_limit_exceeded")
    assert int(error.response.headers["retry-after"]) >= 1
    [entry] = env.entries(start, "serve.request")
    assert entry.outcome == "denied" and entry.actor_name == "limited" and entry.details["status"] == 429


def test_a_full_queue_is_answered_503(env):
    from concurrent.futures import ThreadPoolExecutor

    from studio.core.serving.options import ServeOptions

    small = env.studio.serving.start(env.owner, ["tiny"], ServeOptions(port=0, max_batch=1, max_queue=0))
    try:
        def ask(_):
            c = openai.OpenAI(base_url=small.url, api_key=env.keys["viewer"], max_retries=0, timeout=60)
            try:
                c.completions.create(model="tiny", prompt="a", max_tokens=CONTEXT - 2)
                return 200
            except openai.APIStatusError as error:
                assert error.body["code"] == "server_overloaded"
                return error.status_code
            finally:
                c.close()

        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(ask, range(8)))
        assert 200 in statuses and 503 in statuses and set(statuses) <= {200, 503}
        ends = [r for r in small.recent() if r.status == 503]
        assert len(ends) == statuses.count(503) and all(r.outcome == "overloaded" for r in ends)
    finally:
        env.studio.serving.stop(env.owner, small)


def test_the_llama_cpp_backend_serves_the_same_text(env, client):
    from studio.core.serving.options import ServeOptions

    want = client().completions.create(model="tiny", prompt="Once upon", max_tokens=12, temperature=0)
    fast = env.studio.serving.start(env.owner, ["tiny"], ServeOptions(port=0, backend="llama.cpp"))
    try:
        with openai.OpenAI(base_url=fast.url, api_key=env.keys["viewer"], max_retries=0, timeout=60) as c:
            got = c.completions.create(model="tiny", prompt="Once upon", max_tokens=12, temperature=0)
        assert got.choices[0].text == want.choices[0].text and got.usage == want.usage
    finally:
        env.studio.serving.stop(env.owner, fast)
    [start] = [e for e in env.studio.audit_store.page(limit=30) if e.action == "serve.start"][:1]
    assert start.details["backend"] == "llama.cpp"
