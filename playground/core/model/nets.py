"""SequenceModel: input encoder -> sequence core -> output head.

One class covers every architecture the app offers, built from a ModelConfig
and the shape of the task (characters or values in; characters or a value out;
an output at every step or one at the end). Training always runs torch's fused
layers (nn.RNN/LSTM/GRU, cuDNN on a GPU); the step-by-step cells in
``cells.py`` only re-run one probe sequence for inspection.
"""

from __future__ import annotations

import itertools

import torch
import torch.nn as nn
import torch.nn.functional as F

from playground.core.config import ModelConfig
from playground.core.errors import PlaygroundError

MAX_LEN = 1024  # longest sequence the Transformer's learned positions cover
ATTENTION_DIM = 64  # query and key width of a recurrent model's attention over its past


def check_compatible(cfg: ModelConfig, many_to_many: bool, kind: str) -> None:
    """Refuse combinations that would cheat or cannot work."""
    if cfg.bidirectional and many_to_many:
        raise PlaygroundError(
            f"a bidirectional model cannot predict the next character of {kind}: its backward half "
            "would read the answer from the future; choose unidirectional"
        )


class SequenceModel(nn.Module):
    def __init__(
        self,
        cfg: ModelConfig,
        n_inputs: int,
        n_outputs: int,
        tokens: bool,
        many_to_many: bool,
        bag_of_words: bool = False,
    ):
        super().__init__()
        cfg.validate()
        self.cfg = cfg
        self.tokens = tokens  # characters (ids) in, else one float per step
        self.many_to_many = many_to_many  # an output at every step, else one at the end
        # Feed-forward only: read the mean of the inputs so far instead of a window, so the
        # network knows which tokens occurred but not in what order (the bag-of-words reference).
        self.bag_of_words = bag_of_words and cfg.arch == "mlp"
        h, d = cfg.hidden, cfg.directions

        # Input encoder: a learned vector per character; values go in as they are.
        self.embed = nn.Embedding(n_inputs, cfg.embed) if tokens else None
        in_size = cfg.embed if tokens else n_inputs

        if cfg.arch in ("rnn", "lstm", "gru"):
            kwargs = dict(
                input_size=in_size,
                hidden_size=h,
                num_layers=cfg.layers,
                batch_first=True,
                bidirectional=cfg.bidirectional,
                dropout=cfg.dropout if cfg.layers > 1 else 0.0,
            )
            if cfg.arch == "rnn":
                self.core = nn.RNN(nonlinearity=cfg.activation, **kwargs)
            elif cfg.arch == "lstm":
                self.core = nn.LSTM(**kwargs)
            else:
                self.core = nn.GRU(**kwargs)
            feat = h * d
            if cfg.attention:  # the readout also reads a mix of the states so far (``attend``)
                self.att_query = nn.Linear(h, ATTENTION_DIM)
                self.att_key = nn.Linear(h, ATTENTION_DIM)
                self.att_value = nn.Linear(h, h)
                feat = 2 * h
        elif cfg.arch == "transformer":
            self.in_proj = nn.Linear(in_size, h)
            self.pos = nn.Parameter(torch.zeros(MAX_LEN, h))
            nn.init.normal_(self.pos, std=0.02)
            self.core = nn.ModuleList(
                nn.TransformerEncoderLayer(
                    d_model=h,
                    nhead=cfg.heads,
                    dim_feedforward=2 * h,
                    dropout=cfg.dropout,
                    batch_first=True,
                    norm_first=True,
                )
                for _ in range(cfg.layers)
            )
            self.norm = nn.LayerNorm(h)
            feat = h
        else:  # mlp: a fixed window of past inputs (or their mean), no recurrence
            sizes = [in_size if self.bag_of_words else cfg.window * in_size] + [h] * cfg.layers
            self.core = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(sizes))
            self.drop = nn.Dropout(cfg.dropout)
            feat = h
        self.head = nn.Linear(feat, n_outputs)
        init_weights(self, cfg.init)

    @property
    def recurrent(self) -> bool:
        return self.cfg.arch in ("rnn", "lstm", "gru")

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        # x (B, T) ids or (B, T, 1) values -> (B, T, E)
        return self.embed(x) if self.embed is not None else x

    @property
    def attends(self) -> bool:
        """A recurrent core with attention over its own past states (``ModelConfig.attention``)."""
        return self.recurrent and self.cfg.attention

    def attend(self, feats: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Causal dot-product attention over the core's states (B, T, H): at step t a softmax over
        the steps 0..t of query(h_t) . key(h_j), and the context, that mix of value(h_j).
        Returns (context (B, T, H), weights (B, T, T), zero above the diagonal)."""
        t = feats.shape[1]
        scores = self.att_query(feats) @ self.att_key(feats).transpose(1, 2) / ATTENTION_DIM**0.5
        future = torch.ones(t, t, dtype=torch.bool, device=feats.device).triu(1)
        weights = torch.softmax(scores.masked_fill(future, float("-inf")), dim=-1)
        return weights @ self.att_value(feats), weights

    def readout(self, feats: torch.Tensor) -> torch.Tensor:
        """Features (B, T, F) -> outputs: (B, T, O) at every step, or (B, O) at the end."""
        if self.attends:
            feats = torch.cat([feats, self.attend(feats)[0]], dim=-1)
        if self.many_to_many:
            return self.head(feats)
        if self.recurrent and self.cfg.bidirectional:
            # The forward half has read everything at the last step, the backward half at the first.
            h = self.cfg.hidden
            last = torch.cat([feats[:, -1, :h], feats[:, 0, h:]], dim=-1)
        else:
            last = feats[:, -1]
        return self.head(last)

    def features(self, e: torch.Tensor, state=None):
        """Core over encoded inputs (B, T, E): (features (B, T, F), new state, per-layer outputs or None)."""
        if self.recurrent:
            out, state = self.core(e, state)
            return out, state, None
        if self.cfg.arch == "transformer":
            t = e.shape[1]
            if t > MAX_LEN:
                raise PlaygroundError(f"the Transformer reads at most {MAX_LEN} steps, got {t}")
            z = self.in_proj(e) + self.pos[:t]
            mask = (
                None
                if self.cfg.bidirectional
                else nn.Transformer.generate_square_subsequent_mask(t, device=e.device, dtype=z.dtype)
            )
            layers = []
            for layer in self.core:
                z = layer(z, src_mask=mask, is_causal=mask is not None)
                layers.append(z)
            return self.norm(z), None, layers
        if self.bag_of_words:  # mlp over the mean of the inputs 0..t: the same for any order
            steps = torch.arange(1, e.shape[1] + 1, device=e.device, dtype=e.dtype)
            z = e.cumsum(dim=1) / steps[None, :, None]  # (B, T, E)
        else:  # mlp: at each step, the last `window` inputs (zeros before the start), flattened.
            w = self.cfg.window
            padded = F.pad(e, (0, 0, w - 1, 0))  # (B, T + w - 1, E)
            z = padded.unfold(1, w, 1)  # (B, T, E, w)
            z = z.transpose(2, 3).reshape(e.shape[0], e.shape[1], -1)  # (B, T, w*E), oldest first
        act = torch.relu if self.cfg.activation == "relu" else torch.tanh
        layers = []
        for lin in self.core:
            z = self.drop(act(lin(z)))
            layers.append(z)
        return z, None, layers

    def forward(self, x: torch.Tensor, state=None):
        """x (B, T) ids or (B, T, 1) values -> (outputs, state). State carries RNN memory between calls
        (attention, where on, looks back over this call's steps only: callers re-read the context)."""
        feats, state, _ = self.features(self.encode(x), state)
        return self.readout(feats), state

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())


FORGET_BIAS = 1.0  # an LSTM's forget-gate bias at the start (default init)


def init_weights(model: SequenceModel, scheme: str) -> None:
    """Weight initialisation schemes: each is a lesson about gradients through time.

    "default" is torch's initialisation, except that an LSTM's forget-gate bias starts at
    ``FORGET_BIAS`` (Gers et al. 2000; Jozefowicz et al. 2015; Keras does the same). With
    torch's bias near 0 the forget gate starts half shut, the cell keeps about 0.5**t of what
    it saw t steps ago, and an LSTM learns long gaps no sooner than a vanilla RNN (the
    ``memory`` lesson at gap 20 shows it). The other schemes set every bias to 0, as they say.
    """
    if scheme == "default":
        if model.cfg.arch == "lstm":
            hsz = model.cfg.hidden
            with torch.no_grad():
                for name, p in model.core.named_parameters():
                    if name.startswith("bias_ih"):  # gates stacked i, f, g, o
                        p[hsz : 2 * hsz] += FORGET_BIAS
        return
    core = model.core
    with torch.no_grad():
        if model.recurrent:
            hsz = model.cfg.hidden
            for name, p in core.named_parameters():
                if name.startswith("bias"):
                    p.zero_()
                    continue
                blocks = p.view(-1, hsz, p.shape[1])  # one block per gate
                for blk in blocks:
                    if scheme == "identity":
                        if name.startswith("weight_hh"):
                            blk.copy_(torch.eye(hsz))
                    elif scheme == "xavier":
                        nn.init.xavier_uniform_(blk)
                    elif scheme == "he":
                        nn.init.kaiming_normal_(blk, nonlinearity="relu")
                    elif scheme == "orthogonal":
                        nn.init.orthogonal_(blk)
            return
        for mod in core.modules():
            if isinstance(mod, nn.Linear):
                if scheme == "xavier":
                    nn.init.xavier_uniform_(mod.weight)
                elif scheme == "he":
                    nn.init.kaiming_normal_(mod.weight, nonlinearity="relu")
                elif scheme == "orthogonal":
                    nn.init.orthogonal_(mod.weight)
                if mod.bias is not None:
                    mod.bias.zero_()
