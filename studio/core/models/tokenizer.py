"""A model's tokenizer with what generation and chat need: prompt encoding as the model expects it (a BOS
token where its tokenizer adds one), the end-of-text ids and stop strings of generation_config.json, the
special tokens and the chat template of tokenizer_config.json (or chat_template.jinja).

    tok = family.tokenizer(loaded.files, loaded.config)     # from a vault version's stored files
    ids = tok.encode_chat([{"role": "user", "content": "Hi"}])  # the template, rendered and encoded
    tok.stop_ids, tok.stop_strings                           # where a reply ends

Two kinds of files come in. A Hugging Face tokenizer (tokenizer.json plus tokenizer_config.json, as in every
folder on the Hub) is run by `tokenizers` exactly as its tokenizer.json says. The studio's own tokenizers
(byte, char, or a BPE trained on a dataset; see datasets/tokenizers.py) encode as they did for training.
Chat templates are rendered by transformers' own sandboxed Jinja renderer (`render_jinja_template`, what
`apply_chat_template` uses), so a template gives the same text here as in transformers; no code from the
model's folder is ever run.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from studio.core.errors import ValidationError

TOKENIZER_CONFIG = "tokenizer_config.json"
GENERATION_CONFIG = "generation_config.json"
SPECIAL_TOKENS_MAP = "special_tokens_map.json"
CHAT_TEMPLATE_FILE = "chat_template.jinja"
SPECIAL_KEYS = ("bos_token", "eos_token", "unk_token", "pad_token")


def _text(value: bytes | str | None) -> str | None:
    if value is None:
        return None
    return value.decode("utf-8") if isinstance(value, bytes | bytearray) else str(value)


def _json(files: Mapping[str, bytes | str], name: str) -> dict[str, Any]:
    raw = _text(files.get(name))
    if raw is None:
        return {}
    try:
        doc = json.loads(raw)
    except ValueError as error:
        raise ValidationError(f"{name} is not valid JSON: {error}.") from None
    if not isinstance(doc, dict):
        raise ValidationError(f"{name} is not a JSON object.")
    return doc


def _token_string(value: Any) -> str | None:
    """tokenizer_config writes special tokens as strings or as AddedToken objects ({"content": ...})."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("content"), str):
        return value["content"]
    return None


def _ids(value: Any) -> list[int]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, int) and not isinstance(v, bool)]
    return []


def chat_template_of(files: Mapping[str, bytes | str], tokenizer_config: Mapping[str, Any]) -> str | None:
    """chat_template.jinja (how transformers 4.50+ saves it), else tokenizer_config's chat_template: a string,
    or a list of named templates of which "default" is the one for chat."""
    jinja = _text(files.get(CHAT_TEMPLATE_FILE))
    if jinja:
        return jinja
    value = tokenizer_config.get("chat_template")
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, list):
        named = {t.get("name"): t.get("template") for t in value if isinstance(t, Mapping)}
        chosen = named.get("default") or next((t for t in named.values() if isinstance(t, str)), None)
        return chosen if isinstance(chosen, str) else None
    return None


class ModelTokenizer:
    """Encode, decode, and render chats for one model version."""

    def __init__(self, *, text: Any = None, hf: Any = None, tokenizer_config: Mapping[str, Any] | None = None,
                 generation_config: Mapping[str, Any] | None = None, model_config: Mapping[str, Any] | None = None,
                 chat_template: str | None = None, source_files: Mapping[str, bytes] | None = None):
        if (text is None) == (hf is None):
            raise ValueError("give exactly one of text (a studio tokenizer) or hf (a tokenizers.Tokenizer)")
        self.text = text  # a studio datasets.tokenizers.Tokenizer (native models' datasets)
        self.hf = hf  # a tokenizers.Tokenizer run as its tokenizer.json says
        self.tokenizer_config = dict(tokenizer_config or {})
        self.generation_config = dict(generation_config or {})
        self.chat_template = chat_template
        self.source_files = dict(source_files or {})  # the files as stored (re-exported unchanged)
        model_config = model_config or {}
        self.special_tokens: dict[str, str] = {}
        special_map = {**_json(self.source_files, SPECIAL_TOKENS_MAP), **self.tokenizer_config}
        for key in SPECIAL_KEYS:
            token = _token_string(special_map.get(key))
            if token is not None:
                self.special_tokens[key] = token
        if text is not None:
            self.special_tokens.setdefault("eos_token", text.eos_token)
        self._vocab = hf.get_vocab(with_added_tokens=True) if hf is not None else None
        eos = _ids(self.generation_config.get("eos_token_id")) or _ids(model_config.get("eos_token_id"))
        eos_token = self.special_tokens.get("eos_token")
        if eos_token is not None and self.token_id(eos_token) is not None and self.token_id(eos_token) not in eos:
            eos.append(self.token_id(eos_token))
        if not eos and text is not None:
            eos = [text.eos_id]
        self.stop_ids: tuple[int, ...] = tuple(dict.fromkeys(eos))
        bos = _ids(self.generation_config.get("bos_token_id")) or _ids(model_config.get("bos_token_id"))
        bos_token = self.special_tokens.get("bos_token")
        self.bos_id: int | None = bos[0] if bos else (self.token_id(bos_token) if bos_token else None)
        stops = self.generation_config.get("stop_strings")
        self.stop_strings: tuple[str, ...] = (
            (stops,) if isinstance(stops, str) else tuple(s for s in stops if isinstance(s, str) and s)
            if isinstance(stops, list) else ())

    # --- what sampling reads ---------------------------------------------------------------------------

    @property
    def vocab_size(self) -> int:
        if self.hf is not None:
            return max(int(self.hf.get_vocab_size(with_added_tokens=True)), max(self._vocab.values()) + 1)
        return int(self.text.vocab_size)

    @property
    def eos_id(self) -> int | None:
        """The id that ends a text (the first of stop_ids); a prompt-less generation starts from it when
        the model has no BOS token."""
        return self.stop_ids[0] if self.stop_ids else None

    @property
    def start_id(self) -> int | None:
        """What an empty prompt starts from: BOS when the model has one, else the end-of-text token."""
        return self.bos_id if self.bos_id is not None else self.eos_id

    def token_id(self, token: str) -> int | None:
        if self.hf is not None:
            value = self._vocab.get(token)
            return int(value) if value is not None else None
        return int(self.text.eos_id) if token == self.text.eos_token else None

    def encode(self, text: str) -> list[int]:
        """A prompt's ids as the model's own tokenizer gives them (with BOS where its post-processor adds it;
        the studio's tokenizers add nothing, as in training)."""
        if self.hf is not None:
            return list(self.hf.encode(text, add_special_tokens=True).ids)
        return list(self.text.encode(text))

    def encode_plain(self, text: str) -> list[int]:
        """Ids without any special token added (chat text already holds the template's own tokens)."""
        if self.hf is not None:
            return list(self.hf.encode(text, add_special_tokens=False).ids)
        return list(self.text.encode(text))

    def decode(self, ids: Iterable[int], skip_special: bool = True) -> str:
        ids = [int(i) for i in ids]
        if self.hf is not None:
            return self.hf.decode(ids, skip_special_tokens=skip_special)
        return self.text.decode(ids, skip_special=skip_special)

    # --- chat ------------------------------------------------------------------------------------------------

    @property
    def has_chat_template(self) -> bool:
        return bool(self.chat_template)

    def render_chat(self, messages: Sequence[Mapping[str, Any]], *, add_generation_prompt: bool = True,
                    **template_kwargs: Any) -> str:
        """The conversation as the template writes it (the text the model sees). `messages` are
        {"role": "system"|"user"|"assistant", "content": str} dicts."""
        if not self.chat_template:
            raise ValidationError("This model has no chat template (no chat_template in its tokenizer_config.json "
                                  "or chat_template.jinja); generate from a raw prompt instead.", field="template")
        from jinja2.exceptions import TemplateError
        from transformers.utils.chat_template_utils import render_jinja_template

        chat = [dict(m) for m in messages]
        for n, m in enumerate(chat, 1):
            if not isinstance(m.get("role"), str) or not isinstance(m.get("content"), str):
                raise ValidationError(f"Message {n} needs a text 'role' and a text 'content'.", field="messages")
        try:
            rendered, _ = render_jinja_template(conversations=[chat], chat_template=self.chat_template,
                                                add_generation_prompt=add_generation_prompt,
                                                **{**self.special_tokens, **template_kwargs})
        except TemplateError as error:
            raise ValidationError(f"The model's chat template refused this conversation: {error}",
                                  field="messages") from None
        return rendered[0]

    def encode_chat(self, messages: Sequence[Mapping[str, Any]], *, add_generation_prompt: bool = True,
                    **template_kwargs: Any) -> list[int]:
        """render_chat, encoded as transformers' apply_chat_template(tokenize=True) does (no special tokens
        added on top: the template writes its own BOS)."""
        return self.encode_plain(self.render_chat(messages, add_generation_prompt=add_generation_prompt,
                                                  **template_kwargs))

    # --- datasets and export -----------------------------------------------------------------------------------

    def dataset_tokenizer(self) -> Any:
        """The studio datasets' Tokenizer for this model (the interface dataset imports encode with)."""
        if self.text is not None:
            return self.text
        from studio.core.datasets.tokenizers import HFTokenizer

        eos = self.special_tokens.get("eos_token")
        return HFTokenizer(self.hf, kind="file", eos_token=eos if eos and self.token_id(eos) is not None else None)

    def hf_files(self) -> dict[str, bytes]:
        """Tokenizer files of a Hugging Face folder (tokenizer.json, tokenizer_config.json with the special
        tokens and the chat template, special_tokens_map.json) that AutoTokenizer loads with the same ids."""
        if self.hf is not None:
            out = {name: data for name, data in self.source_files.items() if name != GENERATION_CONFIG}
            if "tokenizer.json" not in out:
                out["tokenizer.json"] = self.hf.to_str().encode("utf-8")
            if TOKENIZER_CONFIG not in out:
                out[TOKENIZER_CONFIG] = _dump(self._tokenizer_config())
            return out
        from studio.core.models.tokenizer_export import studio_tokenizer_files

        return studio_tokenizer_files(self.text, self.chat_template)

    def _tokenizer_config(self) -> dict[str, Any]:
        config = {"tokenizer_class": "PreTrainedTokenizerFast", **self.special_tokens}
        if self.chat_template:
            config["chat_template"] = self.chat_template
        return config

    def generation_config_for(self, model_config: Mapping[str, Any]) -> dict[str, Any]:
        """generation_config.json for an export: the stored one, else the ids this tokenizer knows."""
        if self.generation_config:
            return dict(self.generation_config)
        out: dict[str, Any] = {}
        if self.bos_id is not None:
            out["bos_token_id"] = self.bos_id
        if self.stop_ids:
            out["eos_token_id"] = self.stop_ids[0] if len(self.stop_ids) == 1 else list(self.stop_ids)
        return out


def _dump(doc: Mapping[str, Any]) -> bytes:
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def model_tokenizer(files: Mapping[str, bytes | str], config: Mapping[str, Any] | None = None, *,
                    default_chat_template: str | None = None) -> ModelTokenizer:
    """The tokenizer of a version from its files (as the vault returns them: name -> bytes)."""
    raw = _text(files.get("tokenizer.json"))
    if not raw:
        raise ValidationError("This model has no tokenizer (tokenizer.json); the studio cannot turn text into "
                              "tokens for it. Import the model's folder with its tokenizer files.")
    tokenizer_config = _json(files, TOKENIZER_CONFIG)
    generation_config = _json(files, GENERATION_CONFIG)
    template = chat_template_of(files, tokenizer_config) or default_chat_template
    stored = {k: (v.encode("utf-8") if isinstance(v, str) else bytes(v)) for k, v in files.items()
              if k in HF_TOKENIZER_FILES}
    try:
        spec = json.loads(raw)
    except ValueError as error:
        raise ValidationError(f"tokenizer.json is not valid JSON: {error}.") from None
    studio_made = isinstance(spec, dict) and ("studio_tokenizer" in spec or TOKENIZER_CONFIG not in files)
    if studio_made:
        # The studio's own (byte/char JSON, or a BPE/tokenizer.json a dataset was imported with): encode as
        # training did, never matching special-token strings in text.
        from studio.core.datasets.tokenizers import load_tokenizer

        return ModelTokenizer(text=load_tokenizer(raw), tokenizer_config=tokenizer_config,
                              generation_config=generation_config, model_config=config, chat_template=template)
    from tokenizers import Tokenizer

    try:
        hf = Tokenizer.from_str(raw)
    except Exception as error:  # noqa: BLE001 - the Rust side raises a plain Exception
        raise ValidationError(f"tokenizer.json is not a tokenizer the `tokenizers` library reads ({error}).") from None
    return ModelTokenizer(hf=hf, tokenizer_config=tokenizer_config, generation_config=generation_config,
                          model_config=config, chat_template=template, source_files=stored)


# The tokenizer files of a Hugging Face folder (what an export writes back; generation_config.json apart).
HF_TOKENIZER_FILES = frozenset({"tokenizer.json", TOKENIZER_CONFIG, SPECIAL_TOKENS_MAP, CHAT_TEMPLATE_FILE,
                                "added_tokens.json", GENERATION_CONFIG})


def write_tokenizer_files(folder: Any, tokenizer: ModelTokenizer, model_config: Mapping[str, Any]) -> list[str]:
    """The tokenizer's Hugging Face files and generation_config.json, written into `folder` (an export's
    temporary folder); returns their names."""
    from pathlib import Path

    from studio.core.fsutil import atomic_writer

    files = tokenizer.hf_files()
    generation = tokenizer.generation_config_for(model_config)
    if generation:
        files[GENERATION_CONFIG] = _dump(generation)
    for name, data in files.items():
        with atomic_writer(Path(folder) / name) as fh:
            fh.write(data)
    return sorted(files)
