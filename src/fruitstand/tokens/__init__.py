"""Token shards for training: `fruitstand tokenize` (run.py), the BPE (bpe.py), the shard files (shards.py)."""
