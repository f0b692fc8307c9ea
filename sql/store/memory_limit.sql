-- Caps the memory DuckDB's buffer pool may use: past it, large aggregations and materialised
-- intermediates (a report over tens of millions of events) spill to the database's temporary
-- directory instead of growing the process.
-- params: limit VARCHAR (a DuckDB size such as '3GB')
SET memory_limit = $limit
