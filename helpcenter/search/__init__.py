"""Search of the help center: one API over PostgreSQL full-text search and SQLite FTS5.

``index`` keeps the index in step with articles and topics; ``engine.search`` answers a query for a
viewer. See docs/helpcenter.md for why the engines are used this way.
"""
