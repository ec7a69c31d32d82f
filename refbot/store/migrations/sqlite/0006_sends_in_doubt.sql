-- Sends whose outcome is unknown. A send that timed out, lost its connection, or was cut
-- off by a crash between WhatsApp's answer and the row recording it may have been taken by
-- WhatsApp. Such a row is 'unsure' (a new outbox state) from unsure_since: it is not sent
-- again at once but waits (whatsapp.unsure_wait_seconds) for a status webhook. Each send
-- carries biz_opaque_callback_data naming its row, and WhatsApp echoes it in every status,
-- so the status settles the row even though its wamid was never written down.
-- A 'sending' row gets unsure_since as its request leaves: after a crash, only those rows
-- are unsure; the rest of a claimed batch never left and is simply pending again.
ALTER TABLE outbox ADD COLUMN unsure_since REAL;

-- A status that arrives while its send is still in flight waits in early_statuses, as
-- before; its callback data lets a send that then ends unsure be settled by it.
ALTER TABLE early_statuses ADD COLUMN callback TEXT NOT NULL DEFAULT '';
CREATE INDEX early_statuses_callback ON early_statuses (callback);
