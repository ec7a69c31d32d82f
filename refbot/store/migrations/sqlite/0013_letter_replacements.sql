-- One valid clearance letter per patron: a re-issue names the letter it replaces, and the
-- replaced letter says by which (verification codes, as printed on each letter).
ALTER TABLE letters ADD COLUMN replaces TEXT NOT NULL DEFAULT '';
ALTER TABLE letters ADD COLUMN replaced_by TEXT NOT NULL DEFAULT '';
-- A patron's open request and valid letter are looked up on every BEBASPUSTAKA.
CREATE INDEX letters_patron ON letters (patron, status);
CREATE INDEX service_requests_patron ON service_requests (patron, kind, status);
