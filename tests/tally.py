"""Counts the security tests report at the end of a run (README, Security)."""

import collections

counts = collections.Counter()
