"""`i18n fill` writes a catalogue in pyside6-lupdate's own layout, so that `make i18n` and `fill` leave each other's
files byte for byte as they were (the catalogues on disk are as lupdate last wrote them)."""

import xml.etree.ElementTree as ET

from studio.devtools.i18n import LOCALES, _write_ts, catalogue_dir


def test_fill_rewrites_every_catalogue_byte_for_byte(tmp_path):
    catalogues = sorted(catalogue_dir(LOCALES[0]).glob("*.ts"))
    assert catalogues
    for ts in catalogues:
        out = tmp_path / ts.name
        _write_ts(ET.parse(ts), out)
        assert out.read_bytes() == ts.read_bytes(), ts.name
