"""Track preparation: clean sentinel values and duplicates, split MMSIs into plausible tracks."""

from sanctionwatch.tracks.prepare import PreparedTracks, PrepareParams, prepare_tracks

__all__ = ["PrepareParams", "PreparedTracks", "prepare_tracks"]
