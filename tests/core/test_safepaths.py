import re

import pytest

from studio.core.safepaths import UnsafePathError, confined


@pytest.mark.parametrize("name", ["../x", "..", ".", "a/../../x", "/etc/passwd", "C:\\x", "C:x", "\\\\host\\share",
                                  "a\\..\\x", "", "a\x00b", "a/b", None, 3])
def test_names_that_leave_the_folder_or_are_not_plain_are_refused(tmp_path, name):
    with pytest.raises(UnsafePathError) as refused:
        confined(tmp_path, name, what="dataset folder")
    assert "dataset folder" in str(refused.value) and "nothing was read or deleted" in str(refused.value)


def test_a_plain_name_is_the_path_inside(tmp_path):
    assert confined(tmp_path, "abc") == tmp_path / "abc"
    assert confined(tmp_path, "a/b", single=False) == tmp_path / "a" / "b"


def test_a_pattern_is_a_full_match(tmp_path):
    hexname = re.compile(r"[0-9a-f]{4}")
    assert confined(tmp_path, "beef", pattern=hexname) == tmp_path / "beef"
    with pytest.raises(UnsafePathError):
        confined(tmp_path, "beefy", pattern=hexname)


def test_links_are_not_followed_even_inside_the_folder(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real", target_is_directory=True)
    (tmp_path / "out").symlink_to("/", target_is_directory=True)
    for name in ("link", "out"):
        with pytest.raises(UnsafePathError):
            confined(tmp_path, name)
    with pytest.raises(UnsafePathError):
        confined(tmp_path, "link/x", single=False)
