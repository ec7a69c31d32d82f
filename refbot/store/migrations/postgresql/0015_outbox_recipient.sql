-- A patron's newest message from the desk, found without reading their whole history (a thanks right
-- after an answer gets no reply).
CREATE INDEX outbox_recipient ON outbox (recipient, created_at);
