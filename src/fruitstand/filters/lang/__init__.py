"""Helpers of the `langid` step: language codes, script detection, the two-stage identifier."""
