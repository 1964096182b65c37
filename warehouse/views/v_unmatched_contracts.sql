-- v_unmatched_contracts: contracts (not overviews) whose territory has no official match: ambiguous (the
-- candidates are listed), unmatched, or not read from the document at all. `clsdata status` lists them.
CREATE OR REPLACE VIEW v_unmatched_contracts AS
SELECT c.contract_id, c.territory_id, c.territory, c.status,
       coalesce(t.match_status, 'unmatched') AS match_status,
       coalesce(t.match_reason, 'the document''s territory was not read') AS match_reason,
       t.candidates
FROM contracts c LEFT JOIN territories t ON t.territory_id = c.territory_id
WHERE c.document_kind = 'contract' AND coalesce(t.match_status, 'unmatched') <> 'matched';
