"""Evaluation against synthetic ground truth: the only platform code allowed to read truth/."""
