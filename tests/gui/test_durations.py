"""Times in words wherever a pane shows one: a long task's time left read "1291:08:25", a step time "2324053 ms"."""

from __future__ import annotations

from studio.core.tasks import Progress


def test_a_tasks_time_left_is_said_in_words_in_the_interface_language(qtbot, qapp):
    from studio.gui.i18n import install_translations, remove_translations
    from studio.gui.units import fmt_duration, fmt_step_time
    from studio.gui.widgets.task_progress import TaskProgress

    progress = TaskProgress()
    qtbot.addWidget(progress)
    progress._progress(Progress(fraction=0.01, message="Training the tokenizer", eta_s=1291 * 3600 + 8 * 60 + 25))
    assert progress.label.text() == "Training the tokenizer  (about 53 d 19 h left)"
    progress._progress(Progress(fraction=0.5, message="Encrypting", eta_s=125))
    assert progress.label.text() == "Encrypting  (about 2 min 05 s left)"
    assert [fmt_step_time(s) for s in (0.2034, 1.913, 2324.053)] == ["203 ms", "1.9 s", "38 min 44 s"]
    try:
        install_translations(qapp, "zh_CN")
        assert fmt_duration(3 * 3600 + 7 * 60) == "3 小时 07 分"
        assert fmt_step_time(0.5) == "500 毫秒"
    finally:
        remove_translations(qapp)
    assert fmt_duration(45) == "45 s"


def test_the_cli_progress_line_says_the_time_left_in_words():
    import io

    from studio.cli.progress import ProgressLine

    out = io.StringIO()
    ProgressLine(out, enabled=True)(Progress(fraction=0.01, message="Training", eta_s=1291 * 3600 + 8 * 60 + 25))
    assert out.getvalue().strip() == "1%  Training  (about 53d19h left)"
