"""Closing main windows in tests."""


def close_windows(qtbot, windows):
    """Close the windows the test left open while its answers still hold: a close reads the runs off the GUI
    thread first and finishes later (pytest-qt's own close at teardown would not wait for it)."""
    import shiboken6

    for window in windows:
        if shiboken6.isValid(window) and window.isVisible():  # a closed window is deleted (WA_DeleteOnClose)
            window.close()
            qtbot.waitUntil(lambda w=window: not shiboken6.isValid(w) or not w.isVisible(), timeout=10_000)
