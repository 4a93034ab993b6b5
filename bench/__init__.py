"""`flux bench`: every scenario measures its baseline in the same run, alternating."""
