"""Deterministic demo data for the hotline warehouse (fake but realistically shaped)."""
