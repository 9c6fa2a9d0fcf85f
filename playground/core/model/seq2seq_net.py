"""The encoder-decoder network for knock-knock dialogs: an encoder RNN, a decoder RNN and, optionally,
dot-product attention with input feeding and a copy switch. Only the torch module and greedy or sampled generation;
the data, the settings, training and model files are ``seq2seq.py``'s."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

MAX_REPLY = 120  # characters the decoder may write before it is stopped


class Seq2Seq(nn.Module):
    """Embedding -> encoder RNN -> (final state) -> decoder RNN -> linear head over the vocabulary.

    With ``attention``, the decoder also looks back at every encoder state at each step (dot-product
    attention, Luong's "general" score): it scores each input position against its own state, takes
    the states' weighted mean (the context) and reads the head from its state and the context. The
    context of one step is fed to the next step beside the character (input feeding), so the decoder
    knows where it looked last: copying a name is then "look one character further along". Without
    attention everything the decoder knows about the input is the encoder's final state.

    With ``copy`` (on attention only), attention reads each input letter's embedding beside its
    encoder state, and a switch chooses at each step between the head's character and the letter the
    decoder looks at (a pointer-generator, See et al. 2017). Measured on names it never saw: with
    the switch it copies most of them after 500 steps; without it, it needs four times as many.
    """

    def __init__(
        self,
        n_vocab: int,
        cell: str = "gru",
        embed: int = 32,
        hidden: int = 128,
        layers: int = 1,
        attention: bool = False,
        copy: bool = False,
    ):
        super().__init__()
        rnn = {"gru": nn.GRU, "lstm": nn.LSTM}[cell]
        self.cell = cell
        self.attention = attention
        self.copy = attention and copy
        self.embedding = nn.Embedding(n_vocab, embed, padding_idx=0)
        self.encoder = rnn(embed, hidden, layers, batch_first=True)
        # what attention reads at each input position: the encoder's state there and, with
        # ``copy``, the letter itself (its embedding), so that it can find the letter to copy
        keys = (hidden + (embed if self.copy else 0)) if attention else 0
        self.decoder = rnn(embed + keys, hidden, layers, batch_first=True)
        if attention:
            self.score = nn.Linear(keys, hidden, bias=False)  # s_ti = d_t . W e_i
            self.combine = nn.Linear(hidden + keys, hidden)  # tanh(W [d_t; c_t]) -> the head
        if self.copy:
            self.gate = nn.Linear(hidden + keys + embed, 1)  # p_write = sigmoid(W [d_t; c_t; e_t])
        self.head = nn.Linear(hidden, n_vocab)

    def encode(self, src: torch.Tensor, lengths: torch.Tensor):
        """src (B, S) padded ids, lengths (B,) on the CPU -> (what attention reads at each position
        (B, S, K), final state).

        Packed, so each row's state is taken after its own last character, not after padding.
        Final state: GRU h (L, B, H); LSTM (h, c), each (L, B, H). What attention reads: the
        encoder state, and with ``copy`` the letter's embedding beside it.
        """
        e = self.embedding(src)
        packed = pack_padded_sequence(e, lengths, batch_first=True, enforce_sorted=False)
        out, state = self.encoder(packed)
        states, _ = pad_packed_sequence(out, batch_first=True, total_length=src.shape[1])
        if self.copy:
            states = torch.cat([states, e], dim=-1)
        return states, state

    def _attend(self, d, keys, states, mask):
        """Decoder outputs d (B, 1, H) -> (context (B, 1, H), weights (B, 1, S)); padding gets none."""
        scores = torch.bmm(d, keys.transpose(1, 2)).masked_fill(~mask[:, None, :], -float("inf"))
        weights = torch.softmax(scores, dim=-1)
        return torch.bmm(weights, states), weights

    def _decode(self, states, state, mask, tokens: torch.Tensor, carry, src: torch.Tensor):
        """One or more decoder steps over tokens (B, T) -> (logits (B, T, V), state, carry, weights
        (B, T, S) or None). ``carry``: with attention, the last context and the last weights.

        With ``copy`` the "logits" are log-probabilities of a mix (See et al. 2017's pointer-generator):
        with probability p_write the head's own distribution, else the letter of the input it looks at
        (the attention weights, added up per letter). Log-probabilities are logits of themselves, so
        cross-entropy, argmax and temperature read them as they read logits."""
        e = self.embedding(tokens)
        if not self.attention:
            out, state = self.decoder(e, state)
            return self.head(out), state, None, None
        keys = self.score(states)
        context, last = carry
        logits, weights = [], []
        for t in range(tokens.shape[1]):
            d, state = self.decoder(torch.cat([e[:, t : t + 1], context], dim=-1), state)
            context, last = self._attend(d, keys, states, mask)
            out = self.head(torch.tanh(self.combine(torch.cat([d, context], dim=-1))))
            if self.copy:
                write = torch.sigmoid(self.gate(torch.cat([d, context, e[:, t : t + 1]], dim=-1)))  # (B, 1, 1)
                copied = torch.zeros_like(out).scatter_add_(2, src[:, None, :], last)  # (B, 1, V)
                out = torch.log((write * torch.softmax(out.float(), -1) + (1 - write) * copied).clamp_min(1e-12))
            logits.append(out)
            weights.append(last)
        return torch.cat(logits, dim=1), state, (context, last), torch.cat(weights, dim=1)

    def _start(self, src: torch.Tensor, lengths: torch.Tensor):
        states, state = self.encode(src, lengths)
        mask = torch.arange(src.shape[1], device=src.device)[None, :] < lengths.to(src.device)[:, None]
        carry = (states.new_zeros(src.shape[0], 1, states.shape[-1]), None) if self.attention else None
        return states, state, mask, carry

    def forward(self, src: torch.Tensor, lengths: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        """Teacher forcing: tgt_in (B, T) = START + reply -> logits (B, T, V) for reply + END."""
        states, state, mask, carry = self._start(src, lengths)
        return self._decode(states, state, mask, tgt_in, carry, src)[0]

    @torch.no_grad()
    def generate(
        self,
        src: torch.Tensor,
        lengths: torch.Tensor,
        start: int,
        end: int,
        max_len: int = MAX_REPLY,
        temperature: float = 0.0,
        generator: torch.Generator | None = None,
        weights: list[list[np.ndarray]] | None = None,
    ) -> list[list[int]]:
        """Write a reply for each row of src: greedy (temperature 0) or sampled; stops at END.

        ``weights``, given an empty list and with attention: receives, per row, the attention
        weights (over that row's input characters) of each character written, END included.
        """
        states, state, mask, carry = self._start(src, lengths)
        b = src.shape[0]
        token = torch.full((b, 1), start, dtype=torch.long, device=src.device)  # (B, 1)
        rows: list[list[int]] = [[] for _ in range(b)]
        looked: list[list[np.ndarray]] = [[] for _ in range(b)]
        done = [False] * b
        for _ in range(max_len):
            out, state, carry, w = self._decode(states, state, mask, token, carry, src)
            logits = out[:, -1].float()  # (B, V)
            logits[:, 0] = -float("inf")  # never PAD
            logits[:, start] = -float("inf")  # nor START
            if temperature <= 0:
                nxt = logits.argmax(dim=-1)
            else:
                probs = torch.softmax(logits / temperature, dim=-1).cpu()
                nxt = torch.multinomial(probs, 1, generator=generator)[:, 0].to(src.device)
            for i, t in enumerate(nxt.tolist()):
                if done[i]:
                    continue
                if w is not None:
                    looked[i].append(w[i, -1, : int(lengths[i])].float().cpu().numpy())
                if t == end:
                    done[i] = True
                else:
                    rows[i].append(t)
            if all(done):
                break
            token = nxt[:, None]
        if weights is not None:
            weights.extend(looked)
        return rows
