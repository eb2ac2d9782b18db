"""Counts the security tests report at the end of a run (docs/security.md)."""

import collections

counts = collections.Counter()
