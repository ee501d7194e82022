"""The log: the SQLCipher store, keys and unlock, migrations, events, the journal, projections, the clock."""
