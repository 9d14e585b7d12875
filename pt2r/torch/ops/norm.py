"""(Being written: see pt2r/torch/ops/README.md.)"""
