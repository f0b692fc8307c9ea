-- lotty.connect(): an empty events_hot table (readers outside the server see the lake only).
-- params: none
CREATE TABLE events_hot AS SELECT * FROM events_empty
