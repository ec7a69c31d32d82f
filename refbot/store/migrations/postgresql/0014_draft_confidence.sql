-- How sure refbot was of a draft when it made it (strong / partial / weak and what was
-- missing), as JSON; '' on drafts made before refbot judged them.
ALTER TABLE drafts ADD COLUMN confidence TEXT NOT NULL DEFAULT '';
