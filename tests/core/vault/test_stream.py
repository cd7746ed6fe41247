"""The vault file format under attack: every byte flipped, every truncation, chunks moved, files swapped."""

from __future__ import annotations

import io
import os
import struct

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio.core.vault import files, stream
from studio.core.vault.errors import VaultIntegrityError
from studio.core.vault.stream import ArtifactRef

CS = 32  # tiny chunks so that every position of a small file is tried
PLAIN = bytes(range(256)) * 2  # 512 bytes = 16 full chunks (a full final chunk)
SHORT = PLAIN[:100]  # 3 full chunks and a short final one


def ref(role="weights", version=1, vault=b"V" * 16, artifact=b"A" * 16):
    return ArtifactRef(vault, artifact, version, role)


def encrypt(data, key, r=None, cs=CS):
    out = io.BytesIO()
    stream.encrypt_stream(io.BytesIO(data), out, key, r or ref(), cs)
    return out.getvalue()


def decrypt(blob, key, r=None):
    return stream.decrypt_to_bytes(io.BytesIO(blob), key, r or ref())


def layout(blob, cs=CS):
    """(header size, [(start, end) of each sealed chunk])."""
    header = stream.read_header(io.BytesIO(blob))
    pos, spans = header.size, []
    while pos < len(blob):
        spans.append((pos, min(len(blob), pos + cs + stream.TAG_SIZE)))
        pos = spans[-1][1]
    return header.size, spans


@pytest.fixture
def key():
    return stream.new_data_key()


@pytest.mark.parametrize("size", [0, 1, CS - 1, CS, CS + 1, 3 * CS, 3 * CS + 5, 1000])
def test_round_trip_and_exact_size(key, size):
    data = os.urandom(size)
    blob = encrypt(data, key)
    assert len(blob) == stream.encrypted_size(size, CS, "weights")
    assert decrypt(blob, key) == data
    h = stream.read_header(io.BytesIO(blob))
    assert stream.plaintext_size(len(blob), h) == size


def test_incremental_writer_matches_and_short_reads_are_fine(key):
    data = os.urandom(1000)
    out = io.BytesIO()
    with stream.StreamWriter(out, key, ref(), CS) as w:
        for i in range(0, len(data), 7):
            w.write(data[i:i + 7])
    assert w.plaintext_written == len(data)
    assert len(out.getvalue()) == stream.encrypted_size(len(data), CS, "weights")

    class Dribble(io.RawIOBase):  # a pipe that hands out at most 5 bytes per read
        def __init__(self, b):
            self.b = io.BytesIO(b)

        def readable(self):
            return True

        def readinto(self, view):
            chunk = self.b.read(min(5, len(view)))
            view[:len(chunk)] = chunk
            return len(chunk)

    assert stream.decrypt_to_bytes(Dribble(out.getvalue()), key, ref()) == data
    blob2 = io.BytesIO()
    stream.encrypt_stream(Dribble(data), blob2, key, ref(), CS)
    assert decrypt(blob2.getvalue(), key) == data


def test_writer_left_by_an_exception_leaves_a_truncated_file(key):
    out = io.BytesIO()
    with pytest.raises(RuntimeError), stream.StreamWriter(out, key, ref(), CS) as w:
        w.write(PLAIN)
        raise RuntimeError("crash mid-write")
    with pytest.raises(VaultIntegrityError) as info:
        decrypt(out.getvalue(), key)
    assert info.value.reason == "truncated"


def test_same_plaintext_twice_gives_different_ciphertext(key):
    a, b = encrypt(PLAIN, key), encrypt(PLAIN, key)
    assert a != b
    assert a[stream.MIN_HEADER_SIZE:] != b[stream.MIN_HEADER_SIZE:]


def test_a_thousand_encryptions_never_repeat_a_nonce_prefix_or_salt(key):
    prefixes, salts = set(), set()
    for _ in range(1000):
        h = stream.read_header(io.BytesIO(encrypt(b"x", key)))
        prefixes.add(h.nonce_prefix)
        salts.add(h.salt)
    assert len(prefixes) == 1000 and len(salts) == 1000


@pytest.mark.parametrize("plain", [PLAIN, SHORT], ids=["full-final", "short-final"])
def test_a_flipped_byte_anywhere_is_refused_with_nothing_released(key, plain, tmp_path):
    blob = encrypt(plain, key)
    header_size, spans = layout(blob)
    src, out = tmp_path / "in.msv", tmp_path / "out.bin"
    reasons = {}
    for pos in range(len(blob)):
        damaged = bytearray(blob)
        damaged[pos] ^= 0x01
        src.write_bytes(damaged)
        with pytest.raises(VaultIntegrityError) as info:
            files.decrypt_file(src, out, key, ref())
        assert not out.exists()
        reasons.setdefault("header" if pos < header_size else "chunk", set()).add(info.value.reason)
        if pos >= header_size:
            assert info.value.reason == "chunk_damaged", pos
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.msv"]  # no temp file anywhere
    assert reasons["header"] == {"not_vault_file", "unsupported_version", "bad_header", "wrong_artifact", "header_auth"}


def test_every_truncation_is_refused_and_chunk_boundaries_say_truncated(key, tmp_path):
    blob = encrypt(SHORT, key)
    header_size, spans = layout(blob)
    boundaries = {start for start, _ in spans}
    src, out = tmp_path / "in.msv", tmp_path / "out.bin"
    for cut in range(len(blob)):
        src.write_bytes(blob[:cut])
        with pytest.raises(VaultIntegrityError) as info:
            files.decrypt_file(src, out, key, ref())
        assert not out.exists()
        if cut in boundaries or 0 < cut < header_size:
            assert info.value.reason == "truncated", cut
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.msv"]


def _chunks(blob):
    header_size, spans = layout(blob)
    return blob[:header_size], [blob[a:b] for a, b in spans]


@pytest.mark.parametrize("edit", ["remove", "duplicate", "swap", "move-last-first"])
def test_removed_duplicated_or_reordered_chunks_are_refused(key, edit):
    head, chunks = _chunks(encrypt(SHORT, key))
    if edit == "remove":
        chunks = chunks[:1] + chunks[2:]
    elif edit == "duplicate":
        chunks = chunks[:2] + chunks[1:]
    elif edit == "swap":
        chunks[0], chunks[1] = chunks[1], chunks[0]
    else:
        chunks = chunks[-1:] + chunks[:-1]
    with pytest.raises(VaultIntegrityError) as info:
        decrypt(head + b"".join(chunks), key)
    assert info.value.reason == "chunk_damaged"


def test_removing_the_final_chunk_says_truncated(key):
    head, chunks = _chunks(encrypt(SHORT, key))
    with pytest.raises(VaultIntegrityError) as info:
        decrypt(head + b"".join(chunks[:-1]), key)
    assert info.value.reason == "truncated"


@pytest.mark.parametrize("garbage", [b"\x00", os.urandom(16), os.urandom(CS + 16), os.urandom(100)])
def test_trailing_garbage_is_refused(key, garbage):
    with pytest.raises(VaultIntegrityError) as info:
        decrypt(encrypt(PLAIN, key) + garbage, key)
    assert info.value.reason == "trailing_data"  # a full final chunk followed by anything
    with pytest.raises(VaultIntegrityError) as info:
        decrypt(encrypt(SHORT, key) + garbage, key)
    assert info.value.reason in ("trailing_data", "chunk_damaged")


def _seal_by_hand(key, r, data_chunks, flags):
    """A file whose chunks carry the given last-chunk flags (what a broken or hostile writer makes)."""
    out = io.BytesIO()
    w = stream.StreamWriter(out, key, r, CS)  # writes a valid header; we seal the chunks ourselves
    h = w.header
    aead = AESGCM(stream._derive(key, h.salt, b"payload", r))
    for i, (chunk, last) in enumerate(zip(data_chunks, flags, strict=True)):
        out.write(aead.encrypt(stream._nonce(h.nonce_prefix, i, last), chunk, h.raw))
    return out.getvalue()


def test_two_final_chunks_are_refused(key):
    blob = _seal_by_hand(key, ref(), [b"a" * CS, b"b" * 10], [True, True])
    with pytest.raises(VaultIntegrityError) as info:
        decrypt(blob, key)
    assert info.value.reason == "trailing_data"
    assert decrypt(_seal_by_hand(key, ref(), [b"a" * CS, b"b" * 10], [False, True]), key) == b"a" * CS + b"b" * 10


def test_an_empty_final_chunk_after_data_is_refused(key):
    blob = _seal_by_hand(key, ref(), [b"a" * CS, b""], [False, True])
    with pytest.raises(VaultIntegrityError) as info:
        decrypt(blob, key)
    assert info.value.reason == "chunk_damaged"


def test_a_file_with_no_final_chunk_is_refused(key):
    blob = _seal_by_hand(key, ref(), [b"a" * CS, b"b" * CS], [False, False])
    with pytest.raises(VaultIntegrityError) as info:
        decrypt(blob, key)
    assert info.value.reason == "truncated"


def test_swapped_files_and_forged_ids_do_not_open():
    key_a, key_b = stream.new_data_key(), stream.new_data_key()
    ra, rb = ref(artifact=b"A" * 16), ref(artifact=b"B" * 16)
    file_a = encrypt(PLAIN, key_a, ra)
    # A's file in B's place: opened with B's key and B's identity
    with pytest.raises(VaultIntegrityError) as info:
        decrypt(file_a, key_b, rb)
    assert info.value.reason == "wrong_artifact"
    # ... even with A's ids rewritten to B's, the header MAC refuses it
    forged = file_a.replace(b"A" * 16, b"B" * 16, 1)
    with pytest.raises(VaultIntegrityError) as info:
        decrypt(forged, key_b, rb)
    assert info.value.reason == "header_auth"
    # same key, other role, version or vault: bound too
    for other in (ref(role="optimizer"), ref(version=2), ref(vault=b"W" * 16)):
        with pytest.raises(VaultIntegrityError) as info:
            decrypt(encrypt(PLAIN, key_a, other), key_a, ra)
        assert info.value.reason == "wrong_artifact"


def test_wrong_key_is_refused(key):
    with pytest.raises(VaultIntegrityError) as info:
        decrypt(encrypt(PLAIN, key), stream.new_data_key())
    assert info.value.reason == "header_auth"


def test_header_fields_are_bounded_before_any_key_derivation(key, monkeypatch):
    blob = bytearray(encrypt(PLAIN, key))
    called = []
    monkeypatch.setattr(stream, "HKDF", lambda **kw: called.append(kw))
    for offset, value in ((12, 1 << 31), (12, 0), (12, stream.MAX_CHUNK_SIZE + 1)):  # chunk size field
        bad = bytearray(blob)
        bad[offset:offset + 4] = struct.pack(">I", value)
        with pytest.raises(VaultIntegrityError) as info:
            decrypt(bytes(bad), key)
        assert info.value.reason == "bad_header"
    bad = bytearray(blob)
    bad[8:10] = struct.pack(">H", 2)
    with pytest.raises(VaultIntegrityError) as info:
        decrypt(bytes(bad), key)
    assert info.value.reason == "unsupported_version"
    assert called == []


def test_not_a_vault_file(key):
    for junk in (b"", b"PK\x03\x04 a zip", b"{}" * 100):
        with pytest.raises(VaultIntegrityError) as info:
            decrypt(junk, key)
        assert info.value.reason in ("not_vault_file", "truncated")
    with pytest.raises(VaultIntegrityError) as info:
        decrypt(b"PK\x03\x04 a zip" * 20, key)
    assert info.value.reason == "not_vault_file"


def test_encrypt_file_and_decrypt_file_are_atomic(key, tmp_path):
    src, enc, out = tmp_path / "w.bin", tmp_path / "w.msv", tmp_path / "back.bin"
    src.write_bytes(SHORT)
    files.encrypt_file(src, enc, key, ref(), CS)
    assert files.decrypt_file(enc, out, key, ref()) == len(SHORT)
    assert out.read_bytes() == SHORT
    out.write_bytes(b"previous")
    enc.write_bytes(enc.read_bytes()[:-1])
    with pytest.raises(VaultIntegrityError):
        files.decrypt_file(enc, out, key, ref())
    assert out.read_bytes() == b"previous"  # untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["back.bin", "w.bin", "w.msv"]


def test_decrypt_file_to_buffer_releases_nothing_on_failure(key, tmp_path, monkeypatch):
    path = tmp_path / "w.msv"
    path.write_bytes(encrypt(PLAIN, key))
    assert files.decrypt_file_to_buffer(path, key, ref()) == PLAIN
    zeroed = []
    real_zero = files.zero
    monkeypatch.setattr(files, "zero", lambda buf: (real_zero(buf), zeroed.append(bytes(buf))))
    damaged = bytearray(path.read_bytes())
    damaged[-1] ^= 1  # the last chunk's tag: every chunk before it decrypted into the buffer first
    path.write_bytes(damaged)
    with pytest.raises(VaultIntegrityError):
        files.decrypt_file_to_buffer(path, key, ref())
    assert zeroed == [bytes(len(PLAIN))]  # the partial plaintext was overwritten


def test_atomic_encrypted_writer_leaves_nothing_on_error(key, tmp_path):
    target = tmp_path / "x.msv"
    with pytest.raises(RuntimeError), files.atomic_encrypted_writer(target, key, ref(), CS) as w:
        w.write(PLAIN)
        raise RuntimeError
    assert list(tmp_path.iterdir()) == []
    with files.atomic_encrypted_writer(target, key, ref(), CS) as w:
        w.write(PLAIN)
    assert decrypt(target.read_bytes(), key) == PLAIN


_KEY = stream.new_data_key()
_BLOB = encrypt(SHORT, _KEY)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["flip", "set", "insert", "delete", "truncate", "append"]),
                          st.integers(0, len(_BLOB) + 40), st.binary(min_size=1, max_size=40)),
                min_size=1, max_size=4))
def test_random_mutations_decrypt_to_the_original_or_fail_cleanly(edits):
    blob = bytearray(_BLOB)
    for op, pos, data in edits:
        pos = min(pos, len(blob))
        if op == "flip" and pos < len(blob):
            blob[pos] ^= data[0] or 1
        elif op == "set":
            blob[pos:pos + len(data)] = data
        elif op == "insert":
            blob[pos:pos] = data
        elif op == "delete":
            del blob[pos:pos + len(data)]
        elif op == "truncate":
            del blob[pos:]
        else:
            blob += data
    try:
        result = decrypt(bytes(blob), _KEY)
    except VaultIntegrityError as error:
        assert error.reason in VaultIntegrityError.REASONS
    else:
        assert result == SHORT


@pytest.mark.parametrize("cs", [16, 1000, 65536, 100_000])
def test_mapped_reads_cross_window_boundaries(key, tmp_path, monkeypatch, cs):
    monkeypatch.setattr(stream._MappedSource, "WINDOW", 1 << 16)  # many windows, chunks straddling them
    data = os.urandom(700_000)
    src, enc = tmp_path / "p.bin", tmp_path / "p.msv"
    src.write_bytes(data)
    files.encrypt_file(src, enc, key, ref(), cs)
    assert files.decrypt_file_to_buffer(enc, key, ref()) == data
    assert files.verify_file(enc, key, ref()) == len(data)
