-- +goose Up
-- Each entry's NATS subject and Yaosu-Signature header as published, and what the appender
-- found when it checked the signature with the event keys. The leaf hash stays over data
-- alone, so the log still equals the stream byte for byte; auditors check the signatures
-- offline. NULL authenticity: not checked (no keys configured, or appended before this).
ALTER TABLE entries
    ADD COLUMN subject      text,
    ADD COLUMN signature    text,
    ADD COLUMN signer       text,
    ADD COLUMN authenticity text CONSTRAINT entries_authenticity_check
        CHECK (authenticity IN ('verified', 'unsigned', 'unknown_key', 'bad_signature', 'wrong_owner'));

-- +goose Down
-- Forward-only.
