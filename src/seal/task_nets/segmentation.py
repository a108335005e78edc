"""Task-net for binary image segmentation: the DVN paper's FCN (``weizmann-horse-seg``, ``seal-method.md`` B.4).

::

    x1 = ReLU(Conv5x5(3 -> 64, stride 1, pad 2))      # H   x W   (24 x 24 on training crops)
    x2 = ReLU(Conv5x5(64 -> 128, stride 2, pad 2))    # H/2 x W/2
    x3 = ReLU(Conv5x5(128 -> 128, stride 2, pad 2))   # H/4 x W/4
    h_k = Conv1x1(-> 2)(x_k),  k = 1, 2, 3            # per-scale 2-class heads
    x4 = Deconv4x4(2 -> 2, stride 2, pad 1, no bias)(h3) + h2
    logits = Deconv4x4(2 -> 2, stride 2, pad 1, no bias)(x4) + h1     # (B, 2, H, W)

Channel 0 is background, channel 1 foreground; the relaxed output handed to the loss-net is the foreground
softmax probability ``p = softmax(logits)[:, 1] = sigmoid(z_1 - z_0)`` (A.1). ``H`` and ``W`` must be
multiples of 4. Parameters use PyTorch's default initialisation.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["FCNSegmenter", "foreground_logit", "foreground_probs"]


class FCNSegmenter(nn.Module):
    """FCN task-net ``(B, 3, H, W) -> (B, 2, H, W)`` logits (architecture in the module docstring).

    Source: the fully convolutional network of the DVN paper's Weizmann experiments (Gygli, Norouzi & Angelova,
    ICML 2017), as configured for SEAL's ``weizmann-horse-seg`` task-net (``seal-method.md`` B.4).

    Args:
        in_channels: image channels (3, RGB in [0, 1]).
        num_classes: output channels (2: background, foreground).
    """

    def __init__(self, in_channels: int = 3, num_classes: int = 2) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 64, 5, stride=1, padding=2)
        self.conv2 = nn.Conv2d(64, 128, 5, stride=2, padding=2)
        self.conv3 = nn.Conv2d(128, 128, 5, stride=2, padding=2)
        self.head1 = nn.Conv2d(64, num_classes, 1)
        self.head2 = nn.Conv2d(128, num_classes, 1)
        self.head3 = nn.Conv2d(128, num_classes, 1)
        self.up3 = nn.ConvTranspose2d(num_classes, num_classes, 4, stride=2, padding=1, bias=False)
        self.up2 = nn.ConvTranspose2d(num_classes, num_classes, 4, stride=2, padding=1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` images -> ``(B, 2, H, W)`` logits.

        Raises:
            ValueError: ``x`` is not 4-D or ``H`` / ``W`` is not a multiple of 4 (two stride-2 stages).
        """
        if x.dim() != 4 or x.shape[-1] % 4 or x.shape[-2] % 4:
            raise ValueError(f"FCNSegmenter expects (B, C, H, W) with H, W multiples of 4, got {tuple(x.shape)}")
        x1 = F.relu(self.conv1(x))
        x2 = F.relu(self.conv2(x1))
        x3 = F.relu(self.conv3(x2))
        x4 = self.up3(self.head3(x3)) + self.head2(x2)
        return self.up2(x4) + self.head1(x1)


def foreground_logit(logits: torch.Tensor) -> torch.Tensor:
    """Foreground log-odds ``z_1 - z_0`` ``(B, H, W)`` of 2-class logits ``(B, 2, H, W)``: ``sigmoid`` of it is ``p``."""
    return logits[:, 1] - logits[:, 0]


def foreground_probs(logits: torch.Tensor) -> torch.Tensor:
    """Foreground probability ``softmax(logits)[:, 1]`` ``(B, H, W)``."""
    return torch.softmax(logits, dim=1)[:, 1]
