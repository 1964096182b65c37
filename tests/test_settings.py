"""Issue #18, item 5: one `Settings` for the environment (every variable documented in the README's table), rule
files and the sources registry parsed by pydantic models, a bad one refused at start in one line naming the file,
the key and the reason."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from clsdata.settings import Settings, SettingsError, env_name, load
from pipeline import rules
from pipeline.rules import RuleFileError, check_rules
from tests.conftest import ROOT


def test_settings_read_the_environment_and_refuse_a_bad_value_naming_the_variable(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLSDATA_DOC_TIMEOUT", "30")
    monkeypatch.setenv("CLSDATA_OCR", "off")
    monkeypatch.setenv("CLSDATA_SOURCES", '["fixtures/a", "fixtures/b"]')
    got = load(workers=3)
    assert (got.doc_timeout, got.ocr, got.workers) == (30.0, False, 3)
    assert got.sources == (Path("fixtures/a"), Path("fixtures/b"))
    resolved = got.resolve(Path("/srv/clsdata"))
    assert resolved.db == Path("/srv/clsdata/warehouse/cls.duckdb") and resolved.sources[0].is_absolute()
    monkeypatch.setenv("CLSDATA_DOC_TIMEOUT", "soon")
    with pytest.raises(SettingsError, match=r"^CLSDATA_DOC_TIMEOUT='soon': Input should be a valid number"):
        load()
    monkeypatch.setenv("CLSDATA_DOC_TIMEOUT", "30")
    monkeypatch.setenv("CLSDATA_PDF_BACKEND", "mupdf")
    with pytest.raises(SettingsError, match="CLSDATA_PDF_BACKEND='mupdf'"):
        load()


def test_the_modules_read_settings_when_used_not_at_import(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline import isolate, ocr

    monkeypatch.setenv("CLSDATA_DOC_TIMEOUT", "7")
    monkeypatch.setenv("CLSDATA_OCR_CACHE", "/tmp/elsewhere")
    assert isolate.default_timeout_s() == 7.0 and ocr.cache_dir() == Path("/tmp/elsewhere")


def test_every_environment_variable_is_in_the_readme_table_with_its_default() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `([A-Z_]+)` \| ([^|]*) \|", readme, re.M)}
    for field, info in Settings.model_fields.items():
        name = env_name(field)
        assert name in rows, f"{name} is not in the README's table of environment variables"
        default = info.default
        if default not in (None, (), False, True) and not isinstance(default, Path):
            want = f"{default:g}" if isinstance(default, float) else str(default)
            assert want in rows[name].replace("_", "").replace(",", ""), name
    assert set(rows) - {env_name(f) for f in Settings.model_fields} <= {"PREFECT_API_URL", "PREFECT_HOME",
                                                                          "PREFECT_SERVER_ANALYTICS_ENABLED",
                                                                          "XDG_CACHE_HOME"}


@pytest.fixture
def rules_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the rule files that a test may break; the loaders read it instead of pipeline/rules/."""
    folder = tmp_path / "rules"
    shutil.copytree(rules.RULES_DIR, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    from pipeline.rules import segmentation

    loaders = (rules.structure_rules, rules.table_rules, rules.vocabularies, rules.ocr_rules,
               segmentation.outline_rules, segmentation.enumeration_rules, segmentation.strategy_settings)
    monkeypatch.setattr(rules, "RULES_DIR", folder)
    for loader in loaders:
        loader.cache_clear()
    yield folder
    monkeypatch.undo()
    for loader in loaders:
        loader.cache_clear()


@pytest.mark.parametrize(("name", "old", "new", "message"), [
    ("structure.yaml", "\naxis:\n", "\naxes:\n", "structure.yaml: axis: required key missing"),
    ("structure.yaml", "(?P<number>\\d{1,2})\\s*[.)]", "(?P<number>\\d{1,2}\\s*[.)]",
     "structure.yaml: numbered_item.0: Value error, not a valid regular expression"),
    ("tables.yaml", "tick: ", "ticks: ", "tables.yaml: tick: required key missing"),
    ("themes.yaml", "socle: prevention-promotion\n", "socle: prevention\n",
     "themes.yaml: themes.0.socle: 'prevention' is not in `socle`"),
    ("partners.yaml", "kind: etat,", "knd: etat,", "partners.yaml: partners.0.kind: required key missing"),
    ("ocr.yaml", "  dpi: 300", "  dpi: high", "ocr.yaml: ocr.dpi: Input should be a valid integer"),
    ("enrich.yaml", "  email:", "  e-mail:", "enrich.yaml: contacts.email: required key missing"),
    ("publics.yaml", "publics:\n  - label", "publics:\n  - labl", "publics.yaml: publics.0.label: required key"),
    ("outline.yaml", "  max_chars: 150", "  max_chars: -150", "outline.yaml: heading.max_chars: Input should be"),
    ("strategies.yaml", "{strategy: thematic,", "{strategy: thematik,", "strategies.yaml: axes_from.1.strategy: Input"),
    ("enumerations.yaml", "item_max_chars:", "item_max_char:", "enumerations.yaml: item_max_char: unknown key"),
])
def test_a_bad_rule_file_is_refused_at_start_naming_the_file_and_the_key(
        rules_copy: Path, name: str, old: str, new: str, message: str) -> None:
    path = rules_copy / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RuleFileError) as caught:
        check_rules()
    line = str(caught.value)
    assert "\n" not in line and str(path) in line and message.split(": ", 1)[1].replace("Value error, ", "") in line


def test_the_cli_refuses_a_bad_rule_file_in_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    shutil.copytree(rules.RULES_DIR, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (folder / "tables.yaml").write_text((folder / "tables.yaml").read_text(encoding="utf-8")
                                        .replace("tick:", "tik:"), encoding="utf-8")
    code = (f"import pipeline.rules as r; r.RULES_DIR = __import__('pathlib').Path({str(folder)!r}); "
            "from clsdata.cli import main; main()")
    for args in (["extract", "fixtures/le-mans-metropole/source.html"],
                 ["run", "--source", "fixtures/le-mans-metropole", "--db", str(tmp_path / "w.duckdb")]):
        proc = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.strip().splitlines() == [f"clsdata: {folder / 'tables.yaml'}: tick: required key missing"
                                                    " (and 1 more)"]
        assert not (tmp_path / "w.duckdb").exists()


def test_the_cli_refuses_a_bad_registry_and_a_bad_variable_in_one_line(tmp_path: Path) -> None:
    registry = tmp_path / "sources.yaml"
    registry.write_text("sources:\n  - {path: a.pdf, kind: avenant}\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "clsdata.cli", "run", "--registry", str(registry), "--db",
                           str(tmp_path / "w.duckdb")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [f"clsdata: {registry}: sources[0]: kind must be one of "
                                                "['contract', 'overview'] (got 'avenant')"]
    proc = subprocess.run([sys.executable, "-m", "clsdata.cli", "status", "--db", str(tmp_path / "w.duckdb")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**__import__("os").environ, "CLSDATA_DOC_MEMORY_MB": "lots"})
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == ["clsdata: CLSDATA_DOC_MEMORY_MB='lots': Input should be a valid "
                                                "integer, unable to parse string as an integer"]
