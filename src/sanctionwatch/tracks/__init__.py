"""Track preparation: clean sentinel values and duplicates, split MMSIs into plausible tracks."""

from sanctionwatch.tracks.prepare import PrepareParams, PreparedTracks, prepare_tracks

__all__ = ["PrepareParams", "PreparedTracks", "prepare_tracks"]
