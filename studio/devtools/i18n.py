"""Keep the translation catalogues in step with the code.

    python -m studio.devtools.i18n update   # refresh resources/i18n/<locale>/*.ts with pyside6-lupdate
    python -m studio.devtools.i18n check    # list every visible string without a finished translation
    python -m studio.devtools.i18n todo     # the untranslated strings as JSON {catalogue: {context: {source: ""}}}
    python -m studio.devtools.i18n fill F   # write the translations of such a JSON file into the catalogues

Each area of the code has its own catalogue (one per pane, one for the rest of the GUI, one for the core's
marked strings), so that work on different panes never edits the same file.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from studio.core.resources import resource_path

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ("zh_CN",)


def areas() -> dict[str, list[Path]]:
    """Catalogue name -> the Python files whose strings it holds."""
    studio = ROOT / "studio"
    result: dict[str, list[Path]] = {}
    panes = studio / "gui" / "panes"
    for pane in sorted(p for p in panes.iterdir() if p.is_dir() and (p / "__init__.py").exists()):
        result[f"pane_{pane.name}"] = sorted(pane.rglob("*.py"))
    result["gui"] = sorted(
        p for p in (studio / "gui").rglob("*.py") if panes not in p.parents
    ) + sorted(panes.glob("*.py"))
    result["core"] = sorted((studio / "core").rglob("*.py"))
    return result


def _msg_calls(files: list[Path]) -> tuple[list[str], list[str]]:
    """(templates, problems): the literal first argument of every `msg(...)` call in `files`, and where a call
    has no literal template (lupdate could not see it, so it could never be translated)."""
    import ast

    templates: list[str] = []
    problems: list[str] = []
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "msg":
                first = node.args[0] if node.args else None
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    templates.append(first.value)
                else:
                    problems.append(f"{path.relative_to(ROOT)}:{node.lineno}: msg() needs a string literal template")
    return list(dict.fromkeys(templates)), problems


def core_messages() -> list[str]:
    """Every msg() template of studio/core (the catalogue context "core")."""
    return _msg_calls(areas()["core"])[0]


def _core_stub(folder: Path) -> Path:
    """lupdate reads Qt's markers, not our msg(): one QT_TRANSLATE_NOOP line per core template for it."""
    from studio.core.messages import CONTEXT

    stub = folder / "core_messages.py"
    stub.write_text("".join(f"QT_TRANSLATE_NOOP({json.dumps(CONTEXT)}, {json.dumps(t, ensure_ascii=False)})\n"
                            for t in core_messages()), encoding="utf-8")
    return stub


def lupdate_exe() -> str:
    exe = shutil.which("pyside6-lupdate", path=str(Path(sys.executable).parent)) or shutil.which("pyside6-lupdate")
    if not exe:
        raise SystemExit("pyside6-lupdate is not installed (it comes with PySide6-Essentials)")
    return exe


def run_lupdate(files: list[Path], ts: Path, locale: str = LOCALES[0]) -> None:
    ts.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".lst", delete=False) as lst:
        lst.write("\n".join(str(f) for f in files))
    try:
        subprocess.run(
            # Without a target language lupdate leaves an existing catalogue untouched (and says so only on
            # its output), so new strings would never show up as missing.
            [lupdate_exe(), f"@{lst.name}", "-no-obsolete", "-locations", "none", "-target-language", locale,
             "-ts", str(ts)],
            check=True, capture_output=True, text=True,
        )
    finally:
        Path(lst.name).unlink()


def catalogue_dir(locale: str) -> Path:
    return resource_path("i18n", locale)


def update(target_root: Path | None = None) -> list[Path]:
    """Refresh every catalogue (into target_root instead of resources/i18n when given)."""
    written = []
    stub_dir = Path(tempfile.mkdtemp(prefix="studio-i18n-"))
    try:
        for locale in LOCALES:
            written += _update_locale(locale, target_root, stub_dir)
    finally:
        shutil.rmtree(stub_dir, ignore_errors=True)
    return written


def _update_locale(locale: str, target_root: Path | None, stub_dir: Path) -> list[Path]:
    written = []
    for name, files in areas().items():
        if name == "core":
            files = [_core_stub(stub_dir)]
        if not files:
            continue
        dest = (target_root / locale if target_root else catalogue_dir(locale)) / f"{name}.ts"
        source = catalogue_dir(locale) / f"{name}.ts"
        if target_root and source.exists():
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, dest)
        _ensure_language(dest, locale)
        run_lupdate(files, dest, locale)
        if _message_count(dest) == 0:
            dest.unlink()
            continue
        written.append(dest)
    return written


def _ensure_language(ts: Path, locale: str) -> None:
    """lupdate refuses to update a catalogue whose <TS> names no language (and exits 0): name it."""
    if not ts.exists():
        return
    tree = ET.parse(ts)
    if tree.getroot().get("language") != locale:
        tree.getroot().set("language", locale)
        _write_ts(tree, ts)


def _message_count(ts: Path) -> int:
    return sum(1 for _ in ET.parse(ts).getroot().iter("message"))


def missing(ts_files: list[Path]) -> list[str]:
    """'file: context: source' for every message without a finished translation."""
    problems = []
    for ts in ts_files:
        for context in ET.parse(ts).getroot().iter("context"):
            name = context.findtext("name")
            for message in context.iter("message"):
                node = message.find("translation")
                if node is None or node.get("type") == "unfinished" or not (node.text or "").strip():
                    problems.append(f"{ts.name}: {name}: {message.findtext('source')!r}")
    return problems


def check() -> list[str]:
    """Run lupdate into a temporary copy of the catalogues and report what is not translated."""
    with tempfile.TemporaryDirectory() as tmp:
        return missing(update(Path(tmp)))


def todo(locale: str = LOCALES[0]) -> dict[str, dict[str, dict[str, str]]]:
    result: dict[str, dict[str, dict[str, str]]] = {}
    for ts in sorted(catalogue_dir(locale).glob("*.ts")):
        for context in ET.parse(ts).getroot().iter("context"):
            name = context.findtext("name") or ""
            for message in context.iter("message"):
                node = message.find("translation")
                if node is None or node.get("type") == "unfinished" or not (node.text or "").strip():
                    result.setdefault(ts.stem, {}).setdefault(name, {})[message.findtext("source") or ""] = ""
    return result


def fill(translations: dict[str, dict[str, dict[str, str]]], locale: str = LOCALES[0]) -> int:
    """Write translations ({catalogue: {context: {source: text}}}) into the .ts files; returns how many."""
    count = 0
    for catalogue, contexts in translations.items():
        ts = catalogue_dir(locale) / f"{catalogue}.ts"
        tree = ET.parse(ts)
        for context in tree.getroot().iter("context"):
            table = contexts.get(context.findtext("name") or "", {})
            for message in context.iter("message"):
                text = table.get(message.findtext("source") or "")
                if not text:
                    continue
                node = message.find("translation")
                if node is None:
                    node = ET.SubElement(message, "translation")
                node.text = text
                node.attrib.pop("type", None)
                count += 1
        _write_ts(tree, ts)
    return count


def _write_ts(tree: ET.ElementTree, path: Path) -> None:
    # pyside6-lupdate's own layout (each <context> at the margin, four spaces a level below it), so that
    # `update` and `fill` leave a catalogue byte for byte as the other wrote it and stop churning it
    root = tree.getroot()
    root.text = "\n"
    for context in root:
        ET.indent(context, space="    ")
        context.tail = "\n"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n')
        text = ET.tostring(root, encoding="unicode")
        # lupdate escapes quotes in text as entities; ElementTree leaves them bare
        fh.write(re.sub(r">([^<]*)<", lambda m: ">" + m.group(1).replace('"', "&quot;").replace("'", "&apos;") + "<",
                        text))
        fh.write("\n")


def main(argv: list[str]) -> int:
    if argv[:1] == ["todo"]:
        print(json.dumps(todo(), ensure_ascii=False, indent=1))
        return 0
    if argv[:1] == ["fill"] and len(argv) == 2:
        print(f"{fill(json.loads(Path(argv[1]).read_text(encoding='utf-8')))} translations written")
        return 0
    if argv[:1] == ["update"]:
        for path in update():
            print(path.relative_to(ROOT))
        problems = missing(sorted(catalogue_dir(LOCALES[0]).glob("*.ts")))
        print(f"{len(problems)} strings still need a translation")
        return 0
    if argv[:1] == ["check"]:
        problems = check()
        print("\n".join(problems) or "every string is translated")
        return 1 if problems else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
