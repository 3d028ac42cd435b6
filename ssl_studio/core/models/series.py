"""1-D encoders for (multichannel, irregularly observed) time series.

Both encoders subclass :class:`SeriesEncoder`: ``forward_steps(x, observed, latent_mask)`` gives
one representation per time step, ``[N, T, dim]``, and ``forward(x, observed)`` max-pools it over
the steps that have at least one observed channel, ``[N, dim]``. Any length T >= 1 works.

Input scaling: every encoder first standardizes each channel with the dataset's mean and
standard deviation (``set_input_scaling``; buffers saved with the weights, so checkpoints and
exports carry them; identity until set). Channels in different units (an accelerometer beside
a gyroscope, 12 cepstral coefficients of very different size) then start on an equal footing.

Missing values: ``observed`` ([N, C, T] bool, False = missing or padding; a NaN in ``x`` counts as
missing too) is fed in. Missing values are replaced by 0 and the mask goes in beside them, so a
real 0 and a missing value look different and a NaN can never reach the arithmetic.

- ``TSConvEncoder`` ("ts-conv"), TS2Vec (Yue et al., AAAI 2022): per step, values and the
  observation mask are concatenated, ``[x, observed]`` (2C inputs), and projected to ``hidden``;
  steps with no observed channel, and steps hidden by ``latent_mask``, are zeroed in the latent
  (TS2Vec's NaN and timestamp masking); then dilated residual conv blocks.
- ``PatchTransformerEncoder`` ("ts-patch"), PatchTST (Nie et al., ICLR 2023): each channel is a
  univariate sequence cut into patches; a patch's values and its mask are embedded together; a
  patch with no observed value becomes a learned mask token and is ignored as an attention key.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ssl_studio.core.errors import ConfigError

PIECE_STEPS = 65_536  # steps of a long series evaluated at once (SeriesEncoder.pieces)


class SeriesEncoder(nn.Module):
    """Base of the 1-D encoders: per-step representations and their masked max-pool.

    Subclasses set ``in_channels``, ``dim`` and ``input_proj`` (the first layer) and implement
    :meth:`forward_steps`.
    """

    in_channels: int
    dim: int  # width of the representations
    # the most time steps that share one representation (forward_steps gives every step of
    # a patch its patch's vector): 1 where each step has its own
    steps_per_vector: int = 1
    input_shift: Tensor  # [C]: subtracted from each channel first
    input_scale: Tensor  # [C]: then divided by
    # how many steps on each side a step's representation depends on (None: all of them,
    # as attention does); where known, a long series is evaluated in pieces (PIECE_STEPS)
    reach: int | None = None

    def init_input_scaling(self, in_channels: int) -> None:
        """Identity scaling buffers for ``in_channels`` (call in ``__init__``)."""
        self.register_buffer("input_shift", torch.zeros(in_channels))
        self.register_buffer("input_scale", torch.ones(in_channels))

    def set_input_scaling(self, mean: Tensor, std: Tensor) -> None:
        """Standardize each channel with the dataset's ``mean`` and ``std`` ([C] each)."""
        self.input_shift.copy_(torch.as_tensor(mean, dtype=torch.float32))
        self.input_scale.copy_(torch.as_tensor(std, dtype=torch.float32))

    def scale_input(self, x: Tensor) -> Tensor:
        """x: [N, C, T] -> standardized per channel, same shape (NaN stays NaN)."""
        shift = self.input_shift.to(x.dtype)[None, :, None]
        return (x - shift) / self.input_scale.to(x.dtype)[None, :, None]

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):  # noqa: ANN001, ANN202
        # checkpoints from before input scaling existed were trained on raw values
        for name, value in (("input_shift", 0.0), ("input_scale", 1.0)):
            state_dict.setdefault(prefix + name, torch.full((self.in_channels,), value))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def forward_steps(
        self, x: Tensor, observed: Tensor, latent_mask: Tensor | None = None
    ) -> Tensor:
        """x: [N, C, T] float (0 where missing), observed: [N, C, T] bool, latent_mask: [N, T]
        bool (True = hide the step inside the encoder) -> per-step representations [N, T, dim]."""
        raise NotImplementedError

    def step_offsets(self, length: int, device: torch.device | None = None) -> Tensor:
        """Where each of ``length`` steps lies in the stretch of steps that share its vector:
        [length] long, each in [0, steps_per_vector) (all 0 when every step has its own)."""
        return torch.zeros(length, dtype=torch.long, device=device)

    def forward(self, x: Tensor, observed: Tensor | None = None) -> Tensor:
        """x: [N, C, T], observed: [N, C, T] bool or None (all observed) -> [N, dim].

        The max over the time steps with at least one observed channel (padding never wins); a
        series with nothing observed at all gets zeros. A long series is evaluated in
        pieces where that gives the same numbers (``pieces``), pooled piece by piece.
        """
        if observed is None:
            observed = torch.ones_like(x, dtype=torch.bool)
        valid = self.observed_mask(x, observed).any(1)  # [N, T]
        pooled = None
        for start, stop, steps in self.pieces(x, observed):
            here = valid[:, start:stop, None]
            piece = steps.masked_fill(~here, float("-inf")).amax(1)  # [N, dim]
            pooled = piece if pooled is None else torch.maximum(pooled, piece)
        assert pooled is not None
        return torch.where(valid.any(1, keepdim=True), pooled, torch.zeros_like(pooled))

    def steps_whole(self, x: Tensor, observed: Tensor) -> Tensor:
        """``forward_steps`` of a whole series, evaluated in pieces where that gives the
        same numbers: x, observed [N, C, T] -> [N, T, dim]."""
        return torch.cat([steps for _, _, steps in self.pieces(x, observed)], 1)

    def pieces(self, x: Tensor, observed: Tensor) -> Iterator[tuple[int, int, Tensor]]:
        """(start, stop, the representations [N, stop - start, dim] of steps start..stop)
        covering x [N, C, T] in order. One piece, the whole series, while training,
        tracing for export, for encoders without a known ``reach``, and for series up to
        PIECE_STEPS; else pieces of PIECE_STEPS steps, each computed with ``reach`` steps
        of its neighbours on both sides, so every step sees all it depends on and the
        numbers are those of the whole series (convolutions over a million steps at once
        run many times slower than in pieces on a CPU, and hold gigabytes)."""
        length, reach = x.shape[2], self.reach
        if (
            torch.jit.is_tracing()  # (first: a traced length comparison warns)
            or torch.jit.is_scripting()
            or self.training
            or reach is None
            or length <= PIECE_STEPS + 2 * reach
        ):
            yield 0, length, self.forward_steps(x, observed)
            return
        for start in range(0, length, PIECE_STEPS):
            stop = min(length, start + PIECE_STEPS)
            low, high = max(0, start - reach), min(length, stop + reach)
            steps = self.forward_steps(x[..., low:high], observed[..., low:high])
            yield start, stop, steps[:, start - low : stop - low]

    def observed_mask(self, x: Tensor, observed: Tensor) -> Tensor:
        """Check the shapes; observed & not NaN: [N, C, T] bool."""
        if x.ndim != 3 or x.shape[1] != self.in_channels or x.shape[2] < 1:
            raise ValueError(
                f"Expected a series batch of shape [N, {self.in_channels}, T >= 1], "
                f"got {tuple(x.shape)}."
            )
        if observed.shape != x.shape:
            raise ValueError(
                f"observed has shape {tuple(observed.shape)}, x has {tuple(x.shape)}; "
                "they must match."
            )
        return observed.bool() & ~torch.isnan(x)

    @staticmethod
    def check_latent_mask(latent_mask: Tensor | None, x: Tensor) -> None:
        """latent_mask must be None or [N, T] for x: [N, C, T]."""
        if latent_mask is not None and latent_mask.shape != (x.shape[0], x.shape[2]):
            raise ValueError(
                f"latent_mask has shape {tuple(latent_mask.shape)}; expected "
                f"[N, T] = {[x.shape[0], x.shape[2]]}."
            )


def _require(condition: bool, message: str) -> None:
    """Raise ConfigError(message) unless ``condition``."""
    if not condition:
        raise ConfigError(message)


class DilatedBlock(nn.Module):
    """TS2Vec's residual block: h + conv(GELU(conv(GELU(h)))), kernel 3, "same" padding.

    h: [N, cin, T] -> [N, cout, T]; the residual goes through a 1x1 conv when ``project``.
    """

    def __init__(self, cin: int, cout: int, dilation: int, project: bool = False) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(cin, cout, 3, padding=dilation, dilation=dilation)
        self.conv2 = nn.Conv1d(cout, cout, 3, padding=dilation, dilation=dilation)
        self.projector = nn.Conv1d(cin, cout, 1) if project or cin != cout else None

    def forward(self, h: Tensor) -> Tensor:
        """h: [N, cin, T] -> [N, cout, T]."""
        residual = h if self.projector is None else self.projector(h)
        h = self.conv1(F.gelu(h))
        h = self.conv2(F.gelu(h))
        return h + residual


class TSConvEncoder(SeriesEncoder):
    """TS2Vec's dilated CNN: x: [N, C, T] -> [N, T, dim] per step, [N, dim] pooled.

    Linear(2C -> hidden) per step on ``[x, observed]``; steps with no observed channel or hidden
    by ``latent_mask`` are set to 0; ``depth`` residual blocks at ``hidden`` with dilation 2**i;
    then the final projection to ``dim``, TS2Vec's last block (dilation 2**depth, 1x1 conv on
    the residual); dropout ``dropout`` on the representation while training. The defaults
    (hidden 64, dim 320, depth 10) are TS2Vec's; about 0.64 M parameters for C = 1.
    """

    def __init__(
        self,
        in_channels: int,
        *,
        hidden: int = 64,
        dim: int = 320,
        depth: int = 10,
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        _require(hidden >= 1 and dim >= 1, f"ts-conv: hidden ({hidden}) and dim ({dim}) >= 1.")
        _require(depth >= 0, f"ts-conv: depth must be at least 0, not {depth}.")
        _require(0 <= dropout < 1, f"ts-conv: dropout must be in [0, 1), not {dropout}.")
        self.in_channels, self.dim = in_channels, dim
        self.init_input_scaling(in_channels)
        self.input_proj = nn.Linear(2 * in_channels, hidden)
        self.blocks = nn.Sequential(*(DilatedBlock(hidden, hidden, 2**i) for i in range(depth)))
        self.final = DilatedBlock(hidden, dim, 2**depth, project=True)
        self.dropout = nn.Dropout(dropout)
        # two convolutions of kernel 3 per block, each reaching its dilation to each side
        self.reach = sum(2 * block.conv1.dilation[0] for block in [*self.blocks, self.final])

    def forward_steps(
        self, x: Tensor, observed: Tensor, latent_mask: Tensor | None = None
    ) -> Tensor:
        """x: [N, C, T], observed: [N, C, T] bool, latent_mask: [N, T] bool -> [N, T, dim]."""
        obs = self.observed_mask(x, observed)
        self.check_latent_mask(latent_mask, x)
        values = torch.where(obs, self.scale_input(x), torch.zeros_like(x))
        h = self.input_proj(torch.cat([values, obs.to(values.dtype)], 1).transpose(1, 2))
        hide = ~obs.any(1)  # [N, T]: nothing observed at this step
        if latent_mask is not None:
            hide = hide | latent_mask.bool()
        h = h.masked_fill(hide[..., None], 0.0)  # [N, T, hidden]
        z = self.final(self.blocks(h.transpose(1, 2)))  # [N, dim, T]
        return self.dropout(z.transpose(1, 2))


def sine_positions(length: int, dim: int) -> Tensor:
    """The Transformer's fixed sine/cosine position table: [length, dim]."""
    position = torch.arange(length, dtype=torch.float32)[:, None]
    freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    table = torch.zeros(length, dim)
    table[:, 0::2] = torch.sin(position * freq)
    table[:, 1::2] = torch.cos(position * freq)[:, : dim // 2]
    return table


class PatchTransformerEncoder(SeriesEncoder):
    """PatchTST, channel-independent: x: [N, C, T] -> [N, T, dim] per step, [N, dim] pooled.

    Each channel is cut into ``ceil((T - patch_len) / stride) + 1`` patches (zero-padded at the
    end, the padding unobserved); a patch's values and mask (2 * patch_len inputs) are embedded
    linearly; a patch with nothing observed becomes a learned mask token and is ignored as an
    attention key; positions are learned (or sine) for up to ``max_patches`` patches; then
    ``depth`` pre-norm Transformer layers (4 heads, MLP 4 * dim) and a LayerNorm. Longer inputs
    are cut into windows of ``max_patches`` patches encoded independently (memory stays bounded,
    positions stay in the trained range). Channels are averaged (over those that observed
    something in the patch) and every step gets its patch's vector: the last patch that starts
    at or before it (``step_offsets``: the step's place in that patch, 0 to patch_len - 1;
    with overlapping patches a series' last steps lie past the stride in its last patch;
    ``steps_per_vector`` is patch_len). ``latent_mask`` hides steps by treating them as
    missing, so a patch entirely hidden becomes the mask token (a patch embedding mixes
    steps, so hiding cannot wait until after it).
    """

    heads = 4

    def __init__(
        self,
        in_channels: int,
        *,
        patch_len: int = 8,
        stride: int = 8,
        dim: int = 128,
        depth: int = 3,
        max_patches: int = 512,
        positional: str = "learned",
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        _require(patch_len >= 1, f"ts-patch: patch_len must be at least 1, not {patch_len}.")
        _require(
            1 <= stride <= patch_len,
            f"ts-patch: stride must be between 1 and patch_len ({patch_len}), not {stride}; "
            "a larger stride would leave time steps in no patch.",
        )
        _require(
            dim >= self.heads and dim % self.heads == 0,
            f"ts-patch: dim must be a positive multiple of {self.heads} (heads), not {dim}.",
        )
        _require(depth >= 0, f"ts-patch: depth must be at least 0, not {depth}.")
        _require(max_patches >= 1, f"ts-patch: max_patches must be >= 1, not {max_patches}.")
        _require(
            positional in ("learned", "sine"),
            f"ts-patch: positional must be 'learned' or 'sine', not {positional!r}.",
        )
        _require(0 <= dropout < 1, f"ts-patch: dropout must be in [0, 1), not {dropout}.")
        self.in_channels, self.dim = in_channels, dim
        self.init_input_scaling(in_channels)
        self.patch_len, self.stride, self.max_patches = patch_len, stride, max_patches
        self.input_proj = nn.Linear(2 * patch_len, dim)
        self.mask_token = nn.Parameter(torch.zeros(dim))
        self.pos: Tensor
        if positional == "learned":
            self.pos = nn.Parameter(nn.init.trunc_normal_(torch.empty(max_patches, dim), std=0.02))
        else:
            self.register_buffer("pos", sine_positions(max_patches, dim), persistent=False)
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(
                dim, self.heads, 4 * dim, dropout, "gelu", batch_first=True, norm_first=True
            )
            for _ in range(depth)
        )
        self.norm = nn.LayerNorm(dim)

    def num_patches(self, length: int) -> int:
        """Patches covering ``length`` steps: ceil((length - patch_len) / stride) + 1, at
        least 1. Written with floor divisions of non-negative numbers only, and sym_max, so
        that an exported program (where ``length`` is symbolic and integer division may
        truncate) computes the same count at every length."""
        k = -(-self.patch_len // self.stride)  # shifts the numerator to >= 0
        shifted = length - self.patch_len + self.stride - 1 + k * self.stride
        count = shifted // self.stride - k
        if isinstance(count, Tensor):  # sizes are tensors while torch.jit traces
            return count.clamp(min=0) + 1  # type: ignore[return-value]
        return torch.sym_max(0, count) + 1

    @property
    def steps_per_vector(self) -> int:  # type: ignore[override]
        """Steps of a patch, all of which get its vector: patch_len."""
        return self.patch_len

    def step_patches(self, length: int, device: torch.device | None = None) -> Tensor:
        """The patch whose vector each of ``length`` steps gets: the last one starting at or
        before it, [length] long."""
        steps = torch.arange(length, device=device)
        return (steps // self.stride).clamp(max=self.num_patches(length) - 1)

    def step_offsets(self, length: int, device: torch.device | None = None) -> Tensor:
        """Each step's place in its patch (``step_patches``): [length] long in [0,
        patch_len)."""
        steps = torch.arange(length, device=device)
        return steps - self.step_patches(length, device) * self.stride

    def forward_steps(
        self, x: Tensor, observed: Tensor, latent_mask: Tensor | None = None
    ) -> Tensor:
        """x: [N, C, T], observed: [N, C, T] bool, latent_mask: [N, T] bool -> [N, T, dim]."""
        obs = self.observed_mask(x, observed)
        self.check_latent_mask(latent_mask, x)
        if latent_mask is not None:
            obs = obs & ~latent_mask.bool()[:, None, :]
        n, c, t = x.shape
        count = self.num_patches(t)
        pad = (count - 1) * self.stride + self.patch_len - t
        values = F.pad(torch.where(obs, self.scale_input(x), torch.zeros_like(x)), (0, pad))
        seen = F.pad(obs.to(values.dtype), (0, pad))
        patches = values.unfold(-1, self.patch_len, self.stride)  # [N, C, L, patch_len]
        seen = seen.unfold(-1, self.patch_len, self.stride)
        tokens = self.input_proj(torch.cat([patches, seen], -1))  # [N, C, L, dim]
        empty = seen.sum(-1) == 0  # [N, C, L]: nothing observed in the patch
        tokens = torch.where(empty[..., None], self.mask_token.to(tokens.dtype), tokens)
        z = self.encode(tokens.reshape(n * c, count, self.dim), empty.reshape(n * c, count))
        z = z.reshape(n, c, count, self.dim)
        weight = (~empty).to(z.dtype)  # average the channels that saw something, else all
        weight = torch.where(weight.sum(1, keepdim=True) > 0, weight, torch.ones_like(weight))
        pooled = (z * weight[..., None]).sum(1) / weight.sum(1)[..., None]  # [N, L, dim]
        return pooled[:, self.step_patches(t, x.device)]

    def encode(self, tokens: Tensor, empty: Tensor) -> Tensor:
        """tokens: [B, L, dim], empty: [B, L] bool (ignored as keys) -> [B, L, dim].

        Sequences longer than ``max_patches`` are encoded in independent windows of that size.
        """
        b, length, dim = tokens.shape
        # an exported program has one window size for every length: the largest
        exporting = torch.compiler.is_exporting() or torch.jit.is_tracing()
        window = self.max_patches if exporting else min(length, self.max_patches)
        windows = (length + window - 1) // window
        extra = windows * window - length
        tokens = F.pad(tokens, (0, 0, 0, extra))  # padding is ignored as a key
        empty = F.pad(empty, (0, extra), value=True)
        h = tokens.reshape(b * windows, window, dim) + self.pos[:window].to(tokens.dtype)
        empty = empty.reshape(b * windows, window)
        keys_ignored = empty & ~empty.all(1, keepdim=True)  # all ignored would give NaN
        for layer in self.layers:
            h = layer(h, src_key_padding_mask=keys_ignored)
        return self.norm(h).reshape(b, windows * window, dim)[:, :length]
