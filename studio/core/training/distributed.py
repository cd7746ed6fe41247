"""Many processes, one run: torchrun starts them, DistributedDataParallel keeps their weights equal.

Under torchrun each process finds RANK, WORLD_SIZE, LOCAL_RANK (and the rendezvous) in its environment;
`init_world()` joins the process group (nccl on CUDA, gloo on CPU) and returns the `World`. Outside torchrun
it returns the single-process world and touches nothing. Only rank 0 reads the launch message, writes
metrics and writes checkpoints; the others get what they need through the collectives below, which move
bytes as uint8 tensors (never pickled objects: a multi-node run talks over the network).

`torchrun_command(...)` builds the command line: the studio's own executable re-entered as `studio torchrun`
(torch.distributed.run's main) with `--no-python`, so that a frozen build, which has no `python`, works too.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from studio.core.procs import studio_command

SHUTDOWN_BARRIER_S = 600  # how long a finished rank waits for rank 0's last checkpoint before leaving anyway


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.size > 1


SINGLE = World()


def world_from_env(env: dict[str, str] | None = None) -> World:
    env = os.environ if env is None else env
    if "RANK" not in env or "WORLD_SIZE" not in env:
        return SINGLE
    return World(int(env["RANK"]), int(env["WORLD_SIZE"]), int(env.get("LOCAL_RANK", "0")))


def init_world() -> World:
    """Join the process group when started by torchrun (a no-op for a single process)."""
    world = world_from_env()
    if not world.distributed:
        return world
    import torch
    import torch.distributed as dist

    if torch.cuda.is_available():
        torch.cuda.set_device(world.local_rank)
        dist.init_process_group("nccl", device_id=torch.device("cuda", world.local_rank))
    else:
        dist.init_process_group("gloo")
    return world


def shutdown(world: World, together: bool = False) -> None:
    """Leave the process group. `together`: this rank ended in step with the others (the run completed,
    stopped or diverged, which every rank sees at the same step), so wait for them first: a rank that tore
    gloo down while rank 0 still wrote its last checkpoint could abort at exit ("terminate called without an
    active exception"), and then its torchrun reported a failure (and over two nodes node 0's torchrun waited
    out its 5-minute exit barrier holding the run's lock). A rank that failed on its own leaves at once."""
    if world.distributed:
        import torch.distributed as dist

        if dist.is_initialized():
            if together:
                with contextlib.suppress(Exception):  # a rank gone meanwhile: leave anyway
                    if dist.get_backend() == "gloo":
                        dist.monitored_barrier(timeout=timedelta(seconds=SHUTDOWN_BARRIER_S))
                    else:
                        dist.barrier()
            dist.destroy_process_group()


def _device():
    import torch
    import torch.distributed as dist

    if dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def broadcast_bytes(world: World, data: bytes | None) -> bytes:
    """Rank 0's `data`, on every rank."""
    if not world.distributed:
        assert data is not None
        return data
    import numpy as np
    import torch
    import torch.distributed as dist

    dev = _device()
    size = torch.tensor([len(data) if world.is_main and data is not None else 0], dtype=torch.int64, device=dev)
    dist.broadcast(size, 0)
    if world.is_main:
        buf = torch.frombuffer(bytearray(data or b"\0"), dtype=torch.uint8)[: int(size)].to(dev)
    else:
        buf = torch.empty(int(size), dtype=torch.uint8, device=dev)
    if int(size):
        dist.broadcast(buf, 0)
    return bytes(np.asarray(buf.cpu()).tobytes()) if int(size) else b""


def gather_json(world: World, value: Any) -> list[Any] | None:
    """Every rank's JSON-able `value`, as a list on rank 0 (None elsewhere)."""
    if not world.distributed:
        return [value]
    import torch
    import torch.distributed as dist

    dev = _device()
    data = json.dumps(value).encode("utf-8")
    size = torch.tensor([len(data)], dtype=torch.int64, device=dev)
    sizes = [torch.zeros(1, dtype=torch.int64, device=dev) for _ in range(world.size)]
    dist.all_gather(sizes, size)
    longest = max(int(s) for s in sizes)
    buf = torch.zeros(longest, dtype=torch.uint8, device=dev)
    buf[: len(data)] = torch.frombuffer(bytearray(data), dtype=torch.uint8).to(dev)
    bufs = [torch.zeros(longest, dtype=torch.uint8, device=dev) for _ in range(world.size)]
    dist.all_gather(bufs, buf)
    if not world.is_main:
        return None
    return [json.loads(bytes(b.cpu().numpy()[: int(s)]).decode("utf-8")) for b, s in zip(bufs, sizes, strict=True)]


def broadcast_flags(world: World, flags: list[int]) -> list[int]:
    """Rank 0's small list of integers (control requests), on every rank."""
    if not world.distributed:
        return flags
    import torch
    import torch.distributed as dist

    t = torch.tensor(flags, dtype=torch.int64, device=_device())
    dist.broadcast(t, 0)
    return [int(v) for v in t.cpu().tolist()]


def all_reduce_mean(world: World, tensor):
    """The mean of `tensor` over the ranks, in place (for reporting the loss of all ranks' batches)."""
    if world.distributed:
        import torch.distributed as dist

        dist.all_reduce(tensor)
        tensor /= world.size
    return tensor


def torchrun_command(worker_args: list[str], *, nproc: int, nnodes: int = 1, node_rank: int = 0,
                     master_addr: str | None = None, master_port: int | None = None) -> list[str]:
    """`studio torchrun ... --no-python <studio> worker ...`: torchrun starting `nproc` studio workers."""
    args = [*studio_command("torchrun"), f"--nproc-per-node={nproc}", f"--nnodes={nnodes}"]
    if nnodes > 1:
        args += [f"--node-rank={node_rank}", f"--master-addr={master_addr or '127.0.0.1'}",
                 f"--master-port={master_port or 29500}"]
    else:
        args.append("--standalone")  # one machine: torchrun picks a free port, so two runs never collide
    args += ["--max-restarts=0", "--no-python", *studio_command("worker", *worker_args)]
    return args
