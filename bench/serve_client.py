"""The HTTP side of bench/serve.py, in its own process (so that the clients' Python does not compete with the
server for one interpreter lock): N concurrent streaming chat requests through OpenAI's client, R rounds.

    python bench/serve_client.py URL KEY MODEL --clients N --rounds R --max-tokens T

Prints one JSON object: per request its time to first token, total time and completion tokens; per round
its wall time.
"""

from __future__ import annotations

import argparse
import json
import threading
import time

import openai


def one(client: openai.OpenAI, model: str, max_tokens: int, n: int) -> dict:
    started = time.perf_counter()
    first = None
    tokens = 0
    for chunk in client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": f"Tell me a story, number {n}."}],
            max_tokens=max_tokens, temperature=0, stream=True, stream_options={"include_usage": True}):
        if chunk.usage is not None:
            tokens = chunk.usage.completion_tokens
        if first is None and chunk.choices and chunk.choices[0].delta.content:
            first = time.perf_counter()
    end = time.perf_counter()
    return {"ttft_s": (first or end) - started, "total_s": end - started, "tokens": tokens}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("key")
    p.add_argument("model")
    p.add_argument("--clients", type=int, default=1)
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--max-tokens", type=int, default=200)
    args = p.parse_args()
    clients = [openai.OpenAI(base_url=args.url, api_key=args.key, max_retries=0, timeout=600)
               for _ in range(args.clients)]
    one(clients[0], args.model, 4, -1)  # warm the connection and the server
    rounds = []
    requests = []
    for r in range(args.rounds):
        results: list[dict] = [{} for _ in clients]

        def work(i: int, r: int = r, results: list[dict] = results) -> None:
            results[i] = one(clients[i], args.model, args.max_tokens, r * len(clients) + i)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(len(clients))]
        began = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        rounds.append({"wall_s": time.perf_counter() - began, "tokens": sum(x["tokens"] for x in results)})
        requests.extend(results)
    print(json.dumps({"rounds": rounds, "requests": requests}))


if __name__ == "__main__":
    main()
