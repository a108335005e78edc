"""Score network (loss-net) for binary image segmentation: the DVN-style CNN (``seal-method.md`` B.4).

``S(x, y)``: input ``concat(image (3 channels), foreground probability y (1 channel))``::

    Conv5x5(4 -> 64, s1, p2) ReLU -> Conv5x5(64 -> 128, s2, p2) ReLU -> Conv5x5(128 -> 128, s2, p2) ReLU
    -> flatten (128 * H/4 * W/4) -> FC 384 ReLU -> Dropout(0.25) -> FC 192 ReLU -> FC 1

A **score** (higher is better, ``S = -E``), with no local/global split. The first convolution is linear in
its input channels, so it is evaluated as ``conv_image(x) + conv_mask(y)`` with the two slices of one
``Conv2d(4, 64)`` weight: the image part is computed once per image and shared by its ``K`` candidate
masks (the result equals the concatenated convolution up to float rounding).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["SegmentationScoreNet"]


class SegmentationScoreNet(nn.Module):
    """CNN score ``S(x, y)`` over ``[image ; foreground mask]`` (architecture in the module docstring).

    Source: the DVN paper's segmentation energy network (Gygli, Norouzi & Angelova, ICML 2017) as configured in
    SEAL's ``weizmann-horse-seg`` score-nn (``seal-method.md`` B.4).

    Args:
        in_channels: image channels (3).
        image_size: side of the (square) crops it scores (24); fixes the flattened width ``128 * (size/4)^2``.
        dropout: dropout after the 384-unit layer (0.25).

    Shapes:
        ``x`` ``(B, C, H, W)``; ``y`` ``(B, H, W)`` -> ``(B,)`` or ``(B, K, H, W)`` -> ``(B, K)``.

    Raises:
        ValueError: ``image_size`` not a multiple of 4 (at construction); at call time, ``y`` not 3-D or 4-D,
            crops whose side is not ``image_size``, or a different number of images in ``x`` and ``y``.
    """

    def __init__(self, in_channels: int = 3, image_size: int = 24, dropout: float = 0.25) -> None:
        super().__init__()
        if image_size % 4:
            raise ValueError(f"image_size must be a multiple of 4, got {image_size}")
        self.in_channels = in_channels
        self.image_size = image_size
        self.conv1 = nn.Conv2d(in_channels + 1, 64, 5, stride=1, padding=2)
        self.conv2 = nn.Conv2d(64, 128, 5, stride=2, padding=2)
        self.conv3 = nn.Conv2d(128, 128, 5, stride=2, padding=2)
        flat = 128 * (image_size // 4) ** 2
        self.fc1 = nn.Linear(flat, 384)
        self.dropout = nn.Dropout(dropout)
        self.fc2 = nn.Linear(384, 192)
        self.fc3 = nn.Linear(192, 1)

    def image_features(self, x: torch.Tensor) -> torch.Tensor:
        """The image part of the first convolution (with its bias): ``(B, 64, H, W)``."""
        return F.conv2d(x, self.conv1.weight[:, : self.in_channels], self.conv1.bias, padding=2)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Score-net protocol (:mod:`seal.core.score_net`): the context is :meth:`image_features` ``(B, 64, H, W)``."""
        return self.image_features(x)

    def score(self, ctx: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Score-net protocol: scores of masks ``y`` ``(B, K, H, W)`` -> ``(B, K)`` (``(B, H, W)`` -> ``(B,)``)
        from the context of :meth:`encode`."""
        return self.forward(None, y, ctx)

    def forward(self, x: torch.Tensor | None, y: torch.Tensor, image_features: torch.Tensor | None = None) -> torch.Tensor:
        """Scores of masks ``y`` for images ``x`` (``image_features`` may be passed precomputed; ``x`` is then unused)."""
        single = y.dim() == 3
        yk = y.unsqueeze(1) if single else y
        if yk.dim() != 4:
            raise ValueError(f"y must be (B, H, W) or (B, K, H, W), got {tuple(y.shape)}")
        B, K, H, W = yk.shape
        if (H, W) != (self.image_size, self.image_size):
            raise ValueError(f"SegmentationScoreNet was built for {self.image_size}x{self.image_size} inputs, got {H}x{W}")
        feats = self.image_features(x) if image_features is None else image_features
        if feats.shape[0] != B:
            raise ValueError(f"x has {feats.shape[0]} images but y has {B}")
        mask_part = F.conv2d(yk.reshape(B * K, 1, H, W).to(feats.dtype), self.conv1.weight[:, self.in_channels :], padding=2)
        h = F.relu(mask_part.view(B, K, -1, H, W) + feats.unsqueeze(1)).view(B * K, -1, H, W)
        h = F.relu(self.conv2(h))
        h = F.relu(self.conv3(h))
        h = self.dropout(F.relu(self.fc1(h.flatten(1))))
        h = F.relu(self.fc2(h))
        s = self.fc3(h).view(B, K)
        return s[:, 0] if single else s
