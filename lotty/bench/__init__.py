"""`lotty bench <what>`: figures printed beside a baseline measured in the same run, as ratios."""
