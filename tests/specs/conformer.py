"""An ESPnet-style Conformer encoder, written here as ESPnet writes it (no ESPnet dependency).

conv2d subsampling (4x) with its mask, relative positional encoding and multi-head attention with
``rel_shift`` (Transformer-XL style), macaron feed-forwards, the convolution module with GLU and
BatchNorm, the padding mask made from lengths (``make_pad_mask``). Input: fbank features
(batch, time, 20) with per-sequence lengths; output: the encoder states (batch, time // 4 - ..., 32),
padding frames zeroed as ESPnet's masks leave them irrelevant.
"""

import math

import numpy as np

INPUT_SPEC = {"shape": [None, 20], "seq_lens": [37, 22]}
D_MODEL, HEADS, FF, KERNEL, BLOCKS = 32, 4, 64, 7, 2


def example_inputs():
    return np.random.RandomState(0).randn(2, 37, 20).astype("float32")


def build(torch):
    nn = torch.nn

    def make_pad_mask(lengths, maxlen):
        """True at padding frames (ESPnet's make_pad_mask, the tensor form)."""
        seq_range = torch.arange(0, maxlen, dtype=torch.int64, device=lengths.device)
        return seq_range.unsqueeze(0) >= lengths.unsqueeze(1)

    class Conv2dSubsampling(nn.Module):
        def __init__(self, idim, odim):
            super().__init__()
            self.conv = nn.Sequential(nn.Conv2d(1, odim, 3, 2), nn.ReLU(), nn.Conv2d(odim, odim, 3, 2), nn.ReLU())
            self.out = nn.Linear(odim * (((idim - 1) // 2 - 1) // 2), odim)

        def forward(self, x, x_mask):
            x = x.unsqueeze(1)  # (b, c, t, f)
            x = self.conv(x)
            b, c, t, f = x.size()
            x = self.out(x.transpose(1, 2).contiguous().view(b, t, c * f))
            return x, x_mask[:, :, :-2:2][:, :, :-2:2]

    class RelPositionalEncoding(nn.Module):
        def __init__(self, d_model, max_len=500):
            super().__init__()
            self.d_model = d_model
            self.xscale = math.sqrt(d_model)
            self.pe = None
            self.extend_pe(torch.tensor(0.0).expand(1, max_len))

        def extend_pe(self, x):
            if self.pe is not None and self.pe.size(1) >= x.size(1) * 2 - 1:
                return
            pe_positive = torch.zeros(x.size(1), self.d_model)
            pe_negative = torch.zeros(x.size(1), self.d_model)
            position = torch.arange(0, x.size(1), dtype=torch.float32).unsqueeze(1)
            div_term = torch.exp(torch.arange(0, self.d_model, 2, dtype=torch.float32)
                                 * -(math.log(10000.0) / self.d_model))
            pe_positive[:, 0::2] = torch.sin(position * div_term)
            pe_positive[:, 1::2] = torch.cos(position * div_term)
            pe_negative[:, 0::2] = torch.sin(-1 * position * div_term)
            pe_negative[:, 1::2] = torch.cos(-1 * position * div_term)
            pe_positive = torch.flip(pe_positive, [0]).unsqueeze(0)
            pe_negative = pe_negative[1:].unsqueeze(0)
            self.pe = torch.cat([pe_positive, pe_negative], dim=1)

        def forward(self, x):
            x = x * self.xscale
            center = self.pe.size(1) // 2
            pos_emb = self.pe[:, center - x.size(1) + 1: center + x.size(1)]
            return x, pos_emb

    class RelPositionMultiHeadedAttention(nn.Module):
        def __init__(self, n_head, n_feat):
            super().__init__()
            self.d_k, self.h = n_feat // n_head, n_head
            self.linear_q = nn.Linear(n_feat, n_feat)
            self.linear_k = nn.Linear(n_feat, n_feat)
            self.linear_v = nn.Linear(n_feat, n_feat)
            self.linear_out = nn.Linear(n_feat, n_feat)
            self.linear_pos = nn.Linear(n_feat, n_feat, bias=False)
            self.pos_bias_u = nn.Parameter(torch.Tensor(self.h, self.d_k))
            self.pos_bias_v = nn.Parameter(torch.Tensor(self.h, self.d_k))
            nn.init.xavier_uniform_(self.pos_bias_u)
            nn.init.xavier_uniform_(self.pos_bias_v)

        def rel_shift(self, x):
            zero_pad = torch.zeros((*x.size()[:3], 1), device=x.device, dtype=x.dtype)
            x_padded = torch.cat([zero_pad, x], dim=-1)
            x_padded = x_padded.view(*x.size()[:2], x.size(3) + 1, x.size(2))
            return x_padded[:, :, 1:].view_as(x)[:, :, :, : x.size(-1) // 2 + 1]

        def forward(self, query, key, value, pos_emb, mask):
            n_batch = query.size(0)
            q = self.linear_q(query).view(n_batch, -1, self.h, self.d_k).transpose(1, 2)
            k = self.linear_k(key).view(n_batch, -1, self.h, self.d_k).transpose(1, 2)
            v = self.linear_v(value).view(n_batch, -1, self.h, self.d_k).transpose(1, 2)
            q = q.transpose(1, 2)  # (batch, time1, head, d_k)
            p = self.linear_pos(pos_emb).view(pos_emb.size(0), -1, self.h, self.d_k).transpose(1, 2)
            q_with_bias_u = (q + self.pos_bias_u).transpose(1, 2)
            q_with_bias_v = (q + self.pos_bias_v).transpose(1, 2)
            matrix_ac = torch.matmul(q_with_bias_u, k.transpose(-2, -1))
            matrix_bd = self.rel_shift(torch.matmul(q_with_bias_v, p.transpose(-2, -1)))
            scores = (matrix_ac + matrix_bd) / math.sqrt(self.d_k)
            mask = mask.unsqueeze(1).eq(0)  # (batch, 1, *, time2)
            scores = scores.masked_fill(mask, float("-inf"))
            attn = torch.softmax(scores, dim=-1).masked_fill(mask, 0.0)
            x = torch.matmul(attn, v).transpose(1, 2).contiguous().view(n_batch, -1, self.h * self.d_k)
            return self.linear_out(x)

    class PositionwiseFeedForward(nn.Module):
        def __init__(self, idim, hidden):
            super().__init__()
            self.w_1, self.w_2, self.activation = nn.Linear(idim, hidden), nn.Linear(hidden, idim), nn.SiLU()

        def forward(self, x):
            return self.w_2(self.activation(self.w_1(x)))

    class ConvolutionModule(nn.Module):
        def __init__(self, channels, kernel_size):
            super().__init__()
            self.pointwise_conv1 = nn.Conv1d(channels, 2 * channels, 1)
            self.depthwise_conv = nn.Conv1d(channels, channels, kernel_size, padding=(kernel_size - 1) // 2,
                                            groups=channels)
            self.norm = nn.BatchNorm1d(channels)
            self.pointwise_conv2 = nn.Conv1d(channels, channels, 1)
            self.activation = nn.SiLU()

        def forward(self, x, mask_pad):
            x = x.transpose(1, 2)  # (batch, channels, time)
            x = x.masked_fill(~mask_pad, 0.0)
            x = nn.functional.glu(self.pointwise_conv1(x), dim=1)
            x = self.activation(self.norm(self.depthwise_conv(x)))
            return self.pointwise_conv2(x).transpose(1, 2)

    class ConformerBlock(nn.Module):
        def __init__(self, size):
            super().__init__()
            self.self_attn = RelPositionMultiHeadedAttention(HEADS, size)
            self.feed_forward = PositionwiseFeedForward(size, FF)
            self.feed_forward_macaron = PositionwiseFeedForward(size, FF)
            self.conv_module = ConvolutionModule(size, KERNEL)
            self.norm_ff, self.norm_mha, self.norm_ff_macaron = nn.LayerNorm(size), nn.LayerNorm(size), \
                nn.LayerNorm(size)
            self.norm_conv, self.norm_final = nn.LayerNorm(size), nn.LayerNorm(size)
            self.ff_scale = 0.5

        def forward(self, x, pos_emb, mask):
            x = x + self.ff_scale * self.feed_forward_macaron(self.norm_ff_macaron(x))
            x_q = self.norm_mha(x)
            x = x + self.self_attn(x_q, x_q, x_q, pos_emb, mask)
            x = x + self.conv_module(self.norm_conv(x), mask)
            x = x + self.ff_scale * self.feed_forward(self.norm_ff(x))
            return self.norm_final(x), mask

    class ConformerEncoder(nn.Module):
        def __init__(self, idim):
            super().__init__()
            self.embed = Conv2dSubsampling(idim, D_MODEL)
            self.pos_enc = RelPositionalEncoding(D_MODEL)
            self.encoders = nn.ModuleList(ConformerBlock(D_MODEL) for _ in range(BLOCKS))

        def forward(self, xs_pad, ilens):
            masks = ~make_pad_mask(ilens, xs_pad.size(1))[:, None, :]
            xs_pad, masks = self.embed(xs_pad, masks)
            xs_pad, pos_emb = self.pos_enc(xs_pad)
            for layer in self.encoders:
                xs_pad, masks = layer(xs_pad, pos_emb, masks)
            olens = masks.squeeze(1).sum(1)
            return xs_pad, olens, masks

    return ConformerEncoder


def conformer(wrapped_import, inputs, seq_lens):
    torch = wrapped_import("torch") if wrapped_import else __import__("torch")
    torch.manual_seed(0)
    model = build(torch)(20).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name and name.endswith("bias"):
                p.uniform_(-0.2, 0.2)
        model.encoders[0].conv_module.norm.running_mean.uniform_(-0.5, 0.5)
        model.encoders[0].conv_module.norm.running_var.uniform_(0.5, 1.5)
    xs, olens, masks = model(inputs, seq_lens)
    return xs.masked_fill(~masks.transpose(1, 2), 0.0), olens
