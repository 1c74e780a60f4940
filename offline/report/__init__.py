"""Everything the preview prints or writes: the text and markdown reports, the JSON totals, artifacts."""
