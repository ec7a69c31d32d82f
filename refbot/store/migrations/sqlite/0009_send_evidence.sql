-- What the sender needs to keep each person's messages in order and to send a message in
-- doubt again only on evidence (refbot/delivery/sender.py).
-- left_at: when the row's latest request left for WhatsApp (set as it leaves).
-- status_at: when the first status webhook about the row was applied (or kept early for it).
-- An unsure row whose request left before that of a row WhatsApp has already reported on, and
-- still has no status of its own, was most likely never taken: that is the evidence.
-- doubts: how many times the row was sent again while in doubt (whatsapp.max_attempts caps it).
ALTER TABLE outbox ADD COLUMN left_at REAL;
ALTER TABLE outbox ADD COLUMN status_at REAL;
ALTER TABLE outbox ADD COLUMN doubts INTEGER NOT NULL DEFAULT 0;
-- The latest send WhatsApp has reported on: MAX(left_at) over reported rows, by index.
CREATE INDEX outbox_reported ON outbox (left_at) WHERE status_at IS NOT NULL;
