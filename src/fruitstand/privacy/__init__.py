"""Privacy and clean evaluations: `pii` (redact personal data) and `decontaminate` (drop or mask benchmark text)."""
