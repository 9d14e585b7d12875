"""Transformers: nn.TransformerEncoderLayer, nn.TransformerEncoder, nn.TransformerDecoderLayer,
nn.TransformerDecoder, nn.Transformer and its ``generate_square_subsequent_mask``.

All are torch leaves (nothing inside them is recorded), built here from the
drop-in MultiheadAttention, Linear and LayerNorm as submodules, so their
``named_parameters()`` are torch's (``layers.0.self_attn.in_proj_weight``,
``decoder.layers.0.multihead_attn.out_proj.weight``) and bind to the trace.
Eval semantics of torch's slow path, which its fast path
(``torch._transformer_encoder_layer_fwd``) computes too; nothing is masked by
sequence lengths, as torch attends to the padding frames unless a mask says so.
Causal masks (``generate_square_subsequent_mask(x.shape[1])``) are built in the
net from the time dim, so the exported net runs on other lengths.

TransformerEncoder with a ``src_key_padding_mask`` can take torch's nested-tensor
path, whose output (before the final norm) is 0 at padded positions instead of
the computed values: see `_nested_zeros`.
"""

from __future__ import annotations

from typing import Any, Callable

from pt2r.errors import ModelError, UnsupportedOpError
from pt2r.torch import _dtype
from pt2r.torch._tensor import Tensor
from pt2r.torch.nn.module import Module, ModuleList
from pt2r.torch.ops.activation import GELU, ReLU, gelu, relu
from pt2r.torch.ops.attention import MultiheadAttention
from pt2r.torch.ops.build import aux_name, eval_layer, raw_axes, retag
from pt2r.torch.ops.creation import full
from pt2r.torch.ops.elementwise import triu
from pt2r.torch.ops.linear import Linear, linear
from pt2r.torch.ops.norm import LayerNorm
from pt2r.torch.ops.registry import module, public


def _activation_name(activation: Any) -> str | None:
    """The activation, "relu" or "gelu", from torch's accepted spellings (the string, F.relu, F.gelu); else None."""
    for name in ("relu", "gelu"):
        if activation == name or activation is public(f"torch.nn.functional.{name}"):
            return name
    return None


def _activation_fn(activation: Any) -> Any:
    """The activation as torch's layers keep it: "relu"/"gelu" as the functions, any other callable as it is
    (the drop-in's, called on drop-in tensors: ``torch.tanh``, a module, the model's own function)."""
    name = _activation_name(activation)
    if name is not None:
        return relu if name == "relu" else gelu
    if isinstance(activation, str) or not callable(activation):
        raise ModelError(f"activation should be relu/gelu, not {activation}")
    return activation


class _Layer(Module):
    """What torch's encoder and decoder layers share: self-attention (and, in a decoder, cross-attention), the
    feed-forward block, and a LayerNorm per block."""

    #: a decoder layer's: cross-attention (``multihead_attn``) and its LayerNorm
    cross_attention = False

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: Any = "relu", layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device: Any = None, dtype: Any = None):
        super().__init__()
        #: the constructor's arguments, for TransformerEncoder's/Decoder's copies (torch deep-copies the layer)
        self._config = dict(d_model=d_model, nhead=nhead, dim_feedforward=dim_feedforward, dropout=dropout,
                            activation=activation, layer_norm_eps=layer_norm_eps, batch_first=batch_first,
                            norm_first=norm_first, bias=bias)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first)
        if self.cross_attention:
            self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                                     batch_first=batch_first)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias)
        self.norm_first, self.dropout_p = norm_first, dropout
        for i in range(1, 4 if self.cross_attention else 3):
            setattr(self, f"norm{i}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias))
        self.activation = _activation_fn(activation)

    def clone(self) -> _Layer:
        copy = type(self)(**self._config)
        copy.train(self.training)
        return copy

    def _blocks(self, x: Tensor, *attention: Callable[[Tensor], Tensor]) -> Tensor:
        """The attention blocks, then the feed-forward block, each with a residual and its LayerNorm after
        it (``norm_first=False``) or before it on the block's input (``norm_first=True``)."""
        if self.training and self.dropout_p:
            raise UnsupportedOpError(f"{type(self).__name__} with dropout={self.dropout_p} in training mode "
                                     "(random) is not supported: call .eval() on the model")
        blocks = (*attention, self._feed_forward)
        for i, block in enumerate(blocks, 1):
            norm = getattr(self, f"norm{i}")
            x = x + block(norm(x)) if self.norm_first else norm(x + block(x))
        return x

    def _feed_forward(self, x: Tensor) -> Tensor:
        """``linear2(activation(linear1(x)))``."""
        hidden = self.activation(linear(x, self.linear1.weight, self.linear1.bias))
        return linear(hidden, self.linear2.weight, self.linear2.bias)


@module("torch.nn.TransformerEncoderLayer")
class TransformerEncoderLayer(_Layer):
    """Self-attention block and feed-forward block (`_Layer`)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # torch's fast-path flag (TransformerEncoder's nested-tensor path depends on it)
        activation = self._config["activation"]
        name = _activation_name(activation)
        self.activation_relu_or_gelu = (1 if name == "relu" or isinstance(activation, ReLU) else
                                        2 if name == "gelu" or isinstance(activation, GELU) else 0)

    def forward(self, src: Tensor, src_mask: Tensor | None = None, src_key_padding_mask: Tensor | None = None,
                is_causal: bool = False) -> Tensor:
        def self_attention(x: Tensor) -> Tensor:
            return self.self_attn(x, x, x, attn_mask=src_mask, key_padding_mask=src_key_padding_mask,
                                  need_weights=False, is_causal=is_causal)[0]
        return self._blocks(src, self_attention)


def _nested_zeros(x: Tensor, padding: Tensor) -> Tensor:
    """``x`` (batch, time, features) with 0 where ``padding`` (batch, time; True or nonzero: padded) says
    so, if every row of the padding mask is left-aligned (padding only at the end).

    This is torch's nested-tensor path of TransformerEncoder: it converts the input to a nested tensor
    where the mask is left-aligned (a data-dependent check over the whole batch) and converts back with
    padding 0. It is taken in eval without gradients (as pt2r records, and as inference runs), so the net
    checks the alignment itself, on whatever batch it gets.
    """
    padding = retag(padding, list(x.dims[:2]), name=aux_name("padding"))
    time_axis = raw_axes(padding, [1])[0]
    raw = "tf.cast(tf.equal(tf.cast(source(1, auto_convert=False), 'float32'), 0.0), 'int32')"  # 1: kept
    aligned = f"(lambda k: tf.reduce_all(tf.equal(k, tf.math.cumprod(k, axis={time_axis}))))({raw})"
    padded = "tf.not_equal(tf.cast(source(1), 'float32'), 0.0)"
    expr = f"tf.where(tf.logical_and({aligned}, {padded}), tf.zeros_like(source(0)), source(0))"
    return eval_layer(expr, [x, padding], x.dims, x.dtype, name=aux_name("nested_zeros"),
                      allow_broadcast_all_sources=True)


@module("torch.nn.TransformerEncoder")
class TransformerEncoder(Module):
    """The layers in turn (copies of ``encoder_layer``), then the optional final ``norm``."""

    def __init__(self, encoder_layer: Module, num_layers: int, norm: Module | None = None,
                 enable_nested_tensor: bool = True, mask_check: bool = True):
        super().__init__()
        if not isinstance(encoder_layer, TransformerEncoderLayer):
            raise UnsupportedOpError(f"TransformerEncoder of a {type(encoder_layer).__name__} (not an "
                                     f"nn.TransformerEncoderLayer) is not supported")
        self.layers = ModuleList([encoder_layer.clone() for _ in range(num_layers)])
        self.num_layers, self.norm = num_layers, norm
        self.enable_nested_tensor, self.mask_check = enable_nested_tensor, mask_check
        attn = encoder_layer.self_attn
        # torch's own conditions (at construction) for its nested-tensor path
        self.use_nested_tensor = (enable_nested_tensor and not encoder_layer.norm_first and attn.batch_first
                                  and attn.in_proj_bias is not None and encoder_layer.activation_relu_or_gelu != 0
                                  and attn.num_heads % 2 == 0)

    def forward(self, src: Tensor, mask: Tensor | None = None, src_key_padding_mask: Tensor | None = None,
                is_causal: bool | None = None) -> Tensor:
        nested = (self.use_nested_tensor and not self.layers[0].training and src.ndim == 3
                  and src_key_padding_mask is not None and mask is None)
        if nested and not self.mask_check:
            raise UnsupportedOpError("TransformerEncoder with enable_nested_tensor, mask_check=False and a "
                                     "src_key_padding_mask is not supported")
        # is_causal=None: torch checks whether ``mask`` is causal, only to take the equivalent causal path
        output = src
        for layer in self.layers:
            output = layer(output, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                           is_causal=bool(is_causal))
        if nested:
            output = _nested_zeros(output, src_key_padding_mask)
        if self.norm is not None:
            output = self.norm(output)
        return output


@module("torch.nn.TransformerDecoderLayer")
class TransformerDecoderLayer(_Layer):
    """Self-attention block (over ``tgt``), cross-attention block (queries from it, keys and values from
    ``memory``) and feed-forward block (`_Layer`)."""

    cross_attention = True

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor | None = None,
                memory_mask: Tensor | None = None, tgt_key_padding_mask: Tensor | None = None,
                memory_key_padding_mask: Tensor | None = None, tgt_is_causal: bool = False,
                memory_is_causal: bool = False) -> Tensor:
        def self_attention(x: Tensor) -> Tensor:
            return self.self_attn(x, x, x, attn_mask=tgt_mask, key_padding_mask=tgt_key_padding_mask,
                                  need_weights=False, is_causal=bool(tgt_is_causal))[0]

        def cross_attention(x: Tensor) -> Tensor:
            return self.multihead_attn(x, memory, memory, attn_mask=memory_mask,
                                       key_padding_mask=memory_key_padding_mask, need_weights=False,
                                       is_causal=bool(memory_is_causal))[0]
        return self._blocks(tgt, self_attention, cross_attention)


@module("torch.nn.TransformerDecoder")
class TransformerDecoder(Module):
    """The layers in turn (copies of ``decoder_layer``), each on the previous one's output and ``memory``,
    then the optional final ``norm``."""

    def __init__(self, decoder_layer: Module, num_layers: int, norm: Module | None = None):
        super().__init__()
        if not isinstance(decoder_layer, TransformerDecoderLayer):
            raise UnsupportedOpError(f"TransformerDecoder of a {type(decoder_layer).__name__} (not an "
                                     f"nn.TransformerDecoderLayer) is not supported")
        self.layers = ModuleList([decoder_layer.clone() for _ in range(num_layers)])
        self.num_layers, self.norm = num_layers, norm

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor | None = None,
                memory_mask: Tensor | None = None, tgt_key_padding_mask: Tensor | None = None,
                memory_key_padding_mask: Tensor | None = None, tgt_is_causal: bool | None = None,
                memory_is_causal: bool = False) -> Tensor:
        # tgt_is_causal=None: torch checks whether ``tgt_mask`` is causal, only to take the equivalent causal path
        output = tgt
        for layer in self.layers:
            output = layer(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                           tgt_key_padding_mask=tgt_key_padding_mask,
                           memory_key_padding_mask=memory_key_padding_mask, tgt_is_causal=bool(tgt_is_causal),
                           memory_is_causal=memory_is_causal)
        if self.norm is not None:
            output = self.norm(output)
        return output


@module("torch.nn.Transformer")
class Transformer(Module):
    """The encoder (a TransformerEncoder with a final LayerNorm, or ``custom_encoder``) on ``src``, then the
    decoder (a TransformerDecoder with a final LayerNorm, or ``custom_decoder``) on ``tgt`` and the encoder's
    output."""

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6,
                 num_decoder_layers: int = 6, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: Any = "relu", custom_encoder: Any = None, custom_decoder: Any = None,
                 layer_norm_eps: float = 1e-5, batch_first: bool = False, norm_first: bool = False,
                 bias: bool = True, device: Any = None, dtype: Any = None):
        super().__init__()
        layer_args = dict(d_model=d_model, nhead=nhead, dim_feedforward=dim_feedforward, dropout=dropout,
                          activation=activation, layer_norm_eps=layer_norm_eps, batch_first=batch_first,
                          norm_first=norm_first, bias=bias)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            self.encoder = TransformerEncoder(TransformerEncoderLayer(**layer_args), num_encoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps, bias=bias))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            self.decoder = TransformerDecoder(TransformerDecoderLayer(**layer_args), num_decoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps, bias=bias))
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first

    def forward(self, src: Tensor, tgt: Tensor, src_mask: Tensor | None = None, tgt_mask: Tensor | None = None,
                memory_mask: Tensor | None = None, src_key_padding_mask: Tensor | None = None,
                tgt_key_padding_mask: Tensor | None = None, memory_key_padding_mask: Tensor | None = None,
                src_is_causal: bool | None = None, tgt_is_causal: bool | None = None,
                memory_is_causal: bool = False) -> Tensor:
        batch_axis = 0 if self.batch_first else 1
        if src.ndim == 3 and int(src.shape[batch_axis]) != int(tgt.shape[batch_axis]):
            raise ModelError("the batch number of src and tgt must be equal")
        if int(src.shape[-1]) != self.d_model or int(tgt.shape[-1]) != self.d_model:
            raise ModelError("the feature number of src and tgt must be equal to d_model")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask, tgt_is_causal=tgt_is_causal,
                            memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device: Any = None, dtype: Any = None) -> Tensor:
        """(sz, sz): 0 on and below the diagonal, -inf above. ``sz`` may be a dynamic size (``x.shape[1]``):
        the mask is then built in the net from its dim. Torch computes it in Python from torch ops called
        inside torch, so the trace has no call for it, and nor does this (pt2r code calls the builders
        directly)."""
        return triu(full((sz, sz), float("-inf"), dtype=dtype or _dtype.float32), 1)
