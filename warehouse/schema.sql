-- clsdata warehouse schema (DuckDB). Idempotent: run on every connection that writes.
-- Keys are derived from the document's sha256 and the item's position, so they are stable across re-runs
-- of the same extractor on the same bytes.

CREATE TABLE IF NOT EXISTS documents (
    document_id       VARCHAR PRIMARY KEY,      -- sha256 of the file's bytes
    path              VARCHAR NOT NULL,
    media_type        VARCHAR NOT NULL,
    pages             INTEGER NOT NULL,
    extractor_version VARCHAR NOT NULL,
    schema_version    VARCHAR NOT NULL,
    loaded_at         TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS contracts (
    contract_id       VARCHAR PRIMARY KEY,      -- = document_id (one contract, or overview, per document)
    document_id       VARCHAR NOT NULL,
    document_kind     VARCHAR NOT NULL CHECK (document_kind IN ('contract', 'overview')),
    territory         VARCHAR,
    period_start      INTEGER,
    period_end        INTEGER,
    signed_on         DATE,
    declared_axes     INTEGER,
    declared_actions  INTEGER,
    warnings          JSON,
    extractor_version VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS axes (
    axis_id           VARCHAR PRIMARY KEY,      -- <contract_id>:ax:<ordinal>
    contract_id       VARCHAR NOT NULL,
    ordinal           INTEGER NOT NULL,
    number            VARCHAR,
    title             VARCHAR NOT NULL,
    page              INTEGER,
    bbox              DOUBLE[4],                -- x0, top, x1, bottom in PDF points (null for HTML)
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
    bbox              DOUBLE[4],
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
    bbox              DOUBLE[4],
    partners          VARCHAR[],
    publics           VARCHAR[],
    extractor_version VARCHAR NOT NULL
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

CREATE TABLE IF NOT EXISTS quarantine (
    path              VARCHAR PRIMARY KEY,
    sha256            VARCHAR,
    reason            VARCHAR NOT NULL,
    detail            VARCHAR,
    extractor_version VARCHAR NOT NULL,
    quarantined_at    TIMESTAMP NOT NULL
);
