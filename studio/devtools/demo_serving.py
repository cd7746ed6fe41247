"""The Serving pane at work, for screenshots: a demo data folder (a 4 x 128 GPT over the sample's characters in
the vault, owned by li.wei; ana holds `use` on it, sam does not), the window signed in as li.wei on the
Serving pane, the server started, and clients with API keys calling it (one refused without the grant, one
with a wrong key) for as long as the window is open.

    /work/shared/tools/screenshot docs/screenshots/serving-light.png 30 \\
        .venv/bin/python -m studio.devtools.demo_serving --theme light [--lang zh_CN] [--backend llama.cpp]
    ... --choose    # no server: a GPT-NeoX model ticked too, the back-end list open with llama.cpp's reason

Development only: passwords it set itself, in a temporary data folder.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time

PASSWORD = "Demo-Password-4821"


def populate(studio) -> dict[str, str]:
    import torch

    from studio.core.datasets.sample import sample_path
    from studio.core.datasets.tokenizers import CharTokenizer
    from studio.core.models.config import GPTConfig
    from studio.core.models.gpt import GPT, model_tensors

    mara = studio.accounts.create_first_admin("mara", PASSWORD)
    for name, role in (("li.wei", "trainer"), ("ana", "viewer"), ("sam", "viewer")):
        studio.accounts.create_user(mara, name, role, PASSWORD)
    li = studio.accounts.login("li.wei", PASSWORD)
    text = sample_path().read_text(encoding="utf-8")
    tok = CharTokenizer("".join(sorted(set(text))))
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=tok.vocab_size, block_size=256, n_layer=4, n_head=4, n_embd=128, dropout=0.0))
    with torch.no_grad():
        model.transformer.wte.weight[0] = 0.0
    version = studio.vault.add_version(li, None, model_tensors(model), name="stories-gpt", config=model.config.to_dict(),
                                       tokenizer=tok.to_json(), architecture="GPT 4L/128d")
    studio.grants.add(li, "ana", "model", version.model_id, "use")
    keys = {}
    for name in ("li.wei", "ana", "sam"):
        keys[name] = studio.keys.create(studio.accounts.login(name, PASSWORD), "demo").token
    return keys


def neox_folder(folder):
    """A tiny random GPT-NeoX folder (a family llama.cpp's GGUF export does not write), with demo_families'
    tokenizer files."""
    import shutil

    import transformers

    from studio.devtools.demo_families import llama_folder

    llama = llama_folder(folder / "llama")
    config = transformers.GPTNeoXConfig(vocab_size=260, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                        num_attention_heads=4, max_position_embeddings=256, bos_token_id=256,
                                        eos_token_id=259)
    transformers.AutoModelForCausalLM.from_config(config).save_pretrained(folder / "neox")
    for name in ("tokenizer.json", "tokenizer_config.json", "generation_config.json"):
        shutil.copy(llama / name, folder / "neox" / name)
    return folder / "neox"


def clients(url: str, keys: dict[str, str], stop: threading.Event) -> None:
    import openai

    def loop(name: str, key: str, stream: bool, pause: float) -> None:
        c = openai.OpenAI(base_url=url, api_key=key, max_retries=0, timeout=60)
        n = 0
        while not stop.is_set():
            n += 1
            try:
                if stream:
                    for _ in c.chat.completions.create(model="stories-gpt", stream=True, max_tokens=40 + n % 30,
                                                       messages=[{"role": "user", "content": f"A story, {n}"}]):
                        pass
                else:
                    c.completions.create(model="stories-gpt", prompt="Once upon a time", max_tokens=24)
            except openai.APIError:
                pass
            stop.wait(pause)

    plan = [("ana", keys["ana"], True, 0.3), ("ana", keys["ana"], True, 0.5), ("li.wei", keys["li.wei"], False, 0.4),
            ("li.wei", keys["li.wei"], True, 0.6), ("sam", keys["sam"], False, 4.0),
            ("stranger", "msk_" + "x" * 43, False, 6.0)]
    for args in plan:
        threading.Thread(target=loop, args=args, daemon=True).start()
        time.sleep(0.2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--theme", default="light")
    parser.add_argument("--lang", default="en")
    parser.add_argument("--backend", default="torch", help="the back-end chosen in the pane before Start")
    parser.add_argument("--choose", action="store_true", help="show the back-end choice instead of a running server")
    args = parser.parse_args(argv)
    import torch
    from PySide6.QtCore import QTimer

    from studio.gui.app import build_window, create_application

    torch.set_num_threads(1)
    app = create_application()
    window = build_window(app, tempfile.mkdtemp(prefix="studio-demo-serving-"), args.theme, args.lang)
    studio = window.ctx.studio
    keys = populate(studio)
    if args.choose:
        from pathlib import Path

        li = studio.accounts.login("li.wei", PASSWORD)
        studio.vault.import_path(li, neox_folder(Path(tempfile.mkdtemp(prefix="studio-demo-neox-"))), name="neox-demo")
    window.ctx.set_session(studio.accounts.login("li.wei", PASSWORD))
    window.resize(1280, 800)
    window.show()
    pane = window.show_pane("serving")
    stop = threading.Event()

    def start_when_listed() -> None:
        if pane.models_list.count() == 0:
            QTimer.singleShot(200, pane, start_when_listed)
            return
        pane.port.setValue(18080)
        if args.choose:
            pane.set_chosen(["stories-gpt:1", "neox-demo:1"])
            QTimer.singleShot(500, pane, show_choice)
            return
        pane.set_chosen(["stories-gpt:1"])
        pane.backend.setCurrentIndex(pane.backend.findData(args.backend))
        pane.start()
        wait_for_server()

    def show_choice() -> None:
        from PySide6.QtWidgets import QToolTip

        pane.backend.showPopup()
        view = pane.backend.view()
        row = pane.backend.findData("llama.cpp")
        rect = view.visualRect(view.model().index(row, 0))
        # as hovering the disabled entry shows it (the popup must be up first; shown again while it is, since
        # a tooltip hides itself after a while)
        timer = QTimer(view)
        timer.timeout.connect(lambda: QToolTip.showText(view.viewport().mapToGlobal(rect.center()),
                                                        pane.backend.model().item(row).toolTip()))
        timer.start(1000)

    def wait_for_server() -> None:
        if pane.server is None:
            QTimer.singleShot(200, pane, wait_for_server)
            return
        clients(pane.server.url, keys, stop)

    QTimer.singleShot(300, pane, start_when_listed)
    code = app.exec()
    stop.set()
    return code


if __name__ == "__main__":
    raise SystemExit(main())
