-- Journal segments already applied to the fact tables: the apply transaction records them, so a
-- crash between the commit and the file's deletion never applies a segment twice.

CREATE TABLE journal_applied (
    segment    BIGINT PRIMARY KEY,
    applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
