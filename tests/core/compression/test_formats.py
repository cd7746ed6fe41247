"""The integer and sparse formats: exact round trips, error bounds, and files that describe themselves."""

import numpy as np
import pytest
import torch

from studio.core.compression import storage
from studio.core.compression.packing import decode_sparse, encode_sparse, pack_int4, unpack_int4
from studio.core.compression.quantize import matrix_from_tensors, quantize_int4, quantize_int8
from studio.core.errors import ValidationError


def test_int4_packing_round_trips_every_value_exactly():
    gen = torch.Generator().manual_seed(0)
    q = torch.randint(0, 16, (37, 64), generator=gen, dtype=torch.uint8)
    q[0] = torch.arange(16, dtype=torch.uint8).repeat(4)  # every value in both nibble positions
    packed = pack_int4(q)
    assert packed.dtype == torch.uint8 and packed.shape == (37, 32)
    assert torch.equal(unpack_int4(packed), q)
    # low nibble first: (1, 2) -> 0x21
    assert pack_int4(torch.tensor([[1, 2]], dtype=torch.uint8)).item() == 0x21


def test_int4_packing_refuses_odd_widths_and_large_values():
    with pytest.raises(ValidationError, match="even number"):
        pack_int4(torch.zeros(2, 3, dtype=torch.uint8))
    with pytest.raises(ValidationError, match="between 0 and 15"):
        pack_int4(torch.full((1, 2), 16, dtype=torch.uint8))


@pytest.mark.parametrize("dtype", [torch.float32, torch.int8])
def test_sparse_layout_round_trips_and_is_smaller_when_pruned(dtype):
    gen = torch.Generator().manual_seed(1)
    t = (torch.randn(40, 24, generator=gen) * 50).to(dtype)
    t[torch.rand(40, 24, generator=gen) < 0.6] = 0
    bits, values = encode_sparse(t)
    assert torch.equal(decode_sparse(bits, values, tuple(t.shape)), t)
    stored = storage.encode_sparse_tensors({"a.weight": t, "b.bias": torch.zeros(5)})
    assert set(stored) == {"a.weight.nzmask", "a.weight.nzvalues", "a.weight.nzshape", "b.bias"}
    assert storage.serialized_size(stored) < storage.serialized_size({"a.weight": t, "b.bias": torch.zeros(5)})
    assert torch.equal(storage.decode_tensors(stored)["a.weight"], t)


def test_sparse_layout_refuses_parts_that_do_not_fit():
    bits, values = encode_sparse(torch.tensor([[0.0, 1.0], [2.0, 0.0]]))
    with pytest.raises(ValidationError, match="marks 2 non-zeros but it holds 1"):
        decode_sparse(bits, values[:1], (2, 2))
    with pytest.raises(ValidationError, match="incomplete"):
        storage.decode_tensors({"w.nzmask": bits, "w.nzvalues": values})


def test_int8_is_symmetric_per_row_within_half_a_step_and_keeps_zeros():
    gen = torch.Generator().manual_seed(2)
    w = torch.randn(16, 48, generator=gen)
    w[3] *= 100  # one large row must not coarsen the others
    w[:, 5] = 0
    m = quantize_int8(w)
    assert m.qweight.dtype == torch.int8 and m.scales.shape == (16,)
    err = (m.dequantize() - w).abs()
    assert bool((err <= m.scales[:, None] / 2 + 1e-6).all())
    assert bool((m.qweight[:, 5] == 0).all())
    assert float(err[0].max()) < float(w[0].abs().max()) / 200


@pytest.mark.parametrize("group", [32, 64, 128])
def test_int4_groups_are_within_half_a_step(group):
    gen = torch.Generator().manual_seed(3)
    w = torch.randn(8, 256, generator=gen)
    m = quantize_int4(w, group)
    assert m.qweight.shape == (8, 128) and m.scales.shape == (8, 256 // group) and m.scales.dtype == torch.float16
    assert m.group_size == group
    steps = m.scales.float().repeat_interleave(group, dim=1)
    assert bool(((m.dequantize() - w).abs() <= steps / 2 + 2e-3).all())


def test_quantized_matrices_are_recognised_from_their_tensors_alone():
    w = torch.randn(8, 64)
    for m in (quantize_int8(w), quantize_int4(w, 32)):
        back = matrix_from_tensors(m.tensors("x."), "x.")
        assert (back.bits, back.in_features, back.out_features, back.group_size) == (
            m.bits, 64, 8, m.group_size)
        assert torch.equal(back.dequantize(), m.dequantize())
    with pytest.raises(ValidationError, match="do not form"):
        matrix_from_tensors({"x.qweight": torch.zeros(2, 2, dtype=torch.int32), "x.scales": torch.ones(2)}, "x.")


def test_int4_refuses_a_group_that_does_not_divide_the_width():
    with pytest.raises(ValidationError, match="does not divide the width 48"):
        quantize_int4(torch.randn(4, 48), 32)


def test_serialized_size_is_the_exact_file_size():
    tensors = {"a": torch.randn(3, 5), "b.qweight": torch.zeros(7, 3, dtype=torch.int8),
               "c": torch.zeros(3, dtype=torch.float16), "é": torch.ones(2, dtype=torch.int64)}
    for desc in (None, {"format": storage.FORMAT, "version": 1, "note": 'é "quoted"'}):
        assert storage.serialized_size(tensors, desc) == len(storage.to_bytes(tensors, desc))


def test_the_description_travels_in_the_header_and_newer_versions_are_refused():
    desc = {"format": storage.FORMAT, "version": 1, "label": "int8"}
    tensors, back = storage.from_bytes(storage.to_bytes({"w": torch.ones(2)}, desc))
    assert back == desc and torch.equal(tensors["w"], torch.ones(2))
    newer = storage.to_bytes({"w": torch.ones(2)}, {**desc, "version": 99})
    with pytest.raises(ValidationError, match="newer Model Studio"):
        storage.from_bytes(newer)
    with pytest.raises(ValidationError, match="not a readable safetensors"):
        storage.from_bytes(b"\x00" * 16)
    assert np.frombuffer(storage.to_bytes({"w": torch.ones(2)}, None)[:8], "<u8")[0] > 0
