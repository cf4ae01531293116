"""The citizen's access journal: who read or changed their data, ids only."""
