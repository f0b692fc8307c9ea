-- lotty.connect(): an empty decisions_hot table (readers outside the server see the lake only).
-- params: none
CREATE TABLE decisions_hot AS SELECT * FROM decisions_empty
