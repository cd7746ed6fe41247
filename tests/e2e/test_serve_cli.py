"""`studio keys` and `studio serve` from the command line: a real server process, a real client."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys

import openai
import pytest

from tests.conftest import TEST_PASSWORD
from tests.e2e.cli_runner import cli_with_users


@pytest.fixture
def run(data_dir, monkeypatch, capsys):
    return cli_with_users(data_dir, monkeypatch, capsys)


def store_tiny_model(data_dir):
    from studio.core.models.gpt import model_tensors
    from studio.core.services import Studio
    from tests.core.serving.conftest import TOKENIZER, tiny_gpt

    with Studio.open(data_dir) as studio:
        alice = studio.accounts.login("alice", TEST_PASSWORD)
        model = tiny_gpt()
        version = studio.vault.add_version(alice, None, model_tensors(model), name="tiny",
                                           config=model.config.to_dict(), tokenizer=TOKENIZER.to_json())
        studio.grants.add(alice, "vic", "model", version.model_id, "use")


def test_keys_create_list_revoke(run):
    out, _ = run("keys", "create", "--name", "laptop", "--expires", "30d", "--rate", "20", user="vic")
    token = out.splitlines()[0]
    assert token.startswith("msk_") and "only time the key is shown" in out
    out, _ = run("keys", "list", user="vic")
    assert "laptop" in out and token[:12] in out and "active" in out and token not in out
    out, _ = run("keys", "list", "--json", user="root")
    [key] = json.loads(out)
    assert key["user_name"] == "vic" and key["rate_per_min"] == 20 and key["expires_at"]
    run("keys", "revoke", "laptop", user="bob", expect=1)  # not bob's key
    out, _ = run("keys", "revoke", "laptop", user="vic")
    assert "revoked" in out
    _, err = run("keys", "create", "--expires", "soon", user="vic", expect=1)
    assert "not a duration" in err


def test_serve_refuses_a_password_from_the_environment(run):
    _, err = run("serve", "tiny", "--port", "0", expect=5)
    assert "STUDIO_PASSWORD" in err and "--password-stdin" in err


def start_server(data_dir, *extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
    proc = subprocess.Popen([sys.executable, "-m", "studio", "serve", "tiny", "--port", "0", "--threads", "1",
                             "--user", "alice", "--password-stdin", "--data-dir", str(data_dir), *extra],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    proc.stdin.write(TEST_PASSWORD + "\n")
    proc.stdin.close()
    proc.stdin = None  # communicate() must not touch it again
    line = proc.stdout.readline()
    match = re.search(r"at (http://127\.0\.0\.1:\d+/v1)", line)
    if not match:
        proc.kill()
        raise AssertionError(line + proc.stderr.read())
    return proc, match.group(1)


def test_serve_in_its_own_process(run, data_dir):
    store_tiny_model(data_dir)
    out, _ = run("keys", "create", "--json", user="vic")
    token = json.loads(out)["token"]
    proc, url = start_server(data_dir)
    try:
        assert TEST_PASSWORD not in " ".join(proc.args)
        with openai.OpenAI(base_url=url, api_key=token, max_retries=0, timeout=60) as client:
            answer = client.chat.completions.create(model="tiny", messages=[{"role": "user", "content": "hi"}],
                                                    max_tokens=5, temperature=0)
            assert answer.usage.completion_tokens == 5
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert "Stopped" in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    from studio.core.services import Studio

    with Studio.open(data_dir) as studio:
        actions = [(e.action, e.actor_name, e.outcome) for e in studio.audit_store.page(limit=20)][::-1]
    tail = [a for a in actions if a[0].startswith(("serve.", "model.read"))]
    assert tail == [("model.read", "alice", "allowed"), ("serve.start", "alice", "allowed"),
                    ("serve.request", "vic", "allowed"), ("serve.response", "vic", "allowed"),
                    ("serve.stop", "alice", "allowed")]


def test_a_killed_server_loses_no_entry_of_an_answered_request(run, data_dir):
    """kill -9 while a request streams: every answered request has both entries, the cut-off one at least its
    admission (serve.request, committed before its first token; its end too when the server had finished it
    before the kill landed: a tiny model makes 80 tokens in milliseconds), and the chain still verifies."""
    store_tiny_model(data_dir)
    out, _ = run("keys", "create", "--json", user="vic")
    token = json.loads(out)["token"]
    proc, url = start_server(data_dir)
    try:
        with openai.OpenAI(base_url=url, api_key=token, max_retries=0, timeout=60) as client:
            answered = [client.completions.create(model="tiny", prompt="a", max_tokens=4).id for _ in range(3)]
            cut = None
            try:
                for chunk in client.completions.create(model="tiny", prompt="b", max_tokens=80, stream=True):
                    cut = chunk.id
                    proc.kill()  # SIGKILL: no handler runs
            except openai.APIError:
                pass  # the usual outcome: the stream is cut off. A tiny model can have sent all 80 tokens into
                # the socket before the kill lands; then the stream ends whole and the entries below still hold.
            assert cut is not None
    finally:
        proc.kill()
        proc.wait()
    from studio.core.services import Studio

    with Studio.open(data_dir) as studio:
        entries = [e for e in studio.audit_store.page(limit=100) if e.action.startswith("serve.")]
        report = studio.audit.verify(studio.accounts.login("root", TEST_PASSWORD))
    by_request: dict[str, set[str]] = {}
    for e in entries:
        if "request_id" in e.details:
            by_request.setdefault(e.details["request_id"], set()).add(e.action)
    for ident in answered:
        assert by_request[ident.split("-", 1)[1]] == {"serve.request", "serve.response"}
    assert "serve.request" in by_request[cut.split("-", 1)[1]]
    assert report.ok, report.summary()
