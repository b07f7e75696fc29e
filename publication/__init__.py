"""Publication: the gated marts, copied to a read-only artifact for BI tools, swapped in atomically."""
