"""Op test models for attention: nn.MultiheadAttention and F.scaled_dot_product_attention.

Each function is a tiny model ``f(wrapped_import, x)``; x is (batch, time, 5) unless the name says
``tm_`` (time-major: (time, batch, 5)). Time is dynamic; the tests also run with sequences of
different lengths, where torch attends to the padding frames (unless a mask says otherwise), and so
must the net. Cross-attention takes its keys from a slice of the input (strided or shifted): another dynamic
length. The module outputs (attention output and weights) are checked at the call; the models return
a tensor that uses both.
"""

from opcases import BATCH_MAJOR, TIME_MAJOR, Inputs, case, refused, torch_of

#: (batch, time, 5) and (time, batch, 5), time dynamic
BM = Inputs("batch_major", (2, 7, 5), BATCH_MAJOR, lengths=[7, 4])
TM = Inputs("time_major", (7, 2, 5), TIME_MAJOR, lengths=[7, 4])
#: a batch of one: batch axes recorded with size 1 still line up with the batch, not broadcast
BATCH_OF_ONE = Inputs("batch_of_one", (1, 7, 5), BATCH_MAJOR)


def _features(w, x, n=8):
    """x projected to ``n`` features (so that several heads divide them)."""
    return torch_of(w).nn.Linear(5, n)(x)


def _uses(out, weights, batch_first=True):
    """One tensor from an output (B, L, E) or (L, B, E) and averaged weights (B, L, S)."""
    top = weights.amax(-1)
    return out + (top if batch_first else top.transpose(0, 1)).unsqueeze(-1)


def _positions(w, n_query, n_key):
    """Query and key positions as float (L, S) matrices, by outer products (a self-attention mask's two
    time axes must be two dims, which broadcasting ``pos[:, None]`` against ``pos[None, :]`` does not give)."""
    torch = torch_of(w)
    rows = torch.einsum("l,s->ls", torch.arange(n_query).float(), torch.ones(n_key))
    cols = torch.einsum("l,s->ls", torch.ones(n_query), torch.arange(n_key).float())
    return rows, cols


def _causal(w, n_query, n_key):
    """A bool (L, S) mask, True after the query position."""
    rows, cols = _positions(w, n_query, n_key)
    return cols > rows


# -- MultiheadAttention --------------------------------------------------------------------------

@case(["torch.nn.MultiheadAttention"], on=(BM, BM.lens), other_lengths=[[11, 6, 9]])
def mha_self(w, x):
    h = _features(w, x)
    out, weights = torch_of(w).nn.MultiheadAttention(8, 2, batch_first=True)(h, h, h)
    return _uses(out, weights)


@case(["torch.nn.MultiheadAttention"], on=(TM.lens,))
def tm_mha_self(w, x):
    h = _features(w, x)
    out, weights = torch_of(w).nn.MultiheadAttention(8, 4)(h, h, h)
    return _uses(out, weights, batch_first=False)


@case(["torch.nn.MultiheadAttention"], on=(TM.lens,))
def tm_mha_masks(w, x):
    """Time-major, a float (L, S) attn_mask (a distance penalty) and a float key_padding_mask (N, S)."""
    torch = torch_of(w)
    h = _features(w, x)
    rows, cols = _positions(w, x.shape[0], x.shape[0])
    padding = x[..., 0].transpose(0, 1).clamp(max=0)
    out, weights = torch.nn.MultiheadAttention(8, 2)(h, h, h, attn_mask=(rows - cols).abs() * -0.3,
                                                     key_padding_mask=padding)
    return _uses(out, weights, batch_first=False)


@case(["torch.nn.MultiheadAttention"], on=(BM.lens,))
def mha_one_head_no_bias(w, x):
    out, weights = torch_of(w).nn.MultiheadAttention(5, 1, bias=False, batch_first=True)(x, x, x)
    return _uses(out, weights)


@case(["torch.nn.MultiheadAttention"], on=(BM.lens,))
def mha_cross(w, x):
    """Keys and values from every second frame of x: key length ceil(T / 2)."""
    h = _features(w, x)
    memory = h[:, ::2]
    out, weights = torch_of(w).nn.MultiheadAttention(8, 2, batch_first=True)(h, memory, memory)
    return _uses(out, weights)


@case(["torch.nn.MultiheadAttention"], on=(TM.lens,))
def tm_mha_cross(w, x):
    h = _features(w, x)
    memory = h[1:] * 0.5
    out, weights = torch_of(w).nn.MultiheadAttention(8, 2)(h, memory, memory)
    return _uses(out, weights, batch_first=False)


@case(["torch.nn.MultiheadAttention"], on=(BM.lens,))
def mha_kdim_vdim(w, x):
    """Separate q/k/v projection weights: keys of 3 features, values of 4."""
    h = _features(w, x)
    out, weights = torch_of(w).nn.MultiheadAttention(8, 2, kdim=3, vdim=4, batch_first=True)(h, x[..., :3], x[..., 1:])
    return _uses(out, weights)


@case(["torch.nn.MultiheadAttention"], on=(BM.lens,))
def mha_weights_per_head(w, x):
    h = _features(w, x)
    out, weights = torch_of(w).nn.MultiheadAttention(8, 2, batch_first=True)(h, h, h, average_attn_weights=False)
    return out + weights.amax((1, 3)).unsqueeze(-1)


@case(["torch.nn.MultiheadAttention"], on=(BM.lens,))
def mha_no_weights(w, x):
    h = _features(w, x)
    out, weights = torch_of(w).nn.MultiheadAttention(8, 2, batch_first=True)(h, h, h, need_weights=False)
    assert weights is None
    return out


@case(["torch.nn.MultiheadAttention"], on=(BM.lens,))
def mha_key_padding_mask(w, x):
    """A bool key_padding_mask from the data (True: ignored), with and without weights."""
    h = _features(w, x)
    mha = torch_of(w).nn.MultiheadAttention(8, 2, batch_first=True)
    ignored = x[..., 0] > 1.0
    out, weights = mha(h, h, h, key_padding_mask=ignored)
    out2, _ = mha(h, h, h, key_padding_mask=ignored, need_weights=False)
    return _uses(out, weights) + out2


@case(["torch.nn.MultiheadAttention"], on=(BM.lens,))
def mha_float_key_padding_mask(w, x):
    h = _features(w, x)
    out, weights = torch_of(w).nn.MultiheadAttention(8, 2, batch_first=True)(h, h, h,
                                                                          key_padding_mask=x[..., 0].clamp(max=0))
    return _uses(out, weights)


@case(["torch.nn.MultiheadAttention"], on=(BM.lens,))
def mha_causal(w, x):
    """is_causal with its mask: the SDPA path masks by position (need_weights=False), the other uses the mask."""
    h = _features(w, x)
    mha = torch_of(w).nn.MultiheadAttention(8, 2, batch_first=True)
    mask = _causal(w, x.shape[1], x.shape[1])
    out, _ = mha(h, h, h, attn_mask=mask, is_causal=True, need_weights=False)
    out2, weights = mha(h, h, h, attn_mask=mask, is_causal=True)
    return out + _uses(out2, weights)


@case(["torch.nn.MultiheadAttention"], on=(BM.lens,), other_lengths=[[11, 6, 9]])
def mha_cross_mask_and_padding(w, x):
    """A 2-d bool attn_mask (L, S) with a bool key_padding_mask, merged as torch merges them."""
    h = _features(w, x)
    memory = h[:, ::2]
    mask = _causal(w, x.shape[1], memory.shape[1])
    out, weights = torch_of(w).nn.MultiheadAttention(8, 2, batch_first=True)(
        h, memory, memory, attn_mask=mask, key_padding_mask=memory[..., 0] > 1.0)
    return _uses(out, weights)


@case(["torch.nn.MultiheadAttention"], on=(BM.lens,))
def mha_mask_3d(w, x):
    """A (batch * heads, L, S) bool mask from the data: the heads' masks of one batch entry are adjacent."""
    torch = torch_of(w)
    h = _features(w, x)
    forbidden = torch.einsum("btf,bsf->bts", x, x) < -1.0  # never the diagonal: no row fully masked
    b, l, s = forbidden.shape
    mask = forbidden[:, None].expand(b, 2, l, s).reshape(b * 2, l, s)
    out, weights = torch.nn.MultiheadAttention(8, 2, batch_first=True)(h, h, h, attn_mask=mask)
    return _uses(out, weights)


@case(["torch.nn.MultiheadAttention"], on=(BM.lens,))
def mha_float_mask_3d_one_head(w, x):
    torch = torch_of(w)
    bias = torch.einsum("btf,bsf->bts", x, x).clamp(max=0) * 0.5
    out, weights = torch.nn.MultiheadAttention(5, 1, batch_first=True)(x, x, x, attn_mask=bias)
    return _uses(out, weights)


@case(["torch.nn.MultiheadAttention"], on=(BM.lens,))
def mha_eval_fast_path(w, x):
    """Eval mode without gradients: torch takes its fused fast path (_native_multi_head_attention)."""
    torch = torch_of(w)
    h = _features(w, x)
    mha = torch.nn.MultiheadAttention(8, 2, dropout=0.1, batch_first=True).eval()
    with torch.no_grad():
        out, weights = mha(h, h, h)
    return _uses(out, weights)


# -- scaled_dot_product_attention ----------------------------------------------------------------

@case(["torch.nn.functional.scaled_dot_product_attention"], on=(BM.lens,))
def sdpa(w, x):
    return torch_of(w).nn.functional.scaled_dot_product_attention(x, x, x)


@case(["torch.nn.functional.scaled_dot_product_attention"], on=(BM.lens,))
def sdpa_heads(w, x):
    """(B, H, T, D) from a view of projected features, back to (B, T, H * D)."""
    torch = torch_of(w)
    b, t, _ = x.shape
    q, k, v = (_features(w, x).view(b, t, 2, 4).transpose(1, 2) for _ in range(3))
    out = torch.nn.functional.scaled_dot_product_attention(q, k, v, scale=0.3)
    return out.transpose(1, 2).reshape(b, t, 8)


@case(["torch.nn.functional.scaled_dot_product_attention"], on=(BM.lens,))
def sdpa_cross(w, x):
    memory = x[:, ::2] * 2.0
    return torch_of(w).nn.functional.scaled_dot_product_attention(x, memory, memory[..., 1:])


@case(["torch.nn.functional.scaled_dot_product_attention"], on=(BM.lens,), other_lengths=[[11, 6, 9]])
def sdpa_causal(w, x):
    F = torch_of(w).nn.functional  # noqa: N806
    memory = x[:, 1:]
    return F.scaled_dot_product_attention(x, x, x, is_causal=True) + \
        F.scaled_dot_product_attention(x, memory, memory, is_causal=True)


@case(["Tensor.logical_not", "torch.nn.functional.scaled_dot_product_attention"], on=(BM.lens,))
def sdpa_bool_mask(w, x):
    """A bool mask (True: attends), broadcast over the batch; its first row attends nowhere (torch: zeros)."""
    torch = torch_of(w)
    allowed = _causal(w, x.shape[1], x.shape[1]).logical_not()
    first_row_off = torch.arange(x.shape[1])[:, None] > 0
    return torch.nn.functional.scaled_dot_product_attention(x, x, x, attn_mask=allowed & first_row_off)


@case(["torch.nn.functional.scaled_dot_product_attention"], on=(BM.lens,))
def sdpa_float_mask(w, x):
    """A float (B, 1, L, S) mask broadcast over heads."""
    torch = torch_of(w)
    q = x[:, None]  # (B, 1, T, 5)
    bias = torch.einsum("btf,bsf->bts", x, x).clamp(max=0)[:, None]
    return torch.nn.functional.scaled_dot_product_attention(q, q * 0.5, q, attn_mask=bias)


# -- refused -------------------------------------------------------------------------------------

@refused("dropout_p=0.1 .random dropout..*not supported", on=BM)
def sdpa_dropout(w, x):
    return torch_of(w).nn.functional.scaled_dot_product_attention(x, x, x, dropout_p=0.1)


@refused("enable_gqa=True.*not supported", on=BM)
def sdpa_gqa(w, x):
    q = x[:, None].expand(-1, 2, -1, -1)
    return torch_of(w).nn.functional.scaled_dot_product_attention(q, x[:, None], x[:, None], enable_gqa=True)


@refused("add_bias_kv.*not supported", on=BM)
def mha_add_bias_kv(w, x):
    return torch_of(w).nn.MultiheadAttention(5, 1, add_bias_kv=True, batch_first=True)(x, x, x)[0]


@refused("dropout=0.5 in training mode.*not supported", on=BM)
def mha_training_dropout(w, x):
    return torch_of(w).nn.MultiheadAttention(5, 1, dropout=0.5, batch_first=True)(x, x, x)[0]


# -- F.multi_head_attention_forward --------------------------------------------------------------
# Time-major (L, N, E) inputs, as the function takes them; the weights are parameters of modules that
# are never called (bound from the call's recorded inputs).

def _mhaf(w, query, key, value, **kwargs):
    """F.multi_head_attention_forward with 2 heads over 8 features, packed in-projection (24, 8)."""
    torch = torch_of(w)
    in_proj, out_proj = torch.nn.Linear(8, 24), torch.nn.Linear(8, 8)
    args = dict(in_proj_weight=in_proj.weight, in_proj_bias=in_proj.bias, bias_k=None, bias_v=None,
                add_zero_attn=False, dropout_p=0.0, out_proj_weight=out_proj.weight, out_proj_bias=out_proj.bias,
                training=False)
    args.update(kwargs)
    return torch.nn.functional.multi_head_attention_forward(query, key, value, 8, 2, **args)


def _tm(w, x):
    """(B, T, 5) input as (T, B, 8) features."""
    return _features(w, x).transpose(0, 1)


@case(["torch.nn.functional.multi_head_attention_forward"], on=(BM.lens,))
def mhaf_packed(w, x):
    h = _tm(w, x)
    out, weights = _mhaf(w, h, h, h)
    return _uses(out, weights, batch_first=False).transpose(0, 1)


@case(["torch.nn.functional.multi_head_attention_forward"], on=(TM.lens,))
def tm_mhaf_packed(w, x):
    h = _features(w, x)
    out, weights = _mhaf(w, h, h, h)
    return _uses(out, weights, batch_first=False)


@case(["torch.nn.functional.multi_head_attention_forward"], on=(BM.lens, BATCH_OF_ONE), other_lengths=[[11, 6, 9]])
def mhaf_separate_weights(w, x):
    """As WavLM calls it: an empty in_proj_weight, separate q/k/v weights, the biases concatenated, a bool
    key_padding_mask and a float (batch * heads, L, S) attn_mask; weights broadcast to every head."""
    torch = torch_of(w)
    h = _tm(w, x)
    q, k, v = torch.nn.Linear(8, 8), torch.nn.Linear(8, 8), torch.nn.Linear(8, 8)
    bias = torch.einsum("btf,bsf->bts", x, x).clamp(max=0) * 0.3
    b, l, s = bias.shape
    mask = bias[:, None].expand(b, 2, l, s).reshape(b * 2, l, s)
    out, weights = _mhaf(w, h, h, h, in_proj_weight=torch.empty([0]), in_proj_bias=torch.cat((q.bias, k.bias, v.bias)),
                         key_padding_mask=x[..., 0] > 1.5, attn_mask=mask, use_separate_proj_weight=True,
                         q_proj_weight=q.weight, k_proj_weight=k.weight, v_proj_weight=v.weight)
    weights = weights[:, None].broadcast_to(weights.shape[:1] + (2,) + weights.shape[1:])
    return out.transpose(0, 1) + weights.amax((1, 3)).unsqueeze(-1)


@case(["torch.nn.functional.multi_head_attention_forward"], on=(BM.lens,))
def mhaf_cross_kdim_vdim(w, x):
    """Separate weights for keys of 3 and values of 4 features, from every second frame (length ceil(T / 2))."""
    torch = torch_of(w)
    h, memory = _tm(w, x), x[:, ::2].transpose(0, 1)
    q, k, v = torch.nn.Linear(8, 8), torch.nn.Linear(3, 8), torch.nn.Linear(4, 8)
    out, weights = _mhaf(w, h, memory[..., :3], memory[..., 1:], use_separate_proj_weight=True,
                         q_proj_weight=q.weight, k_proj_weight=k.weight, v_proj_weight=v.weight)
    return _uses(out, weights, batch_first=False).transpose(0, 1)


@case(["torch.nn.functional.multi_head_attention_forward"], on=(BM.lens,))
def mhaf_masks_without_weights(w, x):
    """need_weights=False (torch's SDPA path) with a 2-d bool attn_mask and a float key_padding_mask; and per-head
    weights with the same masks."""
    h = _tm(w, x)
    mask = _causal(w, x.shape[1], x.shape[1])
    padding = x[..., 0].clamp(max=0)
    out, none = _mhaf(w, h, h, h, attn_mask=mask, key_padding_mask=padding, need_weights=False)
    assert none is None
    out2, weights = _mhaf(w, h, h, h, attn_mask=mask, key_padding_mask=padding, average_attn_weights=False)
    return (out + out2).transpose(0, 1) + weights.amax((1, 3)).unsqueeze(-1)


@case(["torch.nn.functional.multi_head_attention_forward"], on=(BM.lens,))
def mhaf_causal(w, x):
    """is_causal with its mask: without weights masked by position, with weights by the mask."""
    h = _tm(w, x)
    mask = _causal(w, x.shape[1], x.shape[1])
    out, _ = _mhaf(w, h, h, h, attn_mask=mask, is_causal=True, need_weights=False)
    out2, weights = _mhaf(w, h, h, h, attn_mask=mask, is_causal=True)
    return (out + _uses(out2, weights, batch_first=False)).transpose(0, 1)


@case(["torch.nn.functional.multi_head_attention_forward"], on=(BM.lens,))
def mhaf_dropout_outside_training(w, x):
    h = _tm(w, x)
    out, weights = _mhaf(w, h, h, h, dropout_p=0.5, training=False)
    return _uses(out, weights, batch_first=False).transpose(0, 1)


@case(["torch.nn.functional.multi_head_attention_forward"], on=(BM.lens, BATCH_OF_ONE), other_lengths=[[11, 6, 9]])
def wavlm_gated_position_bias(w, x):
    """WavLM's attention: log-bucketed relative positions from ``arange(t)``, an embedding per head, repeated
    over the batch and merged with the heads, gated by GRU-style gates from the input, the attn_mask of
    F.multi_head_attention_forward (separate weights); the averaged weights broadcast to every head."""
    import math
    torch = torch_of(w)
    heads, num_buckets, max_distance = 2, 20, 50
    h = _features(w, x)
    bsz, t, _ = h.shape
    relative = torch.arange(t, dtype=torch.long)[None, :] - torch.arange(t, dtype=torch.long)[:, None]
    n = num_buckets // 2
    buckets = (relative > 0).to(torch.long) * n
    relative = torch.abs(relative)
    max_exact = n // 2
    is_small = relative < max_exact
    large = torch.log(relative.float() / max_exact) / math.log(max_distance / max_exact) * (n - max_exact)
    large = (max_exact + large).to(torch.long)
    large = torch.min(large, torch.full_like(large, n - 1))
    buckets += torch.where(is_small, relative, large)
    values = torch.nn.Embedding(num_buckets, heads)(buckets).permute([2, 0, 1])
    position_bias = values.unsqueeze(0).repeat(bsz, 1, 1, 1).view(bsz * heads, t, t)
    gated = h.view(h.shape[:-1] + (heads, -1)).permute(0, 2, 1, 3)
    projected = torch.nn.Linear(4, 8)(gated).view(gated.shape[:-1] + (2, 4)).sum(-1)
    gate_a, gate_b = torch.sigmoid(projected).chunk(2, dim=-1)
    gate = gate_a * (gate_b * torch.nn.Parameter(torch.ones(1, heads, 1, 1) * 1.5) - 1.0) + 2.0
    gated_bias = (gate.view(bsz * heads, -1, 1) * position_bias).view((-1, t, t))
    q, k, v = torch.nn.Linear(8, 8), torch.nn.Linear(8, 8), torch.nn.Linear(8, 8)
    query = h.transpose(0, 1)
    out, weights = _mhaf(w, query, query, query, in_proj_weight=torch.empty([0]),
                         in_proj_bias=torch.cat((q.bias, k.bias, v.bias)), attn_mask=gated_bias,
                         use_separate_proj_weight=True, q_proj_weight=q.weight, k_proj_weight=k.weight,
                         v_proj_weight=v.weight)
    weights = weights[:, None].broadcast_to(weights.shape[:1] + (heads,) + weights.shape[1:])
    return out.transpose(0, 1) + weights.amax((1, 3)).unsqueeze(-1)


@refused("bias_k/bias_v or add_zero_attn.*not supported", on=BM)
def mhaf_bias_kv(w, x):
    torch = torch_of(w)
    h = _tm(w, x)
    return _mhaf(w, h, h, h, bias_k=torch.zeros(1, 1, 8), bias_v=torch.zeros(1, 1, 8))[0]


@refused("dropout_p=0.5 and training=True.*not supported", on=BM)
def mhaf_training_dropout(w, x):
    h = _tm(w, x)
    return _mhaf(w, h, h, h, dropout_p=0.5, training=True, need_weights=False)[0]


@case(["torch.nn.Embedding", "torch.einsum"], on=(BM.lens,), other_lengths=[[11, 6, 9]])
def shaw_relative_attention(w, x):
    """Shaw-style relative positions: a (T, T) matrix of clamped distances looks up an embedding, which
    the queries meet as extra keys (the core of Conformer-era relative attention)."""
    torch = torch_of(w)
    max_dist = 3
    h = _features(w, x)
    t = h.shape[1]
    rel = torch.arange(t)[None, :] - torch.arange(t)[:, None]
    rel_emb = torch.nn.Embedding(2 * max_dist + 1, 8)(rel.clamp(-max_dist, max_dist) + max_dist)  # (T, T, 8)
    scores = torch.einsum("btd,bsd->bts", h, h) + torch.einsum("btd,tsd->bts", h, rel_emb)
    return torch.einsum("bts,bsd->btd", scores.softmax(-1), h)


@case(["torch.bmm"], on=(BM.lens, BATCH_OF_ONE), other_lengths=[[11, 6, 9]])
def merged_heads_bmm(w, x):
    """DeBERTa's attention (SEW-D, DeBERTa-v2): batch and heads merged into one axis (``view(-1, T, d)``),
    time-by-time scores by ``bmm``, split back to (B, H, T, T) for the softmax and merged again."""
    torch = torch_of(w)
    heads = 2
    h = _features(w, x)

    def split(t):
        t = t.view(t.size()[:-1] + (heads, -1))
        return t.permute(0, 2, 1, 3).contiguous().view(-1, t.size(1), t.size(-1))

    q, k, v = (split(torch.nn.Linear(8, 8)(h)) for _ in range(3))
    scores = torch.bmm(q, k.transpose(-1, -2) / 2.0)
    scores = scores.view(-1, heads, scores.size(-2), scores.size(-1))
    probs = torch.softmax(scores, -1)
    out = torch.bmm(probs.view(-1, probs.size(-2), probs.size(-1)), v)
    out = out.view(-1, heads, out.size(-2), out.size(-1)).permute(0, 2, 1, 3).contiguous()
    return out.view(h.shape)


@case(["torch.bmm", "Tensor.repeat"], on=(BM.lens,), other_lengths=[[11, 6, 9]])
def merged_heads_position_scores(w, x):
    """DeBERTa's disentangled attention (SEW-D): position embeddings split into heads, repeated over the batch
    by a count from the merged batch-by-heads size (``q.size(0) // heads``), and their scores against the
    queries by ``bmm`` over that merged axis."""
    torch = torch_of(w)
    heads, span = 2, 3
    h = _features(w, x)

    def split(t):
        t = t.view(t.size()[:-1] + (heads, -1))
        return t.permute(0, 2, 1, 3).contiguous().view(-1, t.size(1), t.size(-1))

    q = split(torch.nn.Linear(8, 8)(h))
    positions = torch.nn.Parameter(torch.randn(1, 2 * span, 8))
    pos_key = split(torch.nn.Linear(8, 8)(positions)).repeat(q.size(0) // heads, 1, 1)
    scores = torch.bmm(q, pos_key.transpose(-1, -2))
    return scores.view(-1, heads, scores.size(-2), scores.size(-1)).permute(0, 2, 1, 3).flatten(2)


@case(["torch.gather", "torch.bmm"], on=(BM.lens, BATCH_OF_ONE), other_lengths=[[11, 6, 9]])
def deberta_disentangled_scores(w, x):
    """DeBERTa-v2's disentangled attention scores (SEW-D): relative positions of queries to keys in log
    buckets, content-to-position and position-to-content scores gathered at them over the merged batch and
    heads (the index expanded by sizes of both time axes), added to the content scores."""
    torch = torch_of(w)
    heads, span, max_position = 2, 4, 16
    h = _features(w, x)

    def split(t):
        t = t.view(t.size()[:-1] + (heads, -1))
        return t.permute(0, 2, 1, 3).contiguous().view(-1, t.size(1), t.size(-1))

    q, k = split(torch.nn.Linear(8, 8)(h)), split(torch.nn.Linear(8, 8)(h))
    t = q.size(-2)
    rel = torch.arange(0, t)[:, None] - torch.arange(0, k.size(-2))[None, :]
    sign, mid = torch.sign(rel), span
    abs_pos = torch.where((rel < mid) & (rel > -mid), torch.tensor(mid - 1).type_as(rel), torch.abs(rel))
    log_pos = torch.ceil(torch.log(abs_pos / mid) / torch.log(torch.tensor((max_position - 1) / mid)) * (mid - 1)) + mid
    rel = torch.where(abs_pos <= mid, rel.type_as(log_pos), log_pos * sign).to(torch.long)
    rel = rel[:t, :].unsqueeze(0).unsqueeze(0)
    positions = torch.nn.Parameter(torch.randn(1, 2 * span, 8))
    pos_key = split(torch.nn.Linear(8, 8)(positions)).repeat(q.size(0) // heads, 1, 1)
    pos_query = split(torch.nn.Linear(8, 8)(positions)).repeat(q.size(0) // heads, 1, 1)
    c2p = torch.bmm(q, pos_key.transpose(-1, -2))
    c2p_pos = torch.clamp(rel + span, 0, span * 2 - 1)
    c2p = torch.gather(c2p, dim=-1, index=c2p_pos.squeeze(0).expand([q.size(0), q.size(1), rel.size(-1)]))
    p2c_pos = torch.clamp(-rel + span, 0, span * 2 - 1)
    p2c = torch.bmm(k, pos_query.transpose(-1, -2))
    p2c = torch.gather(p2c, dim=-1, index=p2c_pos.squeeze(0).expand([q.size(0), k.size(-2), k.size(-2)]))
    scores = torch.bmm(q, k.transpose(-1, -2)) + c2p + p2c.transpose(-1, -2)
    return scores.view(-1, heads, t, t).amax(-1).transpose(1, 2)


@case(["torch.matmul", "torch.nn.functional.pad"], on=(BM.lens, BATCH_OF_ONE), other_lengths=[[11, 6, 9]])
def conformer_relative_shift(w, x):
    """Transformer-XL style relative scores (Wav2Vec2-Conformer, ESPnet): a (1, 2t - 1, d) slice of a sinusoid
    table at bounds from the length, projected per head, its (1, h, d, 2t - 1) product with the (b, h, t, d)
    queries (a batch of one meets the table's size-1 axis), shifted by the pad-and-view trick and cut to the
    keys' length (a second axis of length t)."""
    import math
    torch = torch_of(w)
    heads, d_model, max_len = 2, 8, 32
    h = _features(w, x)
    position = torch.arange(0, max_len, dtype=torch.float32).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float32) * -(math.log(10000.0) / d_model))
    table = torch.zeros(max_len, d_model)
    table[:, 0::2] = torch.sin(position * div_term)
    table[:, 1::2] = torch.cos(position * div_term)
    pe = torch.cat([torch.flip(table, [0]).unsqueeze(0), table[1:].unsqueeze(0)], dim=1)
    t = h.size(1)
    start, end = pe.size(1) // 2 - t + 1, pe.size(1) // 2 + t
    rel = torch.nn.Linear(d_model, d_model, bias=False)(pe[:, start:end])
    rel = rel.view(*rel.shape[:2], heads, -1).permute(0, 2, 3, 1)
    q = torch.nn.Linear(5, d_model)(x).view(x.size(0), t, heads, -1).transpose(1, 2)
    k = h.view(x.size(0), t, heads, -1).transpose(1, 2)
    scores = torch.matmul(q, rel)
    shape = scores.shape
    scores = torch.nn.functional.pad(scores, (1, 0)).view(*shape[:2], shape[3] + 1, shape[2])
    scores = scores[..., 1:, :].view(shape)[..., :k.size(2)]
    return (torch.matmul(q, k.transpose(-1, -2)) + scores).softmax(-1).amax(-1).transpose(1, 2)


@case(["Tensor.__getitem__", "torch.where"], on=(BM, BM.lens), other_lengths=[[11, 6, 9]])
def causal_mask_from_a_buffer(w, x):
    """GPT-Neo's local attention mask: a bool buffer of the maximal length cut to the length on both
    axes (``bias[:, :, k - q : k, :k]``), in two layers (the second's lengths taken from the first's output)."""
    torch = torch_of(w)

    class Attention(torch.nn.Module):
        def __init__(self):
            super().__init__()
            bias = torch.tril(torch.ones((16, 16), dtype=torch.bool)).view(1, 1, 16, 16)
            self.bias = torch.nn.Buffer(torch.bitwise_xor(bias, torch.tril(bias, -3)), persistent=False)

        def forward(self, h):
            q = h[:, None]
            scores = q @ q.transpose(-1, -2)
            n_query, n_key = q.size(-2), q.size(-2)
            mask = self.bias[:, :, n_key - n_query:n_key, :n_key]
            return (torch.where(mask, scores, torch.tensor(-1e9)).softmax(-1) @ q)[:, 0]

    attention = Attention()
    return attention(attention(x))


@case(["Tensor.view", "torch.arange", "torch.nn.functional.pad"], on=(BM, BM.lens), other_lengths=[[11, 6, 9]])
def relative_shift_of_arange_positions(w, x):
    """Transformer-XL's relative shift (FastConformer's): scores over the 2t - 1 positions of
    ``arange(t - 1, -t, -1)``, padded by one, viewed as (2t, t) (the -1 of a product of two lengths), cut
    and viewed back, then cut to t."""
    torch = torch_of(w)
    t = x.shape[1]
    positions = torch.arange(t - 1, -t, -1).float()
    table = torch.einsum("p,f->pf", positions, torch.ones(5)) * 0.1
    scores = (x @ table.transpose(0, 1))[:, None]  # (batch, 1, t, 2t - 1)
    b, h, q, p = scores.shape
    shifted = torch.nn.functional.pad(scores, (1, 0)).view(b, h, -1, q)[:, :, 1:].view(b, h, q, p)
    return shifted[..., :t][:, 0]
