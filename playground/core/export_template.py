"""The text of an exported PyTorch script: the parts every script has (the model, the weights file,
training, the command line), the commands that use a model and the spell lesson's data. ``export.py``
adds the other kinds' data parts and fills in the ``@@NAME@@`` markers.

The script mirrors the app: ``SequenceModel`` is ``nets.SequenceModel`` with the same modules
registered in the same order (so a model file's state dict loads with strict=True); sampling is
``inference._Stepper`` and ``_choose``; a training step is ``Trainer.step``; the file it writes
holds what ``checkpoint.save`` writes. A change there must be made here too:
``tests/test_export.py`` compares the two.
"""

# The top of the script: its docstring, imports and the settings (CONFIG is rendered by export.py).
HEAD = r'''#!/usr/bin/env python3
"""@@TITLE@@

Exported by `rnn-playground export` from @@SOURCE@@ (@@STEPS@@ training steps). One file that needs
only torch, numpy and safetensors: it reads RNN Playground's model files (a .safetensors file with
the weights, the vocabulary or the series' scale, the optimizer's state and the loss history) and
writes files the app opens again, so a model goes back and forth between the app and your code.
Read from the top: CONFIG (this model's settings), the model, the weights file, the data,
training, using the model, the command line.

Usage (--weights FILE defaults to the file it was exported from):

@@USAGE@@
    python @@SCRIPT@@ train --steps 500 --out more.safetensors@@DATA_USAGE@@
        train on from the weights with CONFIG["train"] (optimizer, learning rate, batch size,
        sequence length, clipping): the app opens the new file (`rnn-playground info FILE`,
        `rnn-playground train --resume FILE`); on a CPU it takes the very steps the app would.@@DATA_NOTE@@
"""

@@STDLIB@@
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import save_file


class UsageError(Exception):
    """A mistake the user can fix: one line on stderr, exit status 2."""


# --------------------------------------------------------------------------------------------------
# Settings, as the app saved them. The weights must fit CONFIG["model"]; CONFIG["train"] and
# CONFIG["data"] are what `train` uses and writes into the new file (change the learning rate here).
@@CONFIG@@
'''

MODEL = r'''
# --------------------------------------------------------------------------------------------------
# The model: input encoder -> sequence core -> output head. The same modules under the same names,
# registered in the same order as in RNN Playground, so the app's weights load as they are.
MAX_LEN = 1024  # the longest sequence the Transformer's learned positions cover
ATTENTION_DIM = 64  # query and key width of a recurrent model's attention over its own past


class SequenceModel(nn.Module):
    def __init__(self, cfg, n_inputs, n_outputs, tokens, many_to_many, bag_of_words=False):
        super().__init__()
        self.cfg, self.many_to_many = cfg, many_to_many  # many_to_many: an output at every step
        self.recurrent = cfg["arch"] in ("rnn", "lstm", "gru")
        self.attends = self.recurrent and cfg["attention"]
        self.bag_of_words = bag_of_words and cfg["arch"] == "mlp"
        h, layers, dropout = cfg["hidden"], cfg["layers"], cfg["dropout"]
        # Input encoder: a learned vector per token; numbers go in as they are.
        self.embed = nn.Embedding(n_inputs, cfg["embed"]) if tokens else None
        in_size = cfg["embed"] if tokens else n_inputs
        if self.recurrent:  # torch's fused layers; dropout acts between stacked layers
            cell = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cfg["arch"]]
            extra = {"nonlinearity": cfg["activation"]} if cfg["arch"] == "rnn" else {}
            self.core = cell(
                input_size=in_size, hidden_size=h, num_layers=layers, batch_first=True,
                bidirectional=cfg["bidirectional"], dropout=dropout if layers > 1 else 0.0, **extra,
            )
            feat = h * (2 if cfg["bidirectional"] else 1)
            if self.attends:  # the readout also reads a mix of the states so far (see attend)
                self.att_query, self.att_key = nn.Linear(h, ATTENTION_DIM), nn.Linear(h, ATTENTION_DIM)
                self.att_value = nn.Linear(h, h)
                feat = 2 * h
        elif cfg["arch"] == "transformer":  # pre-norm encoder layers
            self.in_proj = nn.Linear(in_size, h)
            self.pos = nn.Parameter(torch.zeros(MAX_LEN, h))  # a learned vector per position
            self.core = nn.ModuleList(
                nn.TransformerEncoderLayer(h, cfg["heads"], 2 * h, dropout, batch_first=True, norm_first=True)
                for _ in range(layers)
            )
            self.norm = nn.LayerNorm(h)
            feat = h
        else:  # mlp: a window of past inputs (or, bag of words, their mean), no recurrence
            sizes = [in_size if self.bag_of_words else cfg["window"] * in_size] + [h] * layers
            self.core = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))
            self.drop = nn.Dropout(dropout)
            feat = h
        self.head = nn.Linear(feat, n_outputs)

    def encode(self, x):  # x (B, T) token ids or (B, T, 1) values -> (B, T, E)
        return self.embed(x) if self.embed is not None else x

    def attend(self, feats):
        """Causal attention over the core's states (B, T, H): at step t a softmax over steps 0..t of
        query(h_t) . key(h_j); returns that mix of value(h_j) (B, T, H) and the weights (B, T, T)."""
        t = feats.shape[1]
        scores = self.att_query(feats) @ self.att_key(feats).transpose(1, 2) / ATTENTION_DIM**0.5
        future = torch.ones(t, t, dtype=torch.bool, device=feats.device).triu(1)
        weights = torch.softmax(scores.masked_fill(future, float("-inf")), dim=-1)
        return weights @ self.att_value(feats), weights

    def readout(self, feats):
        """Features (B, T, F) -> outputs: (B, T, O) at every step, or (B, O) at the end."""
        if self.attends:
            feats = torch.cat([feats, self.attend(feats)[0]], dim=-1)
        if self.many_to_many:
            return self.head(feats)
        if self.recurrent and self.cfg["bidirectional"]:
            # the forward half has read everything at the last step, the backward half at the first
            h = self.cfg["hidden"]
            return self.head(torch.cat([feats[:, -1, :h], feats[:, 0, h:]], dim=-1))
        return self.head(feats[:, -1])

    def features(self, e, state=None):
        """The core over encoded inputs (B, T, E): (features (B, T, F), the new state)."""
        if self.recurrent:
            return self.core(e, state)
        if self.cfg["arch"] == "transformer":
            t = e.shape[1]
            if t > MAX_LEN:
                raise UsageError(f"the Transformer reads at most {MAX_LEN} steps, got {t}")
            z = self.in_proj(e) + self.pos[:t]
            causal = not self.cfg["bidirectional"]  # each step sees only itself and the past
            mask = nn.Transformer.generate_square_subsequent_mask(t, device=e.device, dtype=z.dtype)
            for layer in self.core:
                z = layer(z, src_mask=mask if causal else None, is_causal=causal)
            return self.norm(z), None
        if self.bag_of_words:  # the mean of the inputs 0..t: the same for any order
            steps = torch.arange(1, e.shape[1] + 1, device=e.device, dtype=e.dtype)
            z = e.cumsum(dim=1) / steps[None, :, None]
        else:  # at each step the last `window` inputs (zeros before the start), oldest first
            w = self.cfg["window"]
            z = F.pad(e, (0, 0, w - 1, 0)).unfold(1, w, 1)  # (B, T, E, w)
            z = z.transpose(2, 3).reshape(e.shape[0], e.shape[1], -1)  # (B, T, w*E)
        act = torch.relu if self.cfg["activation"] == "relu" else torch.tanh
        for lin in self.core:
            z = self.drop(act(lin(z)))
        return z, None

    def forward(self, x, state=None):
        """x (B, T) ids or (B, T, 1) values -> (outputs, state). The state carries a recurrent
        model's memory from one call to the next (attention looks back over this call only)."""
        feats, state = self.features(self.encode(x), state)
        return self.readout(feats), state
'''

FILES = r'''
# --------------------------------------------------------------------------------------------------
# The weights file: RNN Playground's model file, a safetensors file. Its header holds JSON settings
# ("session": the model, data and training settings; "task": the vocabulary, classes or the series'
# scale; "optimizer": the optimizer's settings); its tensors are the weights ("model/<name>"), the
# optimizer's state ("optim/<index>/<field>"), the loss history ("history/..."), the random
# generators ("rng/...") and, for a series or a text file of one's own, the data ("data/...").
FORMAT = "rnn-playground-model"


def read_model_file(path):
    """(metadata, settings, tensors) of a model file, or a one-line UsageError."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"no such model file: {path}")
    try:
        with safe_open(str(path), framework="pt") as f:
            meta, tensors = f.metadata() or {}, {key: f.get_tensor(key) for key in f.keys()}
    except Exception as e:  # a pickle, a text file, a truncated file...
        reason = (str(e).splitlines() or [type(e).__name__])[0]
        raise UsageError(f"{path.name} is not an RNN Playground model file ({reason})") from None
    if meta.get("format") != FORMAT or meta.get("model") == "seq2seq":
        what = "an encoder-decoder" if meta.get("model") == "seq2seq" else "not an RNN Playground model"
        raise UsageError(f"{path.name} is {what}: this script reads its own kind of model files")
    try:
        settings = {key: json.loads(meta[key]) for key in ("session", "task", "optimizer")}
        kind = settings["session"]["data"]["kind"]
    except (KeyError, TypeError, ValueError) as e:
        raise UsageError(f"{path.name} is corrupted: its settings cannot be read ({e})") from None
    if kind != CONFIG["kind"]:
        raise UsageError(f"{path.name} is a {kind} model; this script is for {CONFIG['kind']} models")
    return meta, settings, tensors


def build_model(settings, tensors):
    """The model of CONFIG["model"] with the file's weights (every name and shape must match)."""
    vocab, classes = settings["task"].get("vocab"), settings["task"].get("classes")
    n_inputs = len(vocab) if CONFIG["tokens"] else 1 + len(settings["task"].get("inputs") or [])
    n_outputs = len(classes) if classes else len(vocab) if vocab else 1
    shape = (CONFIG["tokens"], CONFIG["many_to_many"], CONFIG["bag_of_words"])
    model = SequenceModel(CONFIG["model"], n_inputs, n_outputs, *shape)
    weights = {key[len("model/") :]: t for key, t in tensors.items() if key.startswith("model/")}
    try:
        model.load_state_dict(weights, strict=True)
    except RuntimeError as e:
        raise UsageError(f"the weights do not fit CONFIG['model'] ({str(e).splitlines()[0]})") from None
    return model


def load_model(path):
    """A model file's model in eval mode (no dropout), ready to predict, and its settings."""
    _, settings, tensors = read_model_file(path)
    return build_model(settings, tensors).eval(), settings, tensors


def make_optimizer(params, t):
    """The optimizer CONFIG["train"] names, made as the app makes it."""
    lr, wd, momentum = t["lr"], t["weight_decay"], t["momentum"]
    return {
        "sgd": lambda: torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=wd),
        "adam": lambda: torch.optim.Adam(params, lr=lr, weight_decay=wd),
        "adamw": lambda: torch.optim.AdamW(params, lr=lr, weight_decay=wd),
        "rmsprop": lambda: torch.optim.RMSprop(params, lr=lr, momentum=momentum, weight_decay=wd),
    }[t["optimizer"]]()


def load_optimizer_state(optimizer, tensors, saved):
    """Put the file's optimizer state back (Adam's moving averages, momentum, step counts), so that
    training goes on as if it had never stopped. Its settings stay CONFIG's (the learning rate...)."""
    state = {}
    for key, value in tensors.items():
        if key.startswith("optim/"):
            _, index, field = key.split("/", 2)
            state.setdefault(int(index), {})[field] = value.reshape(()).float() if field == "step" else value
    for index, fields in saved.get("scalars", {}).items():
        state.setdefault(int(index), {}).update(fields)
    optimizer.load_state_dict({"state": state, "param_groups": optimizer.state_dict()["param_groups"]})


def save_model_file(path, run):
    """Write what the app's own save writes: the file's settings with this run's, its weights,
    optimizer state, steps, loss history and random states. Written beside the target, then
    renamed over it, so a failed save leaves an old file as it was."""
    meta, settings, data = run["meta"], run["settings"], run["data"]
    out = {key: t for key, t in run["tensors"].items() if not key.startswith("optim/")}  # data, validation
    for name, t in run["model"].state_dict().items():
        out[f"model/{name}"] = t.detach().cpu().contiguous().clone()
    opt, scalars = run["optimizer"].state_dict(), {}
    for index, fields in opt["state"].items():
        for field, value in fields.items():
            if torch.is_tensor(value):
                out[f"optim/{index}/{field}"] = value.detach().cpu().contiguous().clone()
            else:
                scalars.setdefault(str(index), {})[field] = value
    out["history/train_loss"] = torch.tensor(run["losses"], dtype=torch.float32)
    out["rng/batches"], out["rng/torch"] = run["gen"].get_state(), torch.get_rng_state()
    out.update(data.tensors)  # the data it trained on, where --data gave it
    session = settings["session"]
    changed = {k: v for k, v in CONFIG["data"].items() if k in session["data"]} | data.session_changes
    session = {**session, "model": CONFIG["model"], "train": {**session["train"], **CONFIG["train"]},
               "data": {**session["data"], **changed}}
    header = {
        **meta,
        "session": json.dumps(session),
        "task": json.dumps({**settings["task"], **data.task_changes}),
        "optimizer": json.dumps({"param_groups": opt["param_groups"], "scalars": scalars}),
        "steps": str(run["steps"]),
        "trained_on": str(run["device"]),
        "written_by": "an exported PyTorch script",
    }
    tmp = path.with_name(f".{path.name}.tmp")
    save_file(out, str(tmp), metadata=header)
    os.replace(tmp, path)
'''

# The spell lesson's data (the other kinds' data parts are in export.py).
SPELL_DATA = r'''
# --------------------------------------------------------------------------------------------------
# The data (one-to-many): a word's first letter at step 0, a blank at every later step; the target
# is the word, one letter per step, then the end mark at every step after it:
#     input   g · · · · · · · · · · ·
#     target  g u i t a r . . . . . .
# The words are in the model file; nothing is held out (the list is the data).
BLANK, END = "·", "."


class SpellData:
    session_changes, task_changes, tensors = {}, {}, {}

    def __init__(self, settings, tensors, data_file):
        words, vocab = settings["task"]["words"], settings["task"]["vocab"]
        length = max(len(w) for w in words) + 1
        self.x = torch.full((len(words), length), vocab.index(BLANK), dtype=torch.long)
        self.x[:, 0] = torch.tensor([vocab.index(w[0]) for w in words])
        self.y = torch.tensor([[vocab.index(ch) for ch in w + END * (length - len(w))] for w in words])

    def sample_batch(self, batch_size, seq_len, gen):
        pick = torch.randint(len(self.x), (batch_size,), generator=gen)
        return self.x[pick], self.y[pick]

    def held_out(self, seq_len):
        return self.x, self.y

    @staticmethod
    def loss(out, y):  # out (B, T, V) letter logits, y (B, T) letters: every step counts
        return F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))
'''

TRAIN = r'''
# --------------------------------------------------------------------------------------------------
# Training: the app's step (forward, backward, clip, optimizer step), on from where the file stopped.
def forward_backward(model, loss_fn, x, y, tbptt):
    """Forward and backward over one batch; returns the loss. With truncated BPTT (tbptt > 0, a
    recurrent model) the gradient flows back at most tbptt steps."""
    steps = x.shape[1]
    if not (tbptt and model.recurrent and tbptt < steps):
        loss = loss_fn(model(x)[0], y)
        loss.backward()
        return loss.detach()
    if model.many_to_many:  # chunks of tbptt steps: the state is carried on, its history cut
        state, total = None, 0.0
        for s in range(0, steps, tbptt):
            out, state = model(x[:, s : s + tbptt], state)
            part = loss_fn(out, y[:, s : s + tbptt]) * (out.shape[1] / steps)
            part.backward()
            state = tuple(v.detach() for v in state) if isinstance(state, tuple) else state.detach()
            total = total + part.detach()
        return total
    with torch.no_grad():  # one output at the end: the early steps only set the state
        state = model.features(model.encode(x[:, : steps - tbptt]))[1]
    loss = loss_fn(model.readout(model.features(model.encode(x[:, steps - tbptt :]), state)[0]), y)
    loss.backward()
    return loss.detach()


def train_step(model, data, optimizer, params, x, y, t):
    """One optimizer step; the loss, or None when the loss or a gradient is NaN or infinite (the
    weights are then left as they were, as the app refuses such a step)."""
    optimizer.zero_grad(set_to_none=True)
    loss = forward_backward(model, data.loss, x, y, t["tbptt"])
    grads = [p.grad for p in params if p.grad is not None]
    total = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
    if t["clip"] == "norm":  # scale every gradient down together when their total norm is too large
        scale = torch.clamp(t["clip_value"] / (total + 1e-6), max=1.0)
        for g in grads:
            g.mul_(scale)
    elif t["clip"] == "value":  # cap each element
        for g in grads:
            g.clamp_(-t["clip_value"], t["clip_value"])
    if not (math.isfinite(float(loss)) and math.isfinite(float(total))):
        optimizer.zero_grad(set_to_none=True)
        return None
    optimizer.step()
    return float(loss)


def cmd_train(args):
    meta, settings, tensors = read_model_file(args.weights)
    out = Path(args.out if args.out.endswith(".safetensors") else args.out + ".safetensors")
    if not out.parent.is_dir():  # before any work that could not be saved
        raise UsageError(f"cannot save to {out}: the folder {out.parent} does not exist")
    t = CONFIG["train"]
    auto = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(auto if args.device == "auto" else args.device)
    data = @@DATA_CLASS@@(settings, tensors, @@DATA_ARG@@)
    model = build_model(settings, tensors).to(device)
    params = [p for _, p in model.named_parameters()]
    optimizer = make_optimizer(params, t)
    if t["optimizer"] == settings["session"]["train"]["optimizer"]:  # else it starts afresh
        load_optimizer_state(optimizer, tensors, settings["optimizer"])
    gen = torch.Generator()  # the batches: the file's generator goes on where it stopped
    gen.set_state(tensors["rng/batches"]) if "rng/batches" in tensors else gen.manual_seed(t["seed"])
    if "rng/torch" in tensors:  # dropout masks
        torch.set_rng_state(tensors["rng/torch"])
    losses, steps = tensors["history/train_loss"].tolist(), int(meta["steps"])
    model.train()
    for i in range(1, args.steps + 1):
        x, y = data.sample_batch(t["batch_size"], t["seq_len"], gen)
        loss = train_step(model, data, optimizer, params, x.to(device), y.to(device), t)
        if loss is None:
            print(f"step {steps + 1} refused: the loss or a gradient is NaN or infinite", file=sys.stderr)
            continue
        steps += 1
        losses.append(loss)
        if i % max(1, args.steps // 10) == 0 or i == args.steps:
            print(f"step {steps}: loss {loss:.4f}")
    held = data.held_out(t["seq_len"])
    if held is not None:
        with torch.no_grad():
            pred = model.eval()(held[0].to(device))[0]
            print(f"held-out loss {float(data.loss(pred, held[1].to(device))):.4f}")
    run = dict(meta=meta, settings=settings, tensors=tensors, data=data, model=model, optimizer=optimizer)
    save_model_file(out, {**run, "losses": losses, "steps": steps, "gen": gen, "device": device})
    print(f"saved {out}")
'''

# -- using the model, one part per kind -----------------------------------------------------------
SAMPLE = r'''
# --------------------------------------------------------------------------------------------------
# Sampling: feed the prompt, then each character the model picks, one at a time.
def choose(logits, temperature, top_k, gen):
    """The next token: the likeliest (temperature 0) or a draw from the softmax of logits / T."""
    if not bool(torch.isfinite(logits).all()):
        raise UsageError("the model's predictions are NaN or infinite: its weights have blown up")
    if temperature <= 0:
        return int(logits.argmax())
    logits = logits.float() / temperature
    if 0 < top_k < logits.numel():  # only the k likeliest
        kth = torch.topk(logits, top_k).values[-1]
        logits = torch.where(logits < kth, torch.full_like(logits, -float("inf")), logits)
    return int(torch.multinomial(torch.softmax(logits, dim=-1), 1, generator=gen))


class Stepper:
    """A growing context, one token at a time. A recurrent model carries its hidden state (the whole
    past in one vector); the others re-read their context at every step: the Transformer up to
    MAX_LEN tokens, the feed-forward network its window. A recurrent model with attention re-reads
    too: its attention looks back over every state so far."""

    def __init__(self, model, ids):
        self.model, self.context, self.state = model, [], None
        self.carries = model.recurrent and not model.attends
        self.feed(list(ids))

    def feed(self, tokens):
        """Read `tokens`; self.logits are then the model's scores for the token after them."""
        self.context += tokens
        if self.carries:
            out, self.state = self.model(torch.tensor([tokens]), self.state)
        else:
            limit = self.model.cfg["window"] if self.model.cfg["arch"] == "mlp" else MAX_LEN
            out = self.model(torch.tensor([self.context[-limit:]]))[0]
        self.logits = out[0, -1]


def sample(model, chars, prompt, length, temperature=0.0, top_k=0, seed=0, stop=()):
    """`length` characters after `prompt` (an empty one starts a fresh line); a seed repeats a draw."""
    start = "\n" if "\n" in chars.stoi else chars.vocab[0]
    ids = chars.encode(prompt, "prompt") if prompt else chars.encode(start)
    gen, out = torch.Generator().manual_seed(seed), []
    with torch.no_grad():
        stepper = Stepper(model, ids.tolist())
        for _ in range(max(0, length)):
            token = choose(stepper.logits, temperature, top_k, gen)
            if chars.vocab[token] in stop:
                break
            out.append(chars.vocab[token])
            stepper.feed([token])
    return "".join(out)


def cmd_sample(args):
    model, settings, _ = load_model(args.weights)
    temperature = 0.0 if args.greedy else args.temperature
    chars = Chars(settings["task"]["vocab"])
    text = sample(model, chars, args.prompt, args.length, temperature, args.top_k, args.seed)
    print(args.prompt + text)


def add_sample(sub):
    p = command(sub, "sample", "continue a prompt", cmd_sample)
    p.add_argument("--prompt", default="", help="the text to continue")
    p.add_argument("--length", type=int, default=200, help="characters to write (default: 200)")
    p.add_argument("--greedy", action="store_true", help="always the likeliest character")
    p.add_argument("--temperature", type=float, default=1.0, help="below 1 safer, above 1 wilder")
    p.add_argument("--top-k", type=int, default=0, help="draw from the k likeliest only; 0: all")
    p.add_argument("--seed", type=int, default=0, help="the same seed draws the same text")
'''

REPLY = r'''

def cmd_reply(args):
    """The next turn of the dialog: greedy, up to the end of the turn (120 characters at most)."""
    model, settings, _ = load_model(args.weights)
    if not args.turn.strip():
        raise UsageError("say something first, for example: Knock, knock!")
    prompt = encode_turns([*args.history, args.turn.strip()], open_next=True)
    print(sample(model, Chars(settings["task"]["vocab"]), prompt, 120, stop=(END_OF_TURN, *MARKERS)).strip())


def add_reply(sub):
    p = command(sub, "reply", "answer a turn of a dialog", cmd_reply)
    p.add_argument("--turn", required=True, help='what you say, e.g. "Knock, knock!"')
    p.add_argument("--history", nargs="*", default=[], help="the earlier turns, in order")
'''

FORECAST = r'''
# --------------------------------------------------------------------------------------------------
# Forecasting: the next values after the series the model file carries.
def cmd_forecast(args):
    model, settings, tensors = load_model(args.weights)
    task = settings["task"]
    values, scales = tensors["data/series"].double().numpy(), task.get("inputs") or []
    inputs = tensors["data/inputs"].double().numpy() if scales else None  # held at their last values
    horizon = max(1, args.horizon)
    for v in forecast(model, values, task["window"], task["normalizer"]["scale"], horizon, inputs, scales):
        print(repr(v))


def add_forecast(sub):
    p = command(sub, "forecast", "forecast the next values of the series", cmd_forecast)
    p.add_argument("--horizon", type=int, default=10, help="steps ahead (default: 10)")
'''

CLASSIFY = r'''
# --------------------------------------------------------------------------------------------------
# Classifying: one sequence in, every class with its probability out, likeliest first.
def encode_sequence(task, text):
    """Token ids of a typed sequence, left-padded to the training length where the data pads."""
    tokens, stoi, pad = tokenize(text), {tok: i for i, tok in enumerate(task["vocab"])}, task.get("pad")
    unknown = ", ".join(repr(t) for t in sorted({t for t in tokens if t not in stoi or t == pad})[:8])
    if not tokens or unknown:
        what = f"has tokens the model does not know: {unknown}" if unknown else "is empty"
        raise UsageError(f"the sequence {what}; {HINT}")
    ids = [stoi[t] for t in tokens]
    return [stoi[pad]] * (task["max_words"] - len(ids)) + ids if pad is not None else ids


def cmd_classify(args):
    model, settings, _ = load_model(args.weights)
    task = settings["task"]
    with torch.no_grad():
        probs = torch.softmax(model(torch.tensor([encode_sequence(task, args.text)]))[0][0].float(), dim=-1)
    for i in torch.argsort(probs, descending=True).tolist():
        print(f"{task['classes'][i]}\t{float(probs[i]):.6f}")


def add_classify(sub):
    p = command(sub, "classify", "the answer to a sequence, with every class's probability", cmd_classify)
    p.add_argument("--text", required=True, help=f"the sequence: {HINT}")
'''

WRITE = r'''
# --------------------------------------------------------------------------------------------------
# Writing: one letter in, the word out: the likeliest letter at every step, up to the end mark.
def cmd_write(args):
    model, settings, _ = load_model(args.weights)
    words, vocab = settings["task"]["words"], settings["task"]["vocab"]
    letters = [ch.lower() for ch in args.letter if not ch.isspace() and ch != BLANK]
    if len(letters) != 1 or letters[0] not in [w[0] for w in words]:
        raise UsageError(f"give one of the letters {', '.join(w[0] for w in words)}, not {args.letter!r}")
    x = torch.tensor([[vocab.index(letters[0])] + [vocab.index(BLANK)] * max(len(w) for w in words)])
    with torch.no_grad():
        best_p, best = torch.softmax(model(x)[0][0].float(), dim=-1).max(dim=-1)
    steps = []
    for i, p in zip(best.tolist(), best_p.tolist()):
        steps.append((vocab[i], p))
        if vocab[i] == END:
            break
    print("".join(ch for ch, _ in steps if ch not in (END, BLANK)))  # the word, then every step
    for ch, p in steps:
        print(f"  {ch}\t{p:.6f}")


def add_write(sub):
    p = command(sub, "write", "the word the model writes from its first letter", cmd_write)
    p.add_argument("--letter", required=True, help="a word's first letter")
'''

MAIN = r'''
# --------------------------------------------------------------------------------------------------
# The command line.
def command(sub, name, help, func):
    p = sub.add_parser(name, help=help)
    p.add_argument("--weights", default=CONFIG["weights"], help="a model file (default: the exported one)")
    p.set_defaults(func=func)
    return p


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
@@ADD_COMMANDS@@
    p = command(sub, "train", "train on from a model file and save a new one", cmd_train)
    p.add_argument("--steps", type=int, default=100, help="optimizer steps (default: 100)")
    p.add_argument("--out", required=True, help="the model file to write (.safetensors)")@@DATA_OPTION@@
    p.add_argument("--device", default="auto", help="auto (CUDA if there is one, else CPU), cpu, cuda, ...")
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except UsageError as e:
        print(f"{parser.prog}: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
'''
