"""The hub on PostgreSQL: PostgreSQL holds what every hub process must agree on (the log,
receipts, disclosures, versions, nonces, the change stream); each process keeps a private
SQLCipher replica that the rules read.

psycopg is an optional dependency (``pip install 'imi-cli[postgresql]'``): it is imported only
inside this package, and only when a database is used (``connect.require_psycopg``).
"""
