"""Deduplication steps, all whole-corpus (`GlobalStep`): `exact_dedup` (normalised text
hash), `minhash_dedup` (MinHash-LSH near-duplicates) and `line_dedup` (boilerplate lines).

They share normalisation and shingle hashing (`shingles`), sorted runs on disk that bound
memory (`runs`), a NumPy union-find (`clusters`), incremental runs against an earlier
run's index (`reference`) and the duplicate-pair sample of the manifest (`report`).
"""
