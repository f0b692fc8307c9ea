-- Points the reading views at the lake files of the events table (the views read this variable).
-- params: files VARCHAR[] (never empty: the table's empty schema file is always last)
SET VARIABLE lake_events = $files
