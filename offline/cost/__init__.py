"""Monthly cost of a preview from a dated Hetzner price table, beside the managed hosting it replaces."""
