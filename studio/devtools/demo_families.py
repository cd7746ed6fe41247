"""Screenshots of a Hugging Face model in the studio (docs/screenshots/families-*.png): a tiny Llama built here
with `transformers` (no download), imported into the vault, fine-tuned in full on the sample Q&A pairs (so
that it answers in something like English), and a LoRA adapter trained on it.

    .venv/bin/python -m studio.devtools.demo_families prepare --data-dir D      # a minute or two
    /work/shared/tools/screenshot docs/screenshots/families-vault-light.png 8 \\
        .venv/bin/python -m studio.devtools.demo_families show --data-dir D --view vault --theme light
    ... show --data-dir D --view chat|lora|adapters|import --theme dark --language zh_CN

Development only: it signs in with a password it set itself, in the data folder it is given. The runs train
in real worker processes through the run service, as the Training pane starts them.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

PASSWORD = "Demo-Password-4821"
USER = "mara"
BASE, TUNED_RUN, LORA_RUN, DATASET = "tiny-llama", "tiny-llama-qa", "tiny-llama-lora", "qa-llama"
SPECIALS = ("<|begin_of_text|>", "<|end_of_text|>", "<|im_start|>", "<|im_end|>")
CHATML = ("{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + "
          "'<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")


def llama_folder(folder: Path) -> Path:
    """A random Llama of about 0.5M parameters with a byte-level tokenizer and a ChatML template."""
    import torch
    import transformers
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    from studio.core.models.tokenizer_export import _byte_level_alphabet

    torch.manual_seed(0)
    config = transformers.LlamaConfig(vocab_size=260, hidden_size=96, intermediate_size=256, num_hidden_layers=3,
                                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                                      bos_token_id=256, eos_token_id=259)
    transformers.AutoModelForCausalLM.from_config(config).save_pretrained(folder)
    tok = Tokenizer(models.BPE(vocab={s: b for b, s in enumerate(_byte_level_alphabet())}, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens(list(SPECIALS))
    (folder / "tokenizer.json").write_text(tok.to_str(), encoding="utf-8")
    (folder / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "PreTrainedTokenizerFast", "bos_token": SPECIALS[0], "eos_token": SPECIALS[3],
        "chat_template": CHATML, "model_max_length": 256}), encoding="utf-8")
    (folder / "generation_config.json").write_text(json.dumps({"bos_token_id": 256, "eos_token_id": [257, 259],
                                                               "temperature": 0.7}), encoding="utf-8")
    return folder


def _settings(name: str, source: str, steps: int, **lora):
    from studio.core.services.runs import RunSettings

    train = {"max_steps": steps, "batch_size": 8, "seq_len": 96, "lr": 3e-3, "warmup_steps": 20,
             "eval_every": 100, "eval_batches": 4, "device": "cpu", "threads": 2}
    return RunSettings(dataset=DATASET, name=name, source=source, preset=None, train=train,
                       checkpoint_every=steps, tags=("demo",), **lora)


def prepare(data_dir: str, steps: int) -> None:
    from studio.core.datasets.options import ImportOptions
    from studio.core.datasets.sample import sample_qa_path
    from studio.core.services import Studio

    studio = Studio.open(data_dir)
    try:
        admin = studio.accounts.create_first_admin(USER, PASSWORD)
        folder = llama_folder(Path(tempfile.mkdtemp(prefix="studio-demo-llama-")))
        studio.vault.import_path(admin, folder, name=BASE, tags=["llama", "demo"])
        studio.datasets.import_dataset(admin, ImportOptions(path=str(sample_qa_path()), name=DATASET,
                                                            tokenizer_of=BASE, split=(0.9, 0.1, 0.0)))
        for settings in (_settings(TUNED_RUN, BASE, steps),
                         _settings(LORA_RUN, BASE, max(20, steps // 10), lora=True, lora_rank=8)):
            run = studio.runs.start(admin, settings)
            done = studio.runs.wait(admin, run.id, timeout_s=1800, poll_s=0.5)
            print(f"{done.name}: {done.status} at step {done.step}")
    finally:
        studio.close()


def show(data_dir: str, view: str, theme: str, language: str, size: str) -> int:
    from PySide6.QtCore import QTimer

    from studio.gui.app import build_window, create_application

    app = create_application()
    window = build_window(app, data_dir, theme, language)
    studio = window.ctx.studio
    window.ctx.set_session(studio.accounts.login(USER, PASSWORD))
    width, height = (int(v) for v in size.split("x"))
    window.resize(width, height)
    window.show()
    if view in ("vault", "adapters"):
        pane = window.show_pane("vault")
        pane.select_model(BASE)
        pane.details.setCurrentIndex(pane.details.indexOf(pane.details.adapters) if view == "adapters" else 0)
    if view in ("chat", "chat-window"):
        if view == "chat":  # the Training pane's Generate tab, in chat mode, on the fine-tuned run
            pane = window.show_pane("training")
            view_ = pane.generate
        else:  # Vault → Chat…, a window of its own
            pane = window.show_pane("vault")
            pane.select_model(f"{TUNED_RUN} (run 1)")
            chat = pane.open_chat()
            chat.move(0, 0)
            chat.resize(width, height)
            view_ = chat.view
        questions = iter(["What is the opposite of hot?", "What colour is a cherry?"])

        def select() -> None:
            runs = {r.name: r.id for r in pane.all_runs()}
            if TUNED_RUN not in runs:
                QTimer.singleShot(200, select)
                return
            pane.runs_table.select([runs[TUNED_RUN]])
            pane.tabs.setCurrentWidget(pane.generate)
            setup()

        def setup() -> None:  # once the checkpoints are listed
            if view_.source.count() == 0:
                QTimer.singleShot(200, setup)
                return
            view_.set_mode("chat")
            view_.greedy.setChecked(True)
            view_.max_tokens.setValue(40)
            view_.chat.system.setPlainText("Answer in one short sentence.")
            ask()

        def ask() -> None:
            if view_.chat.busy:
                QTimer.singleShot(200, ask)
                return
            question = next(questions, None)
            if question is None:
                view_.chat.prompt_button.setChecked(True)
                return
            view_.chat.message.setPlainText(question)
            view_.chat.send()
            QTimer.singleShot(300, ask)

        QTimer.singleShot(300, select if view == "chat" else setup)
    if view == "lora":
        pane = window.show_pane("training")

        def fill() -> None:
            dialog = getattr(pane, "new_run_dialog", None)
            if dialog is None:
                QTimer.singleShot(200, fill)
                return
            index = next(i for i in range(dialog.start_from.count()) if dialog.start_from.itemData(i) is not None
                         and dialog.start_from.itemData(i).name == BASE)
            dialog.start_from.setCurrentIndex(index)
            dialog.name.setText("tiny-llama-support")
            dialog.finetune.set_lora(True)
            dialog.set_value("max_steps", 300)
            dialog.set_value("batch_size", 16)
            dialog.resize(820, 760)

        pane.open_new_run()
        QTimer.singleShot(200, fill)
    return app.exec()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("prepare", "show"))
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--steps", type=int, default=400, help="steps of the full fine-tuning run")
    parser.add_argument("--view", default="vault", choices=("vault", "adapters", "chat", "chat-window", "lora",
                                                             "import"))
    parser.add_argument("--theme", default="light")
    parser.add_argument("--language", default="en", help="en or zh_CN")
    parser.add_argument("--size", default="1400x900", help="window size, WxH")
    args = parser.parse_args(argv)
    if args.what == "prepare":
        prepare(args.data_dir, args.steps)
        return 0
    return show(args.data_dir, args.view, args.theme, args.language, args.size)


if __name__ == "__main__":
    sys.exit(main())
