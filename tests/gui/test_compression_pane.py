"""The Compression pane signed in as root over the real vault (the datasets service is not in this build
yet: its double stands in): a recipe runs off the GUI thread, the table and charts fill in, the result is
stored and listed, the report exports; bad recipes cannot run; cancel stores nothing."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from studio.core.compression.evaluate import EvalSettings
from studio.core.services.compression import CompressionService, EvalData
from tests.compression_doubles import MemoryDatasets
from tests.core.compression.conftest import Codec, corpus

QUICK = EvalSettings(max_windows=4, speed_repeats=1, gen_tokens=4, sample_tokens=6)


class QuickService(CompressionService):
    def compress(self, *args, **kwargs):
        kwargs.setdefault("settings", QUICK)
        return super().compress(*args, **kwargs)

    def evaluate(self, *args, **kwargs):
        kwargs.setdefault("settings", QUICK)
        return super().evaluate(*args, **kwargs)


@pytest.fixture
def pane(window):
    import torch

    from studio.core.models.config import GPTConfig
    from studio.core.models.gpt import GPT, model_tensors
    from studio.core.training.data import TokenSplit

    torch.manual_seed(0)
    config = GPTConfig(vocab_size=29, block_size=32, n_layer=2, n_head=2, n_embd=32)
    studio = window.ctx.studio
    studio.vault.add_version(window.ctx.actor, None, model_tensors(GPT(config)), name="tiny", config=config.to_dict())
    datasets = MemoryDatasets()
    datasets.add(EvalData("corpus", {"train": TokenSplit(corpus(3000, 1)), "val": TokenSplit(corpus(600, 2)),
                                     "test": TokenSplit(corpus(600, 3))}, Codec(), 29))
    studio.compression = QuickService(studio, datasets=datasets)
    p = window.show_pane("compression")
    p.refresh()
    return p


def _versions(pane):
    return pane.ctx.studio.vault.versions(pane.ctx.actor, "tiny")




def test_compress_fills_the_report_and_stores_a_version(qtbot, pane, tmp_path):
    assert pane.model_combo.currentText() == "tiny" and pane.version_combo.count() == 1
    pane.dataset_combo.setCurrentIndex(pane.dataset_combo.findData("corpus"))
    pane.form.quant.setCurrentIndex(pane.form.quant.findData("int8"))
    pane.prompts_edit.setText("abc | de")
    measured = []
    pane.sig_result_measured.connect(measured.append)
    with qtbot.waitSignal(pane.sig_compression_finished, timeout=60_000):
        pane.run_button.click()
    qtbot.waitUntil(lambda: not pane.task.running)
    assert [r.label for r in measured] == ["original", "int8"]  # heard as each was measured
    assert pane.table.rowCount() == 2 and pane.table.item(1, 0).text() == "int8"
    assert float(pane.table.item(1, pane.table.column("size_ratio")).text()) < 0.5
    assert pane.samples.columnCount() == 2 and pane.samples.rowCount() == 2
    assert pane.samples.item(0, 1).text().startswith("abc")
    assert len(pane.scatter.items) == 3 and len(pane.speed.items) == 4  # 2 points + labels; 3 bar sets + the 1x line
    assert pane.version_combo.count() == 2 and "int8" in pane.version_combo.itemText(0)
    assert pane.history.rowCount() == 1 and pane.history.item(0, 1).text() == "int8"
    assert "Stored as tiny v2" in pane.message.text()

    # a second recipe on the same source adds its row to the comparison
    pane.version_combo.setCurrentIndex(pane.version_combo.findData(1))
    pane.form.quant.setCurrentIndex(pane.form.quant.findData("none"))
    pane.form.sparsity.setValue(50)
    pane.form.structured.setChecked(True)
    with qtbot.waitSignal(pane.sig_compression_finished, timeout=60_000):
        pane.run_button.click()
    qtbot.waitUntil(lambda: not pane.task.running)
    assert [pane.table.item(i, 0).text() for i in range(pane.table.rowCount())] == ["original", "int8", "structured 50%"]

    csv_path = pane.export_report("csv", str(tmp_path / "r.csv"))
    html_path = pane.export_report("html", str(tmp_path / "r.html"))
    assert csv_path.read_text().count("\n") == 4
    html = html_path.read_text()
    assert html.count("<svg") == 2 and "structured 50%" in html

    pane.history.selectRow(1)
    pane.open_history()
    assert pane.table.rowCount() == 2 and pane.table.item(1, 0).text() == "int8"


def test_the_pane_opens_ready_to_run_with_a_dataset_and_no_error(pane):
    assert pane.dataset_combo.currentData() == "corpus"  # a dataset exists: perplexity is measured on it
    assert pane.form.recipe().quant == "int8" and pane.form.error_label.isHidden() and not pane.message.isVisible()
    assert pane.run_button.isEnabled() and pane.form.steps_label.text().startswith("1. Quantize weights to int8")
    pane.dataset_combo.setCurrentIndex(0)  # the user chooses "no dataset": a refresh keeps that choice
    pane.dataset_combo.activated.emit(0)
    pane.refresh()
    assert pane.dataset_combo.currentData() is None


def test_an_invalid_recipe_cannot_run_and_says_why(pane):
    pane.form.quant.setCurrentIndex(pane.form.quant.findData("none"))  # with nothing removed: does nothing
    assert not pane.run_button.isEnabled()
    assert "does nothing" in pane.form.error_label.text() and not pane.form.error_label.isHidden()
    pane.form.quant.setCurrentIndex(pane.form.quant.findData("int4"))
    assert pane.run_button.isEnabled() and pane.form.error_label.isHidden()
    assert pane.form.steps_label.text().startswith("1. Quantize weights to int4 (groups of 64")


def test_a_recipe_the_model_cannot_take_fails_with_the_message_and_stores_nothing(qtbot, pane):
    pane.form.quant.setCurrentIndex(pane.form.quant.findData("int4"))  # group 64 does not divide width 32
    pane.run_button.click()
    qtbot.waitUntil(lambda: not pane.task.running, timeout=30_000)
    qtbot.waitUntil(lambda: "does not divide the embedding width, 32" in pane.message.text(), timeout=5000)
    assert pane.version_combo.count() == 1 and pane.run_button.isEnabled()


def test_cancel_stores_nothing(qtbot, pane):
    pane.dataset_combo.setCurrentIndex(pane.dataset_combo.findData("corpus"))
    pane.form.quant.setCurrentIndex(pane.form.quant.findData("int8"))
    # Direct: the cancel lands on the worker thread before it stores (a queued one can come after, under load)
    pane.sig_result_measured.connect(lambda _r: pane.task.cancel(), Qt.ConnectionType.DirectConnection)
    pane.run_button.click()
    qtbot.waitUntil(lambda: not pane.task.running, timeout=60_000)
    qtbot.waitUntil(lambda: "Cancelled" in pane.message.text(), timeout=5000)
    assert len(_versions(pane)) == 1 and pane.history.rowCount() == 0


def test_measure_a_version(qtbot, pane):
    pane.dataset_combo.setCurrentIndex(pane.dataset_combo.findData("corpus"))
    pane.eval_button.click()
    qtbot.waitUntil(lambda: not pane.task.running, timeout=60_000)
    qtbot.waitUntil(lambda: pane.table.rowCount() == 1, timeout=5000)
    assert pane.table.item(0, 0).text() == "original (v1)"
    assert pane.history.rowCount() == 1


def test_the_form_offers_the_calibrated_methods_and_the_table_shows_kl(qtbot, pane):
    form = pane.form
    assert form.calib_box.isHidden()  # magnitude and RTN learn from no data
    form.method.setCurrentIndex(form.method.findData("sparsegpt"))
    form.pattern.setCurrentIndex(form.pattern.findData("2:4"))
    form.quant.setCurrentIndex(form.quant.findData("int8"))
    form.quant_method.setCurrentIndex(form.quant_method.findData("gptq"))
    form.calib_samples.setValue(8)
    recipe = form.recipe()
    assert (recipe.method, recipe.pattern, recipe.sparsity, recipe.quant_method, recipe.calib_samples) == (
        "sparsegpt", "2:4", 0.5, "gptq", 8)
    assert not form.sparsity.isEnabled() and not form.calib_box.isHidden()
    assert "updates the remaining weights" in form.method_help.text()
    assert "corrects the rest" in form.quant_help.text()
    assert form.steps_label.text().splitlines() == [
        "1. Keep 2 of every 4 weights in every weight matrix by SparseGPT",
        "2. Quantize weights to int8 (per output channel, symmetric) by GPTQ"]
    pane.dataset_combo.setCurrentIndex(pane.dataset_combo.findData("corpus"))
    pane.run_button.click()
    qtbot.waitUntil(lambda: not pane.task.running, timeout=60_000)
    assert len(_versions(pane)) == 2 and pane.table.rowCount() == 2
    kl, top1 = (pane.table.item(1, pane.table.column(key)).text() for key in ("kl", "top1"))
    assert float(kl) >= 0 and 0 <= float(top1) <= 100 and pane.table.item(0, pane.table.column("kl")).text() == "–"
    assert pane.version_combo.currentData() == 1  # the next Compress starts from the uncompressed version again


def test_compress_an_imported_hf_llama_from_the_pane(qtbot, window, tmp_path):
    """A Hugging Face Llama folder imported into the vault is listed, compressed to int4 and stored from the pane."""
    from tests.finetune_fixtures import vault_family

    studio = window.ctx.studio
    vault_family(studio, window.ctx.session, "llama", tmp_path, name="tl")
    studio.compression = QuickService(studio, datasets=MemoryDatasets())
    pane = window.show_pane("compression")
    pane.refresh()
    pane.model_combo.setCurrentIndex(pane.model_combo.findText("tl"))
    assert pane.model_combo.currentText() == "tl" and pane.version_combo.count() == 1
    pane.form.quant.setCurrentIndex(pane.form.quant.findData("int4"))
    pane.form.group_size.setCurrentIndex(pane.form.group_size.findData(32))  # width 32
    pane.prompts_edit.setText("hello")
    assert pane.run_button.isEnabled(), pane.form.error_label.text()
    with qtbot.waitSignal(pane.sig_compression_finished, timeout=60_000):
        pane.run_button.click()
    qtbot.waitUntil(lambda: not pane.task.running)
    assert "Stored as tl v2" in pane.message.text(), pane.message.text()
    assert [pane.table.item(i, 0).text() for i in range(pane.table.rowCount())] == ["original", "int4-g32"]
    assert float(pane.table.item(1, pane.table.column("size_ratio")).text()) < 0.5  # int4 of the Linear layers and embeddings
    assert pane.samples.item(0, 1).text().startswith("hello")
    versions = studio.vault.versions(window.ctx.actor, "tl")
    assert len(versions) == 2
