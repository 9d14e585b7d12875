"""The converted bundled example inside a RETURNN training config (docs/finetune.config, the README's
recipe), fine-tuned by RETURNN's own engine, then exported back to PyTorch (`pt2r export-torch`)."""

import os
import re
import subprocess
import sys

import numpy as np
import pytest

from phases import REPO, run_pt2r

RECIPE = os.path.join(REPO, "docs", "finetune.config")


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    from pt2r.record import record
    from pt2r.replay import replay

    folder = tmp_path_factory.mktemp("finetune")
    record("pt2r.examples.vocoder:model_func", str(folder / "trace.h5"))
    result = replay(str(folder / "trace.h5"), str(folder / "out"))
    assert result.passed
    return folder, result


def vocoder_output(converted_dir, checkpoint, inputs, *, preload):
    """The training network's subnetwork layer "vocoder" on ``inputs`` (batch, time, features), in
    PyTorch's axis order, its parameters loaded from ``checkpoint``: pt2r's own (``preload``, as
    preload_from_files does) or one of the training."""
    import tensorflow as tf
    from returnn.config import Config
    from returnn.tf.network import CustomCheckpointLoader, TFNetwork

    from pt2r.replay import standalone

    os.environ["PT2R_CONVERTED"] = str(converted_dir)
    try:
        config = Config()
        config.load_file(RECIPE)
    finally:
        del os.environ["PT2R_CONVERTED"]
    standalone.set_behavior_version()
    graph = tf.Graph()
    with graph.as_default(), tf.compat.v1.Session(graph=graph) as session:
        net = TFNetwork(config=config, train_flag=False, eval_flag=False, search_flag=False)
        net.construct_from_dict(config.typed_value("network"))
        if preload:
            CustomCheckpointLoader(filename=checkpoint, saveable_params=net.get_params_list(),
                                   load_if_prefix="vocoder/", ignore_missing=True).load_now(session=session)
        else:
            net.load_params_from_file(checkpoint, session=session)
        layer = net.get_layer("vocoder")
        value = session.run(layer.output.placeholder, standalone.input_feed(net, inputs, None))
    torch_dims = config.typed_value("converted")["pt2r_output_dims"]["output"]
    return np.transpose(value, [list(layer.output.dims).index(d) for d in torch_dims])


def torch_output(weights, inputs):
    """The bundled example on PyTorch with the parameters ``weights`` (a state_dict of numpy arrays)."""
    import torch

    from pt2r.examples import vocoder
    from pt2r.examples.melgan import generator as melgan_generator, pqmf as melgan_pqmf

    generator = melgan_generator.MelGANGenerator(**vocoder.GENERATOR_PARAMS)
    generator.remove_weight_norm()
    generator.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()})
    with torch.no_grad():
        return melgan_pqmf.PQMF(vocoder.SUBBANDS).synthesis(generator.eval()(torch.from_numpy(inputs))).numpy()


def test_finetune_in_returnn_and_back_to_pytorch(converted, tmp_path):
    safetensors = pytest.importorskip("safetensors.numpy")
    from pt2r.examples import vocoder

    folder, result = converted
    out = folder / "out"
    mel = vocoder.example_inputs()  # the recorded input, (batch, features, time)

    # before training, the subnetwork computes what the converted model computes
    before = vocoder_output(out, str(out / "model"), np.transpose(mel, [0, 2, 1]), preload=True)
    np.testing.assert_allclose(before, result.outputs["output"], atol=1e-5, rtol=1e-4)

    # RETURNN's own entry point trains it a few epochs; the loss falls
    env = {**os.environ, "PT2R_CONVERTED": str(out), "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run([sys.executable, "-m", "returnn", RECIPE], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    scores = [float(s) for s in re.findall(r"^epoch \d+ score: (\S+)", proc.stdout, re.M)]
    assert len(scores) == 4 and scores[-1] < 0.7 * scores[0], scores
    trained = str(tmp_path / "finetune" / "net.004")

    # the trained parameters, exported under PyTorch's names, reproduce the trained RETURNN net in PyTorch
    weights_path = tmp_path / "trained.safetensors"
    proc = run_pt2r("export-torch", str(out), "--checkpoint", trained, "-o", str(weights_path))
    assert proc.returncode == 0, proc.stderr
    assert "scope 'vocoder'" in proc.stdout
    weights = safetensors.load_file(str(weights_path))
    original = safetensors.load_file(str(_export(out, tmp_path / "original.safetensors")))
    assert set(weights) == set(original)
    assert any(not np.array_equal(weights[k], original[k]) for k in weights)  # training changed them
    other = vocoder.example_inputs(num_frames=37, seed=7)  # another length than the recorded one
    expected = vocoder_output(out, trained, np.transpose(other, [0, 2, 1]), preload=False)
    np.testing.assert_allclose(torch_output(weights, other), expected, atol=1e-4, rtol=1e-3)


def _export(out_dir, path):
    proc = run_pt2r("export-torch", str(out_dir), "-o", str(path))
    assert proc.returncode == 0, proc.stderr
    return path
