"""The subscription backend of the council noticeboard.

For now it serves the built site on one local port (``python -m subscriber_lambda serve``);
the subscription routes under /subscriptions/ are added on the same server.
"""
