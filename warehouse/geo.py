"""Official territories: Etalab's découpage administratif in geo_* tables, and each contract's territory resolved
to official units (EPCI by SIREN, commune by INSEE code) with their communes, départements, régions and
populations (ADR 0011).

The data comes from the npm package `@etalab/decoupage-administratif`, pinned in package.json and installed by
`make setup` (`npm ci`); it is loaded into a warehouse when the warehouse is created or the package version
changes. Nothing is downloaded at run time.

Matching (rules in territory_names.yaml), in this order:
  override      a reviewer's choice in territories.yaml (the review page edits it)            confidence 1.0
  member-communes  the document's own list of member communes (`contract.communes` of the extraction, when
                the extractor gives it): the EPCI they make up, else those communes themselves    0.9 / 0.8
  exact-name    the folded name equals one official name (EPCI first, communes first for a commune), in the
                département read from the document when there is one                   0.95 (0.9 without département)
  name-parts    "A et B": each part equals one EPCI's name                                              0.85
  fuzzy-name    one official name within rapidfuzz's token_sort_ratio >= fuzzy_min, others lower     score x 0.9
Several equal candidates give `ambiguous` (candidates listed), none gives `unmatched` with the reason.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from rapidfuzz import fuzz, process

HERE = Path(__file__).parent
ROOT = HERE.parent
PACKAGE = "@etalab/decoupage-administratif"
DEFAULT_OVERRIDES = Path("territories.yaml")


class GeoError(Exception):
    pass


def data_dir() -> Path:
    """Where the package's JSON files are: $CLSDATA_GEO_DATA, else node_modules/ of this repository."""
    env = os.environ.get("CLSDATA_GEO_DATA")
    return Path(env) if env else ROOT / "node_modules" / PACKAGE / "data"


def data_version(folder: Path | None = None) -> str:
    folder = folder or data_dir()
    manifest = folder.parent / "package.json"
    try:
        return f"{PACKAGE}@{json.loads(manifest.read_text(encoding='utf-8'))['version']}"
    except (OSError, ValueError, KeyError):
        raise GeoError(f"{folder}: the official geography ({PACKAGE}) is not installed; run `make setup` "
                       f"(it runs `npm ci`), or set CLSDATA_GEO_DATA to its data/ folder") from None


def load_reference(con: duckdb.DuckDBPyConnection) -> str:
    """Load geo_* tables from the package's JSON when the warehouse has another version (or none). ~0.3 s."""
    folder = data_dir()
    version = data_version(folder)
    row = con.execute("SELECT value FROM meta WHERE key = 'geo_version'").fetchone()
    if row is not None and row[0] == version:
        return version

    def src(name: str) -> str:
        path = (folder / f"{name}.json").as_posix().replace("'", "''")
        return f"read_json('{path}', format = 'array', maximum_object_size = 100000000)"

    for table in ("geo_communes", "geo_epci", "geo_departements", "geo_regions"):
        con.execute(f"DELETE FROM {table}")
    con.execute(f"INSERT INTO geo_regions SELECT code, nom FROM {src('regions')}")
    con.execute(f"INSERT INTO geo_departements SELECT code, nom, region FROM {src('departements')}")
    # collectivités d'outre-mer (Saint-Martin, Saint-Barthélemy, …) are their own région in the dataset
    con.execute(f"""INSERT INTO geo_regions SELECT DISTINCT c.region, coalesce(d.name, c.nom) FROM {src('communes')} c
                    LEFT JOIN geo_departements d ON d.department = c.departement
                    WHERE c.type = 'commune-actuelle' AND c.region NOT IN (SELECT region FROM geo_regions)""")
    con.execute(f"""INSERT INTO geo_departements SELECT DISTINCT c.departement, coalesce(r.name, c.nom), c.region
                    FROM {src('communes')} c LEFT JOIN geo_regions r ON r.region = c.region
                    WHERE c.type = 'commune-actuelle'
                      AND c.departement NOT IN (SELECT department FROM geo_departements)""")
    con.execute(f"INSERT INTO geo_epci SELECT code, nom, type, populationMunicipale FROM {src('epci')}")
    con.execute(f"""INSERT INTO geo_communes
                    SELECT c.code, c.nom, c.departement, c.region, coalesce(c.population, 0), m.epci
                    FROM {src('communes')} c
                    LEFT JOIN (SELECT code AS epci, unnest(membres).code AS commune FROM {src('epci')}) m
                           ON m.commune = c.code
                    WHERE c.type = 'commune-actuelle'""")
    con.execute("INSERT OR REPLACE INTO meta VALUES ('geo_version', ?)", [version])
    return version


# --- names ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NameRules:
    drop: frozenset[str]
    separators: re.Pattern[str]
    commune_kinds: frozenset[str]
    fuzzy_min: float
    fuzzy_margin: float


@cache
def rules() -> NameRules:
    data = yaml.safe_load((HERE / "territory_names.yaml").read_text(encoding="utf-8"))
    return NameRules(frozenset(data["generic_words"]) | frozenset(data["articles"]),
                     re.compile("|".join(data["part_separators"])), frozenset(data["commune_kinds"]),
                     float(data["fuzzy_min"]), float(data["fuzzy_margin"]))


def fold(name: str) -> str:
    """'PETR Cœur de Lorraine' -> 'coeur lorraine'; 'CC de l'Ernée' -> 'ernee' (territory_names.yaml)."""
    text = name.lower().replace("œ", "oe").replace("æ", "ae")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = _NON_ALNUM.sub(" ", text).split()
    kept = [w for w in words if w not in rules().drop]
    return " ".join(kept or words)


_NON_ALNUM = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Unit:
    level: str  # epci | commune
    code: str
    name: str
    departments: frozenset[str]
    population: int

    @property
    def label(self) -> str:
        return f"{self.level}:{self.code} {self.name} ({', '.join(sorted(self.departments))})"


@dataclass
class Index:
    epci: dict[str, list[Unit]] = field(default_factory=dict)  # folded name -> units
    communes: dict[str, list[Unit]] = field(default_factory=dict)
    by_code: dict[str, Unit] = field(default_factory=dict)  # 'epci:SIREN' / 'commune:INSEE' -> unit
    members: dict[str, set[str]] = field(default_factory=dict)  # SIREN -> INSEE codes of its communes
    epci_of: dict[str, str] = field(default_factory=dict)  # INSEE -> SIREN


_indexes: dict[str, Index] = {}


def index(con: duckdb.DuckDBPyConnection) -> Index:
    """Official units by folded name, built once per data version (1,255 EPCI, ~35,000 communes: ~0.3 s)."""
    row = con.execute("SELECT value FROM meta WHERE key = 'geo_version'").fetchone()
    version = row[0] if row else ""
    if version in _indexes:
        return _indexes[version]
    idx = Index()
    for siren, name, deps, pop in con.execute("""
            SELECT e.epci, e.name, list(DISTINCT c.department), coalesce(sum(c.population), 0)::BIGINT
            FROM geo_epci e LEFT JOIN geo_communes c ON c.epci = e.epci GROUP BY ALL""").fetchall():
        unit = Unit("epci", siren, name, frozenset(d for d in deps if d), int(pop))
        idx.epci.setdefault(fold(name), []).append(unit)
        idx.by_code[f"epci:{siren}"] = unit
    for insee, name, dep, pop, epci in con.execute(
            "SELECT commune, name, department, population, epci FROM geo_communes").fetchall():
        unit = Unit("commune", insee, name, frozenset([dep]), int(pop))
        if epci:
            idx.members.setdefault(epci, set()).add(insee)
            idx.epci_of[insee] = epci
        idx.communes.setdefault(fold(name), []).append(unit)
        idx.by_code[f"commune:{insee}"] = unit
    _indexes[version] = idx
    return idx


@dataclass(frozen=True)
class Match:
    status: str  # matched | ambiguous | unmatched
    method: str | None
    confidence: float | None
    reason: str
    units: tuple[Unit, ...] = ()
    candidates: tuple[Unit, ...] = ()


def _in_department(units: list[Unit], department: str | None) -> list[Unit]:
    return [u for u in units if department is None or department in u.departments]


def name_to_match(name: str, kind: str | None, department: str | None, idx: Index) -> Match:
    """A territory's name as printed (its kind and département as read) -> official units (pure)."""
    r = rules()
    key = fold(name)
    order = [idx.communes, idx.epci] if kind in r.commune_kinds else [idx.epci, idx.communes]
    where = f" in département {department}" if department else ""
    for table in order:
        found = table.get(key, [])
        near = _in_department(found, department)
        if len(near) == 1:
            return Match("matched", "exact-name", 0.95 if department else 0.9,
                         f"'{name}' is the official name of {near[0].label}{where}", (near[0],))
        if len(near) > 1:
            return Match("ambiguous", "exact-name", None,
                         f"{len(near)} official units are named '{name}'{where}; choose one on the review page "
                         f"(territories.yaml)", candidates=tuple(sorted(near, key=lambda u: u.code)))
    parts = [p for p in r.separators.split(name) if p.strip()]
    if len(parts) > 1:
        units = []
        for part in parts:
            near = _in_department(idx.epci.get(fold(part), []), department)
            if len(near) != 1:
                break
            units.append(near[0])
        else:
            return Match("matched", "name-parts", 0.85,
                         f"'{name}' names {len(units)} EPCI: " + " + ".join(u.label for u in units), tuple(units))
    best = _fuzzy(key, department, order, r)
    if best is not None:
        return best
    return Match("unmatched", None, None, f"no EPCI or commune is named '{name}'{where}"
                 + (" (a PETR or pays is not an EPCI: choose its EPCI on the review page)"
                    if kind == "pays" or re.search(r"\b(petr|pays)\b", name, re.I) else ""))


def communes_to_match(names: list[str], department: str | None, idx: Index) -> Match | None:
    """The document's own list of member communes -> the EPCI they make up (each EPCI at least 80% listed, the
    EPCI together holding 90% of the communes found), else the listed communes themselves (a PETR, a pays, a
    group of communes). None when fewer than two names are found (pure)."""
    found: list[Unit] = []
    for name in dict.fromkeys(names):
        units = _in_department(idx.communes.get(fold(name), []), department)
        if len(units) == 1:
            found.append(units[0])
    if len(found) < 2:
        return None
    codes = {u.code for u in found}
    epcis = sorted({idx.epci_of[c] for c in codes if c in idx.epci_of})
    whole = [e for e in epcis if len(idx.members[e] & codes) >= 0.8 * len(idx.members[e])]
    held = {c for e in whole for c in idx.members[e]} & codes
    unread = len(set(names)) - len(found)
    if whole and len(held) >= 0.9 * len(codes):
        epci_units = tuple(idx.by_code[f"epci:{e}"] for e in whole)
        return Match("matched", "member-communes", 0.9,
                     f"the document lists {len(found)} communes ({unread} not found) that make up "
                     + " + ".join(u.label for u in epci_units), epci_units)
    return Match("matched", "member-communes", 0.8,
                 f"the document lists {len(found)} communes ({unread} not found), not whole EPCI: the territory is "
                 f"those communes", tuple(sorted(found, key=lambda u: u.code)))


def _fuzzy(key: str, department: str | None, order: list[dict[str, list[Unit]]], r: NameRules) -> Match | None:
    for table in order:
        choices = {k: v for k, v in table.items() if _in_department(v, department)} if department else table
        if not choices:
            continue
        hits = process.extract(key, list(choices), scorer=fuzz.token_sort_ratio, limit=2)
        if not hits or hits[0][1] < r.fuzzy_min:
            continue
        units = _in_department(choices[hits[0][0]], department)
        close = len(hits) > 1 and hits[1][1] > hits[0][1] - r.fuzzy_margin
        if close or len(units) != 1:
            cands = units + (_in_department(choices[hits[1][0]], department) if close else [])
            return Match("ambiguous", "fuzzy-name", None,
                         f"names close to '{key}' (scores {', '.join(f'{h[1]:.0f}' for h in hits)})",
                         candidates=tuple(cands))
        return Match("matched", "fuzzy-name", round(hits[0][1] / 100 * 0.9, 3),
                     f"'{key}' is close to {units[0].label} (score {hits[0][1]:.0f})", (units[0],))
    return None


# --- reviewers' choices -----------------------------------------------------------------------------------------

class Override(BaseModel):
    model_config = ConfigDict(extra="forbid")

    codes: list[str] = Field(min_length=1, description="'epci:SIREN' or 'commune:INSEE', one or more")
    reviewer: str | None = None
    note: str | None = None

    @field_validator("codes")
    @classmethod
    def _codes(cls, value: list[str]) -> list[str]:
        bad = [c for c in value if not re.fullmatch(r"(epci:\d{9}|commune:[0-9AB]{5})", c)]
        if bad:
            raise ValueError(f"codes must be 'epci:<SIREN>' or 'commune:<INSEE>', not {bad}")
        return value


class Overrides(BaseModel):
    model_config = ConfigDict(extra="forbid")

    territories: dict[str, Override] = Field(default_factory=dict, description="territory_id -> choice")


def overrides_path() -> Path:
    return Path(os.environ.get("CLSDATA_TERRITORIES") or DEFAULT_OVERRIDES)


def read_overrides(path: Path | None = None) -> Overrides:
    path = path or overrides_path()
    if not path.exists():
        return Overrides()
    try:
        return Overrides.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    except (yaml.YAMLError, ValidationError) as exc:
        raise GeoError(f"{path}: {str(exc).splitlines()[0]} ({str(exc).splitlines()[-1].strip()})") from exc


def write_override(territory_id: str, codes: list[str], reviewer: str, note: str | None = None,
                   path: Path | None = None) -> Overrides:
    """Record a reviewer's choice (validated); it applies from the next run."""
    path = path or overrides_path()
    current = read_overrides(path)
    data = current.model_dump(exclude_none=True)
    data["territories"][territory_id] = Override(codes=codes, reviewer=reviewer, note=note).model_dump(
        exclude_none=True)
    updated = Overrides.model_validate(data)
    header = ("# Reviewers' choices of official territories (clsdata review, 'Territoires'): territory_id ->\n"
              "# codes 'epci:<SIREN>' or 'commune:<INSEE>'. Applied by every run (warehouse/geo.py).\n")
    path.write_text(header + yaml.safe_dump(updated.model_dump(exclude_none=True), allow_unicode=True,
                                            sort_keys=True), encoding="utf-8")
    return updated


# --- resolution into the warehouse -------------------------------------------------------------------------------

def resolve(con: duckdb.DuckDBPyConnection, territory_ids: list[str] | None = None,
            overrides: Overrides | None = None) -> dict[str, Match]:
    """Match these territories (all when None) and write territories' match columns, territory_units and
    territory_communes. Runs inside the caller's transaction."""
    idx = index(con)
    chosen = overrides if overrides is not None else read_overrides()
    where, params = ("", []) if territory_ids is None else ("WHERE territory_id IN (SELECT unnest(?))",
                                                           [territory_ids])
    rows = con.execute(f"""
        SELECT t.territory_id, t.name, t.kind, t.department,
               (SELECT e.extraction->'$.contract.communes' FROM contracts c JOIN extractions e USING (document_id)
                WHERE c.territory_id = t.territory_id ORDER BY c.status = 'current' DESC, c.contract_id DESC
                LIMIT 1) AS communes
        FROM territories t {where}""", params).fetchall()
    out: dict[str, Match] = {}
    for tid, name, kind, department, communes in rows:
        choice = chosen.territories.get(tid)
        if choice is not None:
            units = tuple(idx.by_code[c] for c in choice.codes if c in idx.by_code)
            missing = [c for c in choice.codes if c not in idx.by_code]
            match = (Match("unmatched", "override", None, f"territories.yaml names unknown codes {missing}")
                     if missing else Match("matched", "override", 1.0,
                                           f"chosen by {choice.reviewer or 'a reviewer'}"
                                           + (f": {choice.note}" if choice.note else ""), units))
        else:
            department = department if department and any(department in u.departments
                                                          for u in idx.by_code.values()) else None
            listed = json.loads(communes) if communes else None
            by_list = communes_to_match([str(n) for n in listed], department, idx) if isinstance(listed, list) \
                else None
            match = by_list or name_to_match(name, kind, department, idx)
            if match.status == "unmatched" and department:  # the département read may be wrong
                wider = name_to_match(name, kind, None, idx)
                if wider.status != "unmatched":
                    match = wider
        out[tid] = match
        _write(con, tid, match)
    return out


def _write(con: duckdb.DuckDBPyConnection, tid: str, m: Match) -> None:
    for table in ("territory_units", "territory_communes"):
        con.execute(f"DELETE FROM {table} WHERE territory_id = ?", [tid])
    for u in m.units:
        con.execute("INSERT OR REPLACE INTO territory_units VALUES (?, ?, ?, ?, ?)",
                    [tid, u.level, u.code, u.name, u.population])
    if m.units:
        con.execute("""
            INSERT OR REPLACE INTO territory_communes
            SELECT DISTINCT ?, c.commune, c.name, c.department, c.region, c.population FROM geo_communes c
            JOIN territory_units u ON u.territory_id = ? AND (
                 (u.level = 'epci' AND c.epci = u.code) OR (u.level = 'commune' AND c.commune = u.code))""",
                    [tid, tid])
    names = " + ".join(u.name for u in m.units) or None
    codes = [u.code for u in m.units] or None
    con.execute("""
        UPDATE territories SET match_status = ?, match_method = ?, match_confidence = ?, match_reason = ?,
               candidates = ?, official_name = ?, official_codes = ?,
               population = (SELECT sum(population) FROM territory_communes WHERE territory_id = ?),
               department = coalesce((SELECT department FROM territory_communes WHERE territory_id = ?
                                      GROUP BY department ORDER BY sum(population) DESC, department LIMIT 1),
                                     department),
               region = coalesce((SELECT r.name FROM territory_communes tc JOIN geo_regions r USING (region)
                                  WHERE tc.territory_id = ? GROUP BY r.name
                                  ORDER BY sum(tc.population) DESC, r.name LIMIT 1), region)
        WHERE territory_id = ?""",
                [m.status, m.method, m.confidence, m.reason, [u.label for u in m.candidates] or None, names,
                 codes, tid, tid, tid, tid])


def unresolved(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    """Contracts whose territory has no official match: (contract_id, territory, status, reason, candidates)."""
    return con.execute("SELECT contract_id, territory, match_status, match_reason, candidates "
                       "FROM v_unmatched_contracts ORDER BY match_status, contract_id").fetchall()
