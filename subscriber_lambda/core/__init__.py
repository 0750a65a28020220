"""The subscription backend's pure core: tokens, preferences, matching and messages.

No I/O here: the store, mailer and queue adapters and the HTTP routes call these.
"""
