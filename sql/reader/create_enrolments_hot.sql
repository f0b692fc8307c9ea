-- lotty.connect(): an empty enrolments_hot table (readers outside the server see the lake only).
-- params: none
CREATE TABLE enrolments_hot AS SELECT * FROM enrolments_empty
