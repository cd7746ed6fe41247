from pathlib import Path

from studio.core.paths import DataPaths, default_data_dir, resolve_data_dir


def test_flag_wins_over_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("STUDIO_DATA_DIR", str(tmp_path / "env"))
    assert resolve_data_dir(tmp_path / "flag") == (tmp_path / "flag").resolve()


def test_environment_wins_over_default(monkeypatch, tmp_path):
    monkeypatch.setenv("STUDIO_DATA_DIR", str(tmp_path / "env"))
    assert resolve_data_dir(None) == (tmp_path / "env").resolve()


def test_default_is_platform_user_data_dir(monkeypatch):
    monkeypatch.delenv("STUDIO_DATA_DIR", raising=False)
    path = resolve_data_dir(None)
    assert path == default_data_dir()
    assert "ModelStudio" in path.parts[-1]


def test_layout_is_created(tmp_path):
    paths = DataPaths(tmp_path / "d").ensure()
    for folder in (paths.logs, paths.backups, paths.vault, paths.datasets, paths.runs):
        assert folder.is_dir()
    assert paths.db == Path(tmp_path / "d" / "studio.db")
