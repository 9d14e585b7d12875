"""Op test models for products beyond the reduce family's: the reflected ``@`` (``Tensor.__rmatmul__``).

Each function is a tiny model ``f(wrapped_import, x)`` on (batch, time, 5) input, or time-major
(time, batch, 5). ``w @ x`` with a tensor or parameter ``w`` on the left is recorded as
``Tensor.matmul`` (tested with the reduce family); ``Tensor.__rmatmul__`` is what torch records
when the reflected operator is called by name.
"""

from opcases import BATCH_MAJOR, TIME_MAJOR, Inputs, case, torch_of

#: (batch, time, 5) and (time, batch, 5), time dynamic
BM = Inputs("batch_major", (2, 7, 5), BATCH_MAJOR, lengths=[7, 4])
TM = Inputs("time_major", (7, 2, 5), TIME_MAJOR, lengths=[7, 4])


def _param(w, *shape):
    torch = torch_of(w)
    return torch.nn.Parameter(torch.randn(*shape))


@case(["Tensor.matmul"], on=(BM.lens,))
def param_on_the_left(w, x):
    """``w @ x`` with a parameter ``w``: recorded as ``Tensor.matmul``, not ``__rmatmul__``."""
    return _param(w, 3, 5) @ x.transpose(1, 2)


@case(["Tensor.__rmatmul__"], on=(BM, BM.lens))
def rmatmul_param(w, x):
    """(3, 5) @ (B, 5, T): the parameter is the left operand."""
    return x.transpose(1, 2).__rmatmul__(_param(w, 3, 5))


@case(["Tensor.__rmatmul__"], on=(BM, BM.lens))
def rmatmul_vector(w, x):
    """(5,) @ (B, 5, T) -> (B, T)."""
    return x.transpose(1, 2).__rmatmul__(_param(w, 5)) * 2


@case(["Tensor.__rmatmul__"], on=(BM, BM.lens))
def rmatmul_over_time(w, x):
    """(B, 5, T) @ (B, T, 5), called on the right operand: contracts time, padding frames included."""
    torch = torch_of(w)
    return torch.Tensor.__rmatmul__(x, x.transpose(1, 2))


@case(["Tensor.__rmatmul__"], on=(TM.lens,))
def rmatmul_tbc(w, x):
    """Time-major (T, B, 5): (B, 4, T) from a (4, 5) parameter."""
    return x.permute(1, 2, 0).__rmatmul__(_param(w, 4, 5))


# -- torch.einsum: any equation torch takes --------------------------------------------------------


@case(["torch.einsum"], on=(BM, BM.lens))
def einsum_ellipsis_front(w, x):
    """``...`` in front: '...f,fg->...g' with a parameter."""
    return torch_of(w).einsum("...f,fg->...g", x, _param(w, 5, 3))


@case(["torch.einsum"], on=(BM, BM.lens), other_lengths=[[9, 3, 6]])
def einsum_ellipsis_middle(w, x):
    """``...`` between labels, moved to the end: 'b...f->bf...'."""
    return torch_of(w).einsum("b...f->bf...", x) * 2


@case(["torch.einsum"], on=(BM, BM.lens))
def einsum_ellipsis_summed(w, x):
    """``...`` in the inputs but not in the output: summed over (padding frames included)."""
    return torch_of(w).einsum("b...f,fg->bg", x, _param(w, 5, 3))


@case(["torch.einsum"], on=(BM, BM.lens))
def einsum_ellipsis_broadcast(w, x):
    """Operands with different numbers of axes under ``...`` (right-aligned, as in broadcasting)."""
    return torch_of(w).einsum("...f,...f->...f", x, _param(w, 1, 5))


@case(["torch.einsum"], on=(BM, BM.lens))
def einsum_implicit_output(w, x):
    """No '->': the labels seen once, alphabetically ('btf,fg' -> 'bgt')."""
    return torch_of(w).einsum("btf,fg", x, _param(w, 5, 3))


@case(["torch.einsum"], on=(BM, BM.lens))
def einsum_upper_case(w, x):
    """Upper-case labels sort before lower-case ones in the implicit output ('Bt' + 'g' -> 'Bgt')."""
    return torch_of(w).einsum("Btf,fg", x, _param(w, 5, 3))


@case(["torch.einsum"], on=(BM, BM.lens))
def einsum_four_operands(w, x):
    """Four operands: 'btf,fg,gh,h->bt'."""
    return torch_of(w).einsum("btf,fg,gh,h->bt", x, _param(w, 5, 4), _param(w, 4, 3), _param(w, 3))


@case(["torch.einsum"], on=(BM, BM.lens), other_lengths=[[9, 3, 6]])
def einsum_five_operands_time(w, x):
    """Five operands, two of them the input, contracted over time: 'btf,btg,fh,gk,k->bh'."""
    return torch_of(w).einsum("btf,btg,fh,gk,k->bh", x, x * 2, _param(w, 5, 2), _param(w, 5, 3), _param(w, 3))


@case(["torch.einsum"], on=(BM, BM.lens))
def einsum_diagonal_features(w, x):
    """A label repeated on one operand: the diagonal ('bff->bf') of a (B, F, F) product."""
    torch = torch_of(w)
    return torch.einsum("bff->bf", torch.einsum("btf,btg->bfg", x, x))


@case(["torch.einsum"], on=(BM, BM.lens), other_lengths=[[9, 3, 6]])
def einsum_diagonal_time(w, x):
    """The diagonal of a time-by-time matrix ('btt->bt'): two dynamic axes of the same length."""
    torch = torch_of(w)
    return torch.einsum("btt->bt", torch.einsum("btf,bsf->bts", x, x * 2))


@case(["torch.einsum"], on=(BM, BM.lens))
def einsum_diagonal_param(w, x):
    """The diagonal of a parameter scales the features: 'btf,ff->btf'."""
    return torch_of(w).einsum("btf,ff->btf", x, _param(w, 5, 5))


@case(["torch.einsum"], on=(BM, BM.lens))
def einsum_trace(w, x):
    """Implicit output with a repeated label: the trace ('bff' -> 'b')."""
    torch = torch_of(w)
    return torch.einsum("bff", torch.einsum("btf,btg->bfg", x, x))


@case(["torch.einsum"], on=(BM, BM.lens), other_lengths=[[9, 3, 6]])
def einsum_sublist(w, x):
    """The sublist format with an output list: einsum(x, [0, 1, 2], w, [2, 3], [0, 3, 1])."""
    return torch_of(w).einsum(x, [0, 1, 2], _param(w, 5, 3), [2, 3], [0, 3, 1])


@case(["torch.einsum"], on=(BM, BM.lens))
def einsum_sublist_ellipsis(w, x):
    """The sublist format with ``...`` and an implicit output: einsum(x, [..., 30], w, [30, 40])."""
    return torch_of(w).einsum(x, [..., 30], _param(w, 5, 3), [30, 40])


@case(["torch.einsum"], on=(TM, TM.lens), other_lengths=[[9, 3, 6]])
def einsum_tbf(w, x):
    """Time-major: 'tbf,fg->btg'."""
    return torch_of(w).einsum("tbf,fg->btg", x, _param(w, 5, 3))


@case(["torch.einsum"], on=(TM, TM.lens))
def einsum_diagonal_tbf(w, x):
    """Time-major diagonal over time: 'tbf,sbf->bts', then 'btt->tb'."""
    torch = torch_of(w)
    return torch.einsum("btt->tb", torch.einsum("tbf,sbf->bts", x, x))
