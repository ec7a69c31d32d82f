-- Delivery statuses that arrive before the send call that caused them has returned.
-- WhatsApp may post "delivered" (or "failed") for a wamid refbot has not written down yet;
-- they wait here and are applied when the send is recorded.
CREATE TABLE early_statuses (
    wamid   TEXT NOT NULL,
    status  TEXT NOT NULL,
    errors  TEXT NOT NULL DEFAULT '',
    at      REAL NOT NULL
);
CREATE INDEX early_statuses_wamid ON early_statuses (wamid);
