-- lotty.connect(): the event_types catalog table from its exported Parquet (registered as event_types_export).
-- params: none
CREATE TABLE event_types AS SELECT * FROM event_types_export
