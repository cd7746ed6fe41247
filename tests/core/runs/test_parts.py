"""The pieces of the worker machinery: launch message, liveness lock, torchrun command, checkpoint slots,
streaming text."""

import io
import os

import pytest
import torch

from studio.core.errors import ConflictError, StudioError
from studio.core.training import launch
from studio.core.training.checkpoints import CheckpointKeeper, CheckpointPolicy, CheckpointWriteError, Slot
from studio.core.training.distributed import torchrun_command, world_from_env
from studio.core.training.launch import LaunchMessage


def test_launch_message_round_trip_and_refuses_garbage():
    msg = LaunchMessage("state", b"\x00" * (3 << 20) + b"end", [{"id": 1, "slot": "last-0", "secret": {"k": "v"}}])
    buf = io.BytesIO()
    msg.write_to(buf)
    back = LaunchMessage.read_from(io.BytesIO(buf.getvalue()))
    assert back.init == "state" and back.blob == msg.blob and back.checkpoints == msg.checkpoints
    with pytest.raises(StudioError, match="only the studio starts workers"):
        LaunchMessage.read_from(io.BytesIO(b"hello, I am not a launch message"))
    with pytest.raises(StudioError, match="ended early"):
        LaunchMessage.read_from(io.BytesIO(buf.getvalue()[:1000]))


@pytest.mark.skipif(launch.fcntl is None, reason="flock is POSIX")
def test_the_lock_tells_whether_a_worker_lives(tmp_path):
    assert launch.lock_held(tmp_path) is False
    fd = launch.hold_lock(tmp_path)
    assert launch.lock_held(tmp_path) is True
    with pytest.raises(ConflictError):
        launch.hold_lock(tmp_path)
    child = os.dup(fd)  # what a worker inherits: the lock lives while any copy is open
    launch.release_lock(fd)
    assert launch.lock_held(tmp_path) is True
    os.close(child)
    assert launch.lock_held(tmp_path) is False


def test_torchrun_command_re_enters_the_studio_without_python():
    cmd = torchrun_command(["--run-id", "3", "--data-dir", "/d"], nproc=2)
    assert "torchrun" in cmd and "--no-python" in cmd and "--nproc-per-node=2" in cmd and "--standalone" in cmd
    tail = cmd[cmd.index("--no-python") + 1:]
    assert tail[-5:] == ["worker", "--run-id", "3", "--data-dir", "/d"]
    multi = torchrun_command(["--run-id", "3"], nproc=4, nnodes=2, node_rank=1, master_addr="10.0.0.2",
                             master_port=29600)
    assert "--nnodes=2" in multi and "--node-rank=1" in multi and "--master-addr=10.0.0.2" in multi
    assert "--master-port=29600" in multi and "--standalone" not in multi


def test_world_from_torchrun_environment():
    assert not world_from_env({}).distributed
    w = world_from_env({"RANK": "1", "WORLD_SIZE": "2", "LOCAL_RANK": "1"})
    assert w.distributed and not w.is_main and w.local_rank == 1


class _Sink:
    def __init__(self):
        self.writes = []
        self.fail = False

    def write(self, secret, state, files):
        if self.fail:
            raise OSError(30, "Read-only file system")
        self.writes.append((secret["n"], state))
        return 100


class _Store:
    def __init__(self):
        self.rows = {}

    def checkpoint_written(self, cid, step, train, val, size):
        self.rows[cid] = step

    def set_checkpoint_state(self, cid, state, **values):
        self.rows[cid] = values.get("step")


def test_last_k_slots_rotate_and_the_best_has_its_own():
    sink, store = _Sink(), _Store()
    slots = [Slot(i, name, {"n": name}) for i, name in enumerate(["last-0", "last-1", "best"])]
    keeper = CheckpointKeeper(store, sink, slots, CheckpointPolicy(every=10, keep_last=2), log=lambda s: None)
    for step in (10, 20, 30):
        for kind in keeper.due(step, is_best=step == 20):
            keeper.save(kind, f"state{step}", step, 1.0, 0.5)
    assert [n for n, _ in sink.writes] == ["last-0", "last-1", "best", "last-0"]  # 30 replaced 10
    assert store.rows == {0: 30, 1: 20, 2: 20}
    assert keeper.due(30, False, final=True) == []  # already saved at this step
    assert keeper.due(33, False, final=True) == ["last"]
    sink.fail = True
    with pytest.raises(CheckpointWriteError, match="Read-only file system.*step 30, is intact"):
        keeper.save("last", "state33", 33, 1.0, None)
    assert store.rows[1] is None  # the slot the failed write aimed at holds no usable checkpoint now
    assert store.rows[0] == 30  # the latest is untouched


class _CharTokenizer:
    """Byte-level with an end-of-document id, to check that pieces never split a character."""

    eos_id = 256
    vocab_size = 257

    def encode(self, text):
        return list(text.encode("utf-8"))

    def decode(self, ids):
        return bytes(i for i in ids if i < 256).decode("utf-8", errors="replace")


def test_streamed_pieces_join_to_the_text_never_split_a_character_and_end_at_eos(monkeypatch):
    from studio.core.models import generate as gen
    from studio.core.models.config import GPTConfig
    from studio.core.models.generate import SamplingConfig
    from studio.core.models.gpt import GPT
    from studio.core.services.runs.sampling import stream_text

    script = list("café ☃!".encode()) + [256] + list(b"never shown")
    seen = {}

    def scripted(model, prompt_ids, config, *, should_stop=None, use_cache=True):
        seen["prompt"], seen["stops"] = list(prompt_ids), config.stop_ids
        yield from script

    monkeypatch.setattr(gen, "generate", scripted)
    model = GPT(GPTConfig(vocab_size=257, block_size=16, n_layer=1, n_head=1, n_embd=8)).eval()
    pieces = list(stream_text(model, _CharTokenizer(), "x", SamplingConfig(max_new_tokens=50)))
    assert "".join(pieces) == "café ☃!"
    assert "é" in pieces and "☃" in pieces  # multi-byte characters come out whole
    assert seen["prompt"] == [ord("x")] and 256 in seen["stops"]
    list(stream_text(model, _CharTokenizer(), "", SamplingConfig(max_new_tokens=5)))
    assert seen["prompt"] == [256]  # an empty prompt starts a new document


def test_real_generation_streams_and_a_seed_repeats():
    from studio.core.models.config import GPTConfig
    from studio.core.models.generate import SamplingConfig
    from studio.core.models.gpt import GPT
    from studio.core.services.runs.sampling import stream_text

    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=257, block_size=16, n_layer=1, n_head=1, n_embd=8)).eval()
    cfg = SamplingConfig(max_new_tokens=30, temperature=1.0, seed=7)
    first = "".join(stream_text(model, _CharTokenizer(), "ab", cfg))
    assert first == "".join(stream_text(model, _CharTokenizer(), "ab", cfg))


@pytest.mark.parametrize("script, stop, shown", [
    ("Hello!\nuser: more", "\nuser:", "Hello!"),  # the model starts the next turn itself: cut before it
    ("a\nus then \nuser:x", "\nuser:", "a\nus then "),  # a tail that only looked like a stop comes out
    ("no stop here\nus", "\nuser:", "no stop here\nus"),  # the held-back tail is flushed at the end
    ("stop at once", "stop", ""),
])
def test_stop_strings_end_the_text_and_are_never_shown(monkeypatch, script, stop, shown):
    from studio.core.models import generate as gen
    from studio.core.models.config import GPTConfig
    from studio.core.models.generate import SamplingConfig
    from studio.core.models.gpt import GPT
    from studio.core.services.runs.sampling import stream_text

    monkeypatch.setattr(gen, "generate", lambda model, ids, config, **kw: iter(script.encode()))
    model = GPT(GPTConfig(vocab_size=257, block_size=16, n_layer=1, n_head=1, n_embd=8)).eval()
    pieces = list(stream_text(model, _CharTokenizer(), "x", SamplingConfig(max_new_tokens=50, stop_strings=(stop,))))
    assert "".join(pieces) == shown and all(stop not in p for p in pieces)
