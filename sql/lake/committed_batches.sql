-- Every batch whose move to the lake committed.
-- params: none
-- grain: batch
SELECT batch FROM lake_batches
