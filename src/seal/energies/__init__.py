"""Score networks (loss-nets / structured energy networks). Every ``forward`` returns a score = −energy."""

from seal.energies.mlc import MLCScoreNet

__all__ = ["MLCScoreNet"]
