-- clsdata warehouse schema (DuckDB). Idempotent: run on every connection that writes.
-- A contract (one CLS of one territory for one period) is published by one or more documents (`publications`:
-- a web page and its print, a scan, a re-upload, a brochure and the full text); the contract's rows (axes,
-- actions, …) come from one of them, its *reading*, chosen by quality (ADR 0011). Item keys are derived from the
-- reading document's sha256 and the item's position; contracts are keyed by territory and period; territories
-- and partners by a slug of their name. The model is drawn and every column explained in docs/analyst-guide.md.

CREATE TABLE IF NOT EXISTS territories (
    territory_id      VARCHAR PRIMARY KEY,      -- slug of the name: 'laval-agglomeration'
    name              VARCHAR NOT NULL,         -- as printed by the contract's reading
    kind              VARCHAR,                  -- commune | EPCI | agglomération | métropole | pays (as read)
    department        VARCHAR,                  -- INSEE code, e.g. '53': official (most populated) when matched
    region            VARCHAR,                  -- région name: official when matched, else as read
    match_status      VARCHAR NOT NULL DEFAULT 'unmatched',  -- matched | ambiguous | unmatched
    match_method      VARCHAR,                  -- override | member-communes | exact-name | name-parts | fuzzy-name
    match_confidence  DOUBLE,                   -- 0-1
    match_reason      VARCHAR,                  -- why matched, ambiguous or unmatched, in words
    candidates        VARCHAR[],                -- ambiguous: 'epci:SIREN Name' / 'commune:INSEE Name (dép.)'
    official_name     VARCHAR,                  -- 'CU Angers Loire Métropole' (' + ' between several EPCI)
    official_codes    VARCHAR[],                -- SIREN of each EPCI, or INSEE code of the commune
    population        BIGINT                    -- population municipale of its communes (Etalab/INSEE)
);

-- The official units a territory resolves to (an EPCI, several EPCI, a commune) and their communes.
CREATE TABLE IF NOT EXISTS territory_units (
    territory_id      VARCHAR NOT NULL,
    level             VARCHAR NOT NULL,         -- epci | commune
    code              VARCHAR NOT NULL,         -- SIREN (EPCI) or INSEE code (commune)
    name              VARCHAR NOT NULL,         -- official name
    population        BIGINT,
    PRIMARY KEY (territory_id, level, code)
);

CREATE TABLE IF NOT EXISTS territory_communes (
    territory_id      VARCHAR NOT NULL,
    commune           VARCHAR NOT NULL,         -- INSEE code
    name              VARCHAR NOT NULL,
    department        VARCHAR NOT NULL,
    region            VARCHAR NOT NULL,         -- INSEE code of the région
    population        BIGINT NOT NULL,
    PRIMARY KEY (territory_id, commune)
);

-- Official geography (Etalab's découpage administratif, npm @etalab/decoupage-administratif, pinned in
-- package.json; loaded when the warehouse is created or the data version changes). Populations: population
-- municipale. Only current communes (not delegated, associated communes or municipal arrondissements).
CREATE TABLE IF NOT EXISTS geo_regions (
    region            VARCHAR PRIMARY KEY,      -- INSEE code, e.g. '52'
    name              VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS geo_departements (
    department        VARCHAR PRIMARY KEY,      -- INSEE code, e.g. '53', '2A', '974'
    name              VARCHAR NOT NULL,
    region            VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS geo_communes (
    commune           VARCHAR PRIMARY KEY,      -- INSEE code
    name              VARCHAR NOT NULL,
    department        VARCHAR NOT NULL,
    region            VARCHAR NOT NULL,
    population        BIGINT NOT NULL,
    epci              VARCHAR                   -- SIREN of its EPCI (null: none, e.g. some islands)
);

CREATE TABLE IF NOT EXISTS geo_epci (
    epci              VARCHAR PRIMARY KEY,      -- SIREN
    name              VARCHAR NOT NULL,         -- 'CC de l''Ernée'
    type              VARCHAR NOT NULL,         -- CC | CA | CU | METRO | MET69
    population        BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS themes (
    theme             VARCHAR PRIMARY KEY,      -- code of pipeline/rules/themes.yaml
    label             VARCHAR NOT NULL,
    socle             VARCHAR,                  -- ARS socle item the theme covers (null: transversal)
    socle_label       VARCHAR
);

CREATE TABLE IF NOT EXISTS partners (
    partner_id        VARCHAR PRIMARY KEY,      -- slug of the canonical name
    name              VARCHAR NOT NULL,
    acronym           VARCHAR,
    kind              VARCHAR,                  -- from pipeline/rules/partners.yaml; null for names as printed
    in_vocabulary     BOOLEAN NOT NULL
);

CREATE TABLE IF NOT EXISTS documents (
    document_id       VARCHAR PRIMARY KEY,      -- sha256 of the file's bytes
    path              VARCHAR NOT NULL,
    media_type        VARCHAR NOT NULL,
    pages             INTEGER NOT NULL,
    extractor_version VARCHAR NOT NULL,
    schema_version    VARCHAR NOT NULL,
    loaded_at         TIMESTAMP NOT NULL,
    origin            VARCHAR NOT NULL,         -- machine | reviewed (gold applied by `clsdata review apply`)
    reviewed_by       VARCHAR,
    reviewed_on       DATE
);

CREATE TABLE IF NOT EXISTS contracts (
    contract_id       VARCHAR PRIMARY KEY,      -- '<territory_id>:<period_start>-<period_end>' (ADR 0011)
    document_id       VARCHAR NOT NULL,         -- the reading: the publication its rows come from
    document_kind     VARCHAR NOT NULL CHECK (document_kind IN ('contract', 'overview')),
    territory_id      VARCHAR,
    territory         VARCHAR,
    generation        INTEGER,                  -- 2 for "CLS 2", when the document says
    status            VARCHAR NOT NULL,         -- current | superseded (a later period for the territory) | overview
    period_start      INTEGER,
    period_end        INTEGER,
    signed_on         DATE,
    declared_axes     INTEGER,
    declared_actions  INTEGER,
    warnings          VARCHAR,                  -- JSON list of the reading's warnings
    extractor_version VARCHAR NOT NULL,
    publications      INTEGER NOT NULL,         -- documents publishing this contract
    reading_reason    VARCHAR NOT NULL,         -- why this publication was chosen as the reading
    axes              INTEGER NOT NULL,         -- rows of the reading in axes / actions
    actions           INTEGER NOT NULL
);

-- Each document is a publication of one contract; exactly one per contract is its reading (`chosen`).
CREATE TABLE IF NOT EXISTS publications (
    document_id       VARCHAR PRIMARY KEY,
    contract_id       VARCHAR NOT NULL,
    path              VARCHAR NOT NULL,
    media_type        VARCHAR NOT NULL,
    reading_method    VARCHAR NOT NULL,         -- reviewed (gold) | text (text layer) | mixed | ocr (scanned)
    ocr_pages         INTEGER NOT NULL,         -- pages whose words came from OCR
    axes              INTEGER NOT NULL,
    objectives        INTEGER NOT NULL,
    actions           INTEGER NOT NULL,
    warnings          INTEGER NOT NULL,
    chosen            BOOLEAN NOT NULL,         -- this publication is the contract's reading
    rank              INTEGER NOT NULL,         -- 1 = the reading, then by quality
    reason            VARCHAR NOT NULL          -- why chosen, or why not, against the one ranked next to it
);

-- The validated extraction of every publication (internal, not exported): a contract's reading can be chosen
-- again without extracting anything when a better or worse publication arrives.
CREATE TABLE IF NOT EXISTS extractions (
    document_id       VARCHAR PRIMARY KEY,
    extraction        VARCHAR NOT NULL          -- ContractExtraction as JSON (schemas/extraction.py)
);

CREATE TABLE IF NOT EXISTS axes (
    axis_id           VARCHAR PRIMARY KEY,      -- <contract_id>:ax:<ordinal>
    contract_id       VARCHAR NOT NULL,
    ordinal           INTEGER NOT NULL,
    number            VARCHAR,
    title             VARCHAR NOT NULL,
    page              INTEGER,
    bbox              DOUBLE[],                 -- [x0, top, x1, bottom] in PDF points (null for HTML)
    ocr_confidence    DOUBLE,                   -- read by OCR: mean word confidence 0-100 (null: text layer)
    extractor_version VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS objectives (
    objective_id      VARCHAR PRIMARY KEY,      -- <contract_id>:ob:<ordinal>
    contract_id       VARCHAR NOT NULL,
    axis_id           VARCHAR,
    ordinal           INTEGER NOT NULL,
    number            VARCHAR,
    title             VARCHAR NOT NULL,
    page              INTEGER,
    bbox              DOUBLE[],
    ocr_confidence    DOUBLE,
    extractor_version VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS actions (
    action_id         VARCHAR PRIMARY KEY,      -- <contract_id>:ac:<ordinal>
    contract_id       VARCHAR NOT NULL,
    axis_id           VARCHAR,
    objective_id      VARCHAR,
    ordinal           INTEGER NOT NULL,
    number            VARCHAR,
    title             VARCHAR NOT NULL,
    page              INTEGER,
    bbox              DOUBLE[],
    pilot             VARCHAR,                  -- fiche cells as printed
    schedule          VARCHAR,
    -- copies of the bridge tables below, written in the same transaction, for fast reading (v_actions)
    years             INTEGER[] NOT NULL,
    themes            VARCHAR[] NOT NULL,       -- by rank
    publics           VARCHAR[] NOT NULL,
    partners          VARCHAR[] NOT NULL,       -- partner names, pilots first
    ocr_confidence    DOUBLE,                   -- read by OCR: mean word confidence 0-100 (null: text layer)
    extractor_version VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS action_partners (
    action_id         VARCHAR NOT NULL,
    partner_id        VARCHAR NOT NULL,
    role              VARCHAR NOT NULL,         -- pilot | partner
    contract_id       VARCHAR NOT NULL,         -- the action's contract, to count partners per territory fast
    name              VARCHAR NOT NULL,         -- the partner's name in this action (partners.name: the first)
    PRIMARY KEY (action_id, partner_id)
);

CREATE TABLE IF NOT EXISTS action_publics (
    action_id         VARCHAR NOT NULL,
    public            VARCHAR NOT NULL,         -- label of pipeline/rules/publics.yaml
    PRIMARY KEY (action_id, public)
);

CREATE TABLE IF NOT EXISTS action_themes (
    action_id         VARCHAR NOT NULL,
    theme             VARCHAR NOT NULL,
    rank              INTEGER NOT NULL,         -- 1 = most specific
    evidence          VARCHAR NOT NULL,         -- the words that gave the theme, and where
    PRIMARY KEY (action_id, theme)
);

CREATE TABLE IF NOT EXISTS axis_themes (
    axis_id           VARCHAR NOT NULL,
    theme             VARCHAR NOT NULL,
    rank              INTEGER NOT NULL,
    evidence          VARCHAR NOT NULL,
    PRIMARY KEY (axis_id, theme)
);

CREATE TABLE IF NOT EXISTS indicators (
    indicator_id      VARCHAR PRIMARY KEY,      -- <contract_id>:in:<ordinal>
    contract_id       VARCHAR NOT NULL,
    label             VARCHAR NOT NULL,
    value             DOUBLE NOT NULL,
    unit              VARCHAR NOT NULL,
    year              INTEGER,
    page              INTEGER,
    bbox              DOUBLE[],
    extractor_version VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS governance (
    contract_id       VARCHAR NOT NULL,
    body              VARCHAR NOT NULL,         -- Comité de pilotage, Comité technique, …
    acronym           VARCHAR,
    pages             INTEGER[],
    PRIMARY KEY (contract_id, body)
);

-- Personal data: names, e-mails, phone numbers. Not exported unless `clsdata export --with-contacts`.
CREATE TABLE IF NOT EXISTS contacts (
    contract_id       VARCHAR NOT NULL,
    kind              VARCHAR NOT NULL,         -- person | email | phone
    value             VARCHAR NOT NULL,
    role              VARCHAR,
    page              INTEGER,
    PRIMARY KEY (contract_id, kind, value)
);

-- The steps of an action's fiche ("Etape 2 : …", "Opération 1 : …"): part of the action, never actions.
CREATE TABLE IF NOT EXISTS action_steps (
    action_id         VARCHAR NOT NULL,
    ordinal           INTEGER NOT NULL,         -- order in the fiche, from 0
    contract_id       VARCHAR NOT NULL,
    title             VARCHAR NOT NULL,         -- without 'Etape N :'
    years             INTEGER[] NOT NULL,       -- years its own échéance names
    schedule          VARCHAR,                  -- its échéance as printed
    PRIMARY KEY (action_id, ordinal)
);

CREATE TABLE IF NOT EXISTS action_years (
    action_id         VARCHAR NOT NULL,
    year              INTEGER NOT NULL,
    PRIMARY KEY (action_id, year)
);

CREATE TABLE IF NOT EXISTS contract_partners (
    contract_id       VARCHAR NOT NULL,
    partner           VARCHAR NOT NULL,
    acronym           VARCHAR,
    mentions          INTEGER NOT NULL,
    pages             INTEGER[],
    PRIMARY KEY (contract_id, partner)
);

CREATE TABLE IF NOT EXISTS contract_publics (
    contract_id       VARCHAR NOT NULL,
    public            VARCHAR NOT NULL,
    mentions          INTEGER NOT NULL,
    pages             INTEGER[],
    PRIMARY KEY (contract_id, public)
);

-- How each page's text was read (issue #8): its text layer, or OCR, and why.
-- The outline of each document (issue #16): its sections, the role each was given and why (pipeline/outline.py).
CREATE TABLE IF NOT EXISTS sections (
    document_id       VARCHAR NOT NULL,
    ordinal           INTEGER NOT NULL,
    title             VARCHAR NOT NULL,         -- the section's heading as printed ('' for the front matter)
    level             DOUBLE NOT NULL,          -- heading level, 1 = top (0 for the front matter)
    role              VARCHAR NOT NULL,         -- toc | preamble | context | diagnostic | overview | plan | governance | signatures | annex | aside | body
    evidence          VARCHAR NOT NULL,         -- why that role: the heading's words, the content, the enclosing section
    first_page        INTEGER NOT NULL,
    last_page         INTEGER NOT NULL,
    PRIMARY KEY (document_id, ordinal)
);

CREATE TABLE IF NOT EXISTS pages (
    document_id       VARCHAR NOT NULL,
    page              INTEGER NOT NULL,
    triage            VARCHAR NOT NULL,         -- ok | missing | unusable | empty (the text layer)
    reason            VARCHAR NOT NULL,         -- why not ok, in words ('' when ok)
    method            VARCHAR NOT NULL,         -- text | ocr | none (blank, or OCR unavailable/failed)
    ocr_confidence    DOUBLE,                   -- OCR pages: mean word confidence 0-100
    words             INTEGER NOT NULL,
    PRIMARY KEY (document_id, page)
);

CREATE TABLE IF NOT EXISTS quarantine (
    path              VARCHAR PRIMARY KEY,
    sha256            VARCHAR,
    reason            VARCHAR NOT NULL,
    detail            VARCHAR,
    extractor_version VARCHAR NOT NULL,
    quarantined_at    TIMESTAMP NOT NULL
);

-- Runs of the ingest flow (`clsdata status`) and the HTTP state of each registered URL (conditional requests).
CREATE TABLE IF NOT EXISTS runs (
    run_id            VARCHAR PRIMARY KEY,
    started_at        TIMESTAMP NOT NULL,
    finished_at       TIMESTAMP,
    extractor_version VARCHAR NOT NULL,
    loaded            INTEGER,
    unchanged         INTEGER,
    quarantined       INTEGER,
    failed            INTEGER,
    status            VARCHAR NOT NULL          -- running | ok | failed | aborted
);


CREATE TABLE IF NOT EXISTS fetches (
    url               VARCHAR PRIMARY KEY,
    etag              VARCHAR,
    last_modified     VARCHAR,
    sha256            VARCHAR,
    raw_path          VARCHAR,
    fetched_at        TIMESTAMP NOT NULL
);

-- Loaded documents whose source file is gone (deleted or moved): `clsdata run` and `clsdata status` report them.
-- The documents' rows stay (history); a file that comes back is taken off the list.
CREATE TABLE IF NOT EXISTS missing_sources (
    path              VARCHAR PRIMARY KEY,
    document_id       VARCHAR NOT NULL,
    noticed_at        TIMESTAMP NOT NULL,
    run_id            VARCHAR NOT NULL
);
