"""Attention: ``F.scaled_dot_product_attention``, ``nn.MultiheadAttention`` and
``F.multi_head_attention_forward`` (the function behind the module; `multi_head` is both).

Both are one computation, `attend`: scores ``q @ k^T`` by `build.contract`,
scaled and with the masks added as biases (a float mask as it is, ``-inf``
where a bool mask forbids, a causal mask from positions) in one ``eval``
layer, a softmax over the key axis (`activation.softmax`), and the weights
times the values by `contract`. Heads are a static axis (the projection's
features split into heads and per-head features); query and key time stay
dynamic. In self-attention they are the same RETURNN dim: `contract` gives the
key side a fresh dim of the same lengths, so the score matrix has two distinct
time axes, and the masks are retagged to the scores' dims.

Nothing is masked by sequence lengths: torch attends to the padding frames
of the padded batch unless a mask says otherwise, and so does the net.

MultiheadAttention's parameters come from the trace, ``out_proj``'s too: the
trace must hold a leaf module's submodule parameters (``out_proj.weight``),
as nothing inside a leaf is recorded.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from returnn.tensor import Dim

from pt2r.errors import ModelError, UnsupportedOpError
from pt2r.torch import _dtype
from pt2r.torch._tensor import Parameter, Tensor
from pt2r.torch.nn.module import Module
from pt2r.torch.ops.activation import softmax
from pt2r.torch.ops.build import aux_name, contract, ctx, eval_layer, make, reduce_layer, retag, sizes, slice_axis
from pt2r.torch.ops.linear import Linear, linear
from pt2r.torch.ops.registry import module, op
from pt2r.torch.ops.view import unflatten
from pt2r.torch.values import static_dims

Labels = list[str]
#: a mask for `attend`: the tensor, a label per axis, and how it applies ("keep": bool, True attends;
#: "drop": bool, True is masked out; "add": float, added to the scores)
Mask = tuple[Tensor, Labels, str]

_NEG_INF = "float('-inf')"


def _align(mask: Tensor, labels: Labels, scores: Tensor, score_labels: Labels) -> Tensor:
    """``mask`` with the scores' dims on its axes: size-1 axes that broadcast are dropped (the
    ``eval`` layer broadcasts by dim), the others retagged to the score axis of the same label."""
    dims = dict(zip(score_labels, scores.dims))
    size = dict(zip(score_labels, sizes(scores)))
    drop = [i for i, (l, n) in enumerate(zip(labels, sizes(mask))) if n == 1 != size[l]]
    for i, (l, n) in enumerate(zip(labels, sizes(mask))):
        if i not in drop and n != size[l]:
            raise UnsupportedOpError(f"a mask of shape {sizes(mask)} for attention scores of shape {sizes(scores)} is "
                                     "not supported")
    if drop:
        keep = [d for i, d in enumerate(mask.dims) if i not in drop]
        mask = make({"class": "squeeze", "from": mask, "axis": [mask.dims[i] for i in drop]}, keep,
                    dtype=mask.dtype, name=aux_name("mask_squeeze"))
        labels = [l for i, l in enumerate(labels) if i not in drop]
    return retag(mask, [dims[l] for l in labels], name=aux_name("mask"))


def attend(q: Tensor, k: Tensor, v: Tensor, labels: Sequence[Labels], batch: Labels, masks: Sequence[Mask], *,
           causal: bool, scale: float, safe: bool, name: str | None = None) -> tuple[Tensor, Tensor]:
    """``softmax(q @ k^T * scale + masks) @ v``. ``labels`` are those of q, k, v (as for `contract`):
    q's end in ``l, e``, k's in ``s, e``, v's in ``s, f``; ``batch`` are the others. Returns the output
    (labelled ``batch + [l, f]``) and the weights (``batch + [l, s]``). ``causal`` masks key positions
    after the query position (torch's top-left aligned ``tril``). ``safe``: rows whose keys are all
    masked get weights 0 (torch's SDPA), not NaN (its explicit softmax, as in MultiheadAttention with
    need_weights)."""
    lq, lk, lv = (list(ls) for ls in labels)
    score_labels = [*batch, "l", "s"]
    scores = contract([q, k], [lq, lk], score_labels, name=aux_name("scores"))
    dtype = scores.dtype.name
    sources, terms = [scores], [f"source(0) * tf.constant({float(scale)!r}, {dtype!r})"]
    zero, neg_inf = f"tf.constant(0.0, {dtype!r})", f"tf.constant({_NEG_INF}, {dtype!r})"
    for mask, mask_labels, kind in masks:
        m = f"source({len(sources)})"
        sources.append(_align(mask, mask_labels, scores, score_labels))
        terms.append({"add": f"tf.cast({m}, {dtype!r})", "keep": f"tf.where({m}, {zero}, {neg_inf})",
                      "drop": f"tf.where({m}, {neg_inf}, {zero})"}[kind])
    if causal:
        l_dim, s_dim = scores.dims[-2:]
        for dim in (l_dim, s_dim):
            sources.append(make({"class": "range_in_axis", "from": scores, "axis": dim}, [dim],
                                name=aux_name("positions")))
        terms.append(f"tf.where(source({len(sources) - 1}) <= source({len(sources) - 2}), {zero}, {neg_inf})")
    logits = eval_layer(" + ".join(terms), sources, scores.dims, scores.dtype, name=aux_name("logits"),
                        allow_broadcast_all_sources=True)
    weights = softmax(logits, -1)
    if safe and masks:
        top = reduce_layer(logits, "max", [logits.ndim - 1], name=aux_name("row_max"))
        weights = eval_layer(f"tf.where(tf.math.equal(source(1), {neg_inf}), {zero}, source(0))", [weights, top],
                             weights.dims, weights.dtype, name=aux_name("safe_weights"),
                             allow_broadcast_all_sources=True)
    out = contract([weights, v], [score_labels, lv], [*batch, "l", "f"], name=name)
    return out, weights


@op("torch.nn.functional.scaled_dot_product_attention")
def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """torch's SDPA on (..., L, E) queries and (..., S, E) keys, leading axes broadcast as in matmul.
    Its dropout applies whenever ``dropout_p > 0`` (there is no training flag), so that is refused."""
    if dropout_p:
        raise UnsupportedOpError(f"scaled_dot_product_attention with dropout_p={dropout_p} (random dropout) is not "
                                 f"supported: pass dropout_p=0.0 outside training")
    if enable_gqa:
        raise UnsupportedOpError("scaled_dot_product_attention with enable_gqa=True is not supported")
    if min(query.ndim, key.ndim, value.ndim) < 2:
        raise UnsupportedOpError("scaled_dot_product_attention of a tensor with less than 2 dims is not supported")
    if query.dims[-1].dimension is None:
        raise UnsupportedOpError("scaled_dot_product_attention over a dynamic feature axis is not supported")
    n = max(query.ndim, key.ndim, value.ndim) - 2
    batch = [f"_{i}" for i in range(n)]
    labels = [batch[n - (x.ndim - 2):] + last for x, last in ((query, ["l", "e"]), (key, ["s", "e"]),
                                                               (value, ["s", "f"]))]
    masks = []
    if attn_mask is not None:
        if attn_mask.ndim > n + 2:
            raise UnsupportedOpError(f"an attn_mask of {attn_mask.ndim} dims for {n + 2}-d scores is not supported")
        masks.append((attn_mask, [*batch, "l", "s"][n + 2 - attn_mask.ndim:],
                      "keep" if attn_mask.dtype is _dtype.bool else "add"))
    if scale is None:
        scale = 1 / math.sqrt(query.dims[-1].dimension)
    return attend(query, key, value, labels, batch, masks, causal=is_causal, scale=scale, safe=True)[0]


@module("torch.nn.MultiheadAttention")
class MultiheadAttention(Module):
    """torch's MultiheadAttention in eval or without dropout: in-projections (packed ``in_proj_weight``,
    or ``q/k/v_proj_weight`` when kdim or vdim differ from embed_dim), `attend` per head, ``out_proj``.
    The masks are applied as torch merges them; ``is_causal`` is the hint torch takes it for: without
    key_padding_mask and need_weights it masks causally (torch's SDPA path), else attn_mask applies."""

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, device: Any = None, dtype: Any = None):
        super().__init__()
        self.embed_dim, self.num_heads, self.dropout, self.batch_first = embed_dim, num_heads, dropout, batch_first
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")

        def param(*shape: int) -> Parameter:
            return Parameter(Tensor(static_dims(shape, "param"), _dtype.float32))

        if self._qkv_same_embed_dim:
            self.in_proj_weight = param(3 * embed_dim, embed_dim)
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = param(embed_dim, embed_dim)
            self.k_proj_weight = param(embed_dim, self.kdim)
            self.v_proj_weight = param(embed_dim, self.vdim)
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = param(3 * embed_dim)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias)
        if add_bias_kv:  # registered so the trace's parameters bind; forward refuses them
            self.bias_k, self.bias_v = param(1, 1, embed_dim), param(1, 1, embed_dim)
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn

    def _projections(self) -> list[tuple[Tensor, Tensor | None]]:
        """(weight, bias) of the q, k and v in-projections: slices of the packed ones."""
        e = self.embed_dim
        parts = [slice(i * e, (i + 1) * e) for i in range(3)]
        if self._qkv_same_embed_dim:
            weights = [slice_axis(self.in_proj_weight, 0, p) for p in parts]
        else:
            weights = [self.q_proj_weight, self.k_proj_weight, self.v_proj_weight]
        if self.in_proj_bias is None:
            return [(w, None) for w in weights]
        return [(w, slice_axis(self.in_proj_bias, 0, p)) for w, p in zip(weights, parts)]

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Tensor | None = None,
                need_weights: bool = True, attn_mask: Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
        if query.ndim != 3:
            raise UnsupportedOpError("MultiheadAttention on unbatched (2-d) inputs is not supported")
        if self.bias_k is not None or self.add_zero_attn:
            raise UnsupportedOpError("MultiheadAttention with add_bias_kv or add_zero_attn is not supported")
        if self.training and self.dropout:
            raise UnsupportedOpError(f"MultiheadAttention with dropout={self.dropout} in training mode (random) is not "
                                     f"supported: call .eval() on the model")
        if not self.out_proj.weight.is_bound:
            raise UnsupportedOpError("MultiheadAttention without its out_proj parameters in the trace is not "
                                     "supported (the trace must hold a leaf module's submodule parameters, as "
                                     "out_proj.weight)")
        return multi_head(query, key, value, self.num_heads, self._projections(), self.out_proj.weight,
                          self.out_proj.bias, batch_first=self.batch_first, key_padding_mask=key_padding_mask,
                          need_weights=need_weights, attn_mask=attn_mask,
                          average_attn_weights=average_attn_weights, is_causal=is_causal)


def multi_head(query: Tensor, key: Tensor, value: Tensor, num_heads: int,
               projections: Sequence[tuple[Tensor, Tensor | None]], out_weight: Tensor, out_bias: Tensor | None, *,
               batch_first: bool, key_padding_mask: Tensor | None, need_weights: bool, attn_mask: Tensor | None,
               average_attn_weights: bool, is_causal: bool) -> tuple[Tensor, Tensor | None]:
    """torch's multi-head attention on 3-d inputs ((L, N, E), or (N, L, E) with ``batch_first``) without
    dropout: the q, k, v in-projections ``projections`` ((weight, bias) each), `attend` per head, the
    out-projection. The masks apply as torch merges them (a bool mask forbids where True, a float one is
    added); ``is_causal`` is the hint torch takes it for: without key_padding_mask and need_weights it masks
    causally (torch's SDPA path), else attn_mask applies."""
    embed_dim = query.dims[-1].dimension
    head_dim = embed_dim // num_heads
    name = ctx().layer_name_for()
    heads, per_head = Dim(num_heads, name=f"{name}:heads"), Dim(head_dim, name=f"{name}:head_dim")
    projected, labels = [], []
    for x, seq, feat, (w, b) in zip((query, key, value), "lss", "eef", projections):
        y = linear(x, w, b)
        y = make({"class": "split_dims", "from": y, "axis": y.dims[-1], "dims": [heads, per_head]},
                 [*y.dims[:-1], heads, per_head], dtype=y.dtype, name=aux_name("heads"))
        projected.append(y)
        labels.append(["b", seq, "h", feat] if batch_first else [seq, "b", "h", feat])
    causal = is_causal and key_padding_mask is None and not need_weights
    masks = []
    if attn_mask is not None and not causal:
        if attn_mask.ndim == 3 and num_heads > 1:  # (batch * heads, L, S), batch-major
            attn_mask = unflatten(attn_mask, 0, [query.shape[0 if batch_first else 1], num_heads])
        masks.append((attn_mask, {2: ["l", "s"], 3: ["b", "l", "s"], 4: ["b", "h", "l", "s"]}[attn_mask.ndim],
                      "drop" if attn_mask.dtype is _dtype.bool else "add"))
    if key_padding_mask is not None:
        masks.append((key_padding_mask, ["b", "s"], "drop" if key_padding_mask.dtype is _dtype.bool else "add"))
    out, weights = attend(*projected, labels, ["b", "h"], masks, causal=causal,
                          scale=1 / math.sqrt(head_dim), safe=not need_weights, name=aux_name("attend"))
    b_dim, l_dim, merged = out.dims[0], out.dims[2], heads * per_head
    out = make({"class": "merge_dims", "from": out, "axes": [heads, per_head], "keep_order": True,
                "out_dim": merged}, [b_dim, l_dim, merged] if batch_first else [l_dim, b_dim, merged],
               dtype=out.dtype, name=aux_name("merge_heads"))
    out = linear(out, out_weight, out_bias)
    if not need_weights:
        return out, None
    return out, reduce_layer(weights, "mean", [1]) if average_attn_weights else weights


#: the arguments torch passes multi_head_attention_forward's ``__torch_function__`` by position (the rest by keyword)
_MHAF_POSITIONAL = ("query", "key", "value", "embed_dim_to_check", "num_heads", "in_proj_weight", "in_proj_bias",
                    "bias_k", "bias_v", "add_zero_attn", "dropout_p", "out_proj_weight", "out_proj_bias")


def _bind_as_recorded(arguments: dict[str, Any]) -> None:
    """Bind the call's parameters to the trace as torch recorded them: it passes the first 13 arguments by
    position and the rest by keyword, whichever way the model called it, so a parameter the model passed
    by keyword (``in_proj_weight=w``) was recorded by position (the replay bound it by keyword: not at all)."""
    positional = [arguments[n] for n in _MHAF_POSITIONAL]
    ctx().bind_recorded_inputs(positional, {n: v for n, v in arguments.items() if n not in _MHAF_POSITIONAL})


@op("torch.nn.functional.multi_head_attention_forward")
def multi_head_attention_forward(query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
                                 in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None,
                                 bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float, out_proj_weight: Tensor,
                                 out_proj_bias: Tensor | None, training: bool = True,
                                 key_padding_mask: Tensor | None = None, need_weights: bool = True,
                                 attn_mask: Tensor | None = None, use_separate_proj_weight: bool = False,
                                 q_proj_weight: Tensor | None = None, k_proj_weight: Tensor | None = None,
                                 v_proj_weight: Tensor | None = None, static_k: Tensor | None = None,
                                 static_v: Tensor | None = None, average_attn_weights: bool = True,
                                 is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
    """torch's functional multi-head attention (what MultiheadAttention calls; WavLM calls it directly)
    on time-major (L, N, E) inputs: packed (``in_proj_weight``) or separate (``use_separate_proj_weight``)
    in-projection weights, the packed bias split in three, attn_mask 2-d (L, S) or 3-d (N * heads, L, S),
    bool or float, key_padding_mask (N, S). Dropout runs only with ``training``, so that is refused when
    dropout_p > 0; bias_k/bias_v, add_zero_attn and static_k/static_v are refused."""
    _bind_as_recorded(locals())
    if query.ndim != 3:
        raise UnsupportedOpError("multi_head_attention_forward on unbatched (2-d) inputs is not supported")
    if key.ndim != 3 or value.ndim != 3:
        raise ModelError(f"multi_head_attention_forward of a 3-d query with a {key.ndim}-d key and a {value.ndim}-d "
                         "value")
    if bias_k is not None or bias_v is not None or add_zero_attn:
        raise UnsupportedOpError("multi_head_attention_forward with bias_k/bias_v or add_zero_attn is not supported")
    if static_k is not None or static_v is not None:
        raise UnsupportedOpError("multi_head_attention_forward with static_k/static_v is not supported")
    if training and dropout_p:
        raise UnsupportedOpError(f"multi_head_attention_forward with dropout_p={dropout_p} and training=True "
                                 "(random dropout) is not supported: pass training=False outside training")
    embed_dim = query.dims[-1].dimension
    if embed_dim is None:
        raise UnsupportedOpError("multi_head_attention_forward over a dynamic feature axis is not supported")
    if embed_dim != embed_dim_to_check:
        raise ModelError(f"multi_head_attention_forward expected embedding dimension {embed_dim_to_check}, "
                         f"but got {embed_dim}")
    if embed_dim % num_heads:
        raise ModelError(f"multi_head_attention_forward: embed_dim {embed_dim} not divisible by num_heads "
                         f"{num_heads}")
    if is_causal and attn_mask is None:
        raise ModelError("multi_head_attention_forward needs attn_mask if specifying the is_causal hint")
    if attn_mask is not None and attn_mask.ndim not in (2, 3):
        raise ModelError(f"multi_head_attention_forward: attn_mask's dimension {attn_mask.ndim} is not supported")
    parts = [slice(i * embed_dim, (i + 1) * embed_dim) for i in range(3)]
    if use_separate_proj_weight:
        weights = [q_proj_weight, k_proj_weight, v_proj_weight]
        if any(w is None for w in weights):
            raise ModelError("multi_head_attention_forward with use_separate_proj_weight=True needs q_proj_weight, "
                             "k_proj_weight and v_proj_weight")
        if sizes(key)[:2] != sizes(value)[:2]:
            raise ModelError(f"key's sequence and batch dims {sizes(key)[:2]} do not match value's "
                             f"{sizes(value)[:2]}")
    else:
        if in_proj_weight is None:
            raise ModelError("multi_head_attention_forward with use_separate_proj_weight=False needs in_proj_weight")
        if sizes(key) != sizes(value):
            raise ModelError(f"key shape {sizes(key)} does not match value shape {sizes(value)}")
        weights = [slice_axis(in_proj_weight, 0, p) for p in parts]
    biases = [None] * 3 if in_proj_bias is None else [slice_axis(in_proj_bias, 0, p) for p in parts]
    return multi_head(query, key, value, num_heads, list(zip(weights, biases)), out_proj_weight, out_proj_bias,
                      batch_first=False, key_padding_mask=key_padding_mask, need_weights=need_weights,
                      attn_mask=attn_mask, average_attn_weights=average_attn_weights, is_causal=is_causal)
