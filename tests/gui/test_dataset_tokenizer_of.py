"""The dataset import dialog's "A vault model's" tokenizer: the data is tokenized as that model reads it, its
chats written with the model's chat template (the loss on the replies), ready to fine-tune the model."""

from __future__ import annotations

from tests.finetune_fixtures import vault_family, write_chat
from tests.gui.test_datasets_pane import accept, wait_import


def test_import_with_a_vault_models_tokenizer(window, qtbot, tmp_path):
    studio, user = window.ctx.studio, window.ctx.session
    vault_family(studio, user, "qwen2", tmp_path, name="qw")
    pane = window.show_pane("datasets")
    dialog = pane.open_import_dialog(str(write_chat(tmp_path / "chats.jsonl", 20)))
    assert [dialog.model_combo.itemText(i) for i in range(dialog.model_combo.count())] == ["qw"]
    assert dialog.model_combo.isHidden()  # until the kind asks for it
    dialog.choose_model("qw")
    assert not dialog.model_combo.isHidden() and not dialog.model_hint.isHidden()
    dialog.mode_combo.setCurrentIndex(dialog.mode_combo.findData("chat"))
    assert dialog.build_options().tokenizer_of == "qw"
    assert accept(qtbot, dialog)
    wait_import(qtbot, pane)
    info = pane.current
    assert info.kind == "sft" and info.vocab_size == 260, info.options  # the model's 256 bytes and 4 special tokens
    assert str(info.options.get("tokenizer_of", "")).startswith("qw")


def test_no_model_to_take_a_tokenizer_from_is_said_at_the_field(window, qtbot, tmp_path):
    pane = window.show_pane("datasets")
    dialog = pane.open_import_dialog(str(write_chat(tmp_path / "chats.jsonl", 5)))
    dialog.tokenizer_combo.setCurrentIndex(dialog.tokenizer_combo.findData("model"))
    assert not accept(qtbot, dialog)
    assert "no model in the vault" in dialog.errors.text("tokenizer_of")
