"""`make publish`: the built site to S3 in a safe order (not a Pelican plugin)."""
