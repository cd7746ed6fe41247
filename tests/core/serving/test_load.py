"""A bounded load test on loopback: 8 concurrent streaming clients x 25 requests each. No error, every
request in the audit log (its admission and its end), nothing lost, the chain intact; the requests really
shared forward passes."""

from __future__ import annotations

import threading
import time

import openai

CLIENTS, REQUESTS, TOKENS = 8, 25, 8


def test_eight_streaming_clients_times_25_requests(env):
    start = env.studio.audit_store.max_seq()
    engine = env.server.models[0].engine
    steps0, rows0 = engine.stats.steps, engine.stats.rows_sum
    errors: list[BaseException] = []
    texts: list[str] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        c = openai.OpenAI(base_url=env.server.url, api_key=env.keys["viewer"], max_retries=0, timeout=60)
        try:
            for i in range(REQUESTS):
                pieces, finish = [], None
                for chunk in c.chat.completions.create(
                        model="tiny", messages=[{"role": "user", "content": f"client {n} request {i}"}],
                        max_tokens=TOKENS, temperature=0.7, seed=n * 100 + i, stream=True):
                    for choice in chunk.choices:
                        pieces.append(choice.delta.content or "")
                        finish = choice.finish_reason or finish
                assert finish in ("length", "stop")
                with lock:
                    texts.append("".join(pieces))
        except BaseException as error:  # collected: the test fails on any
            with lock:
                errors.append(error)
        finally:
            c.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(240)
    elapsed = time.perf_counter() - began
    assert not errors, errors[:3]
    assert len(texts) == CLIENTS * REQUESTS

    entries = env.entries(start)
    admitted = {e.details["request_id"] for e in entries if e.action == "serve.request" and e.outcome == "allowed"}
    ended = {e.details["request_id"] for e in entries if e.action == "serve.response" and e.outcome == "allowed"}
    assert len(admitted) == len(ended) == CLIENTS * REQUESTS and admitted == ended
    assert all(e.sealed for e in entries)
    assert env.studio.audit.verify(env.root).ok
    # concurrent requests were batched: more than one row per forward pass on average
    steps, rows = engine.stats.steps - steps0, engine.stats.rows_sum - rows0
    assert rows / steps > 1.5, (rows, steps)
    assert env.server.auditor.stats.failures == 0
    print(f"{CLIENTS * REQUESTS} requests in {elapsed:.1f} s; mean batch {rows / steps:.2f}; "
          f"{env.server.auditor.stats.entries} entries in {env.server.auditor.stats.commits} commits")
