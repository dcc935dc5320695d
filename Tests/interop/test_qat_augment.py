"""Translation augmentation of the training images (--augment-shift N, TrainingConfig.shiftAugmentation).

The augmented training set is specified as the data followed by its copies shifted by (dy, dx) for |dy|, |dx| <= N
(row-major, dy outer, (0, 0) first), vacated pixels zero. numpy builds that set independently here: training on it
without the flag must give exactly the bytes that the flag gives on the original data (same sample count, so the
same seeded shuffling; the distillation teacher sees the shifted images in both).
"""

import numpy as np
import onnx
from onnx import TensorProto, helper

from test_qat import DIGITS, assert_runs_alike, failing, ort_accuracy, save_npz

SHIFT_ORDER = [(0, 0)] + [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0)]


def shifted(images: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """images[..., y - dy, x - dx] where inside, else 0 (numpy's roll, then the wrapped rows/columns zeroed)."""
    result = np.roll(images, (dy, dx), axis=(-2, -1))
    if dy > 0:
        result[..., :dy, :] = 0
    elif dy < 0:
        result[..., dy:, :] = 0
    if dx > 0:
        result[..., :, :dx] = 0
    elif dx < 0:
        result[..., :, dx:] = 0
    return result


def test_augment_shift_trains_on_the_documented_shifted_copies(run_qkit, tmp_path):
    data = np.load(DIGITS / "calibration.npz")
    images, labels = data["input"][:128], data["labels"][:128]
    small = save_npz(tmp_path / "small.npz", input=images, labels=labels)
    augmented = save_npz(tmp_path / "augmented.npz", input=np.concatenate([shifted(images, *s) for s in SHIFT_ORDER]),
                         labels=np.tile(labels, len(SHIFT_ORDER)))
    common = ["--calibration", DIGITS / "calibration.npz", "--weight-type", "int4", "--per-channel", "--epochs", "1",
              "--seed", "4", "--quiet"]
    with_flag, by_numpy = tmp_path / "flag.onnx", tmp_path / "numpy.onnx"
    run_qkit("qat", DIGITS / "model.onnx", "-o", with_flag, "--train", small, "--augment-shift", "1", *common)
    run_qkit("qat", DIGITS / "model.onnx", "-o", by_numpy, "--train", augmented, *common)
    assert with_flag.read_bytes() == by_numpy.read_bytes()
    assert ort_accuracy(with_flag) >= 0.95
    assert_runs_alike(run_qkit, with_flag, tmp_path / "out")


def test_augment_shift_on_a_model_without_image_inputs_is_refused(run_qkit, tmp_path):
    weight = helper.make_tensor("w", TensorProto.FLOAT, [10, 64], np.linspace(-1, 1, 640, dtype=np.float32))
    graph = helper.make_graph([helper.make_node("Gemm", ["input", "w"], ["logits"], transB=1)], "mlp",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["n", 64])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["n", 10])], [weight])
    model = tmp_path / "mlp.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=10), model)
    data = np.load(DIGITS / "calibration.npz")
    flat = save_npz(tmp_path / "flat.npz", input=data["input"].reshape(-1, 64), labels=data["labels"])
    out = tmp_path / "o.onnx"
    message = failing(run_qkit, "train", model, "-o", out, "--train", flat, "--epochs", "1", "--augment-shift", "1")
    assert "flat.npz" in message and "'input'" in message and "[512, 64]" in message, message
    assert not out.exists()
    message = failing(run_qkit, "train", DIGITS / "model.onnx", "-o", out, "--train", DIGITS / "calibration.npz",
                      "--augment-shift=-1")
    assert "shift augmentation must be ≥ 0, got -1" in message and not out.exists(), message


def test_teacher_only_shifted_copies_are_deterministic_and_differ_from_labelled_ones(run_qkit, tmp_path):
    """--shift-teacher-only drops the label term on the shifted copies only: with pure distillation (--distill 1)
    labels are unused either way, so the flag changes nothing; with --distill 0.5 it changes the result."""
    data = np.load(DIGITS / "calibration.npz")
    small = save_npz(tmp_path / "small.npz", input=data["input"][:96], labels=data["labels"][:96])
    common = ["--train", small, "--calibration", DIGITS / "calibration.npz", "--weight-type", "int4",
              "--per-channel", "--epochs", "1", "--seed", "2", "--augment-shift", "1", "--quiet"]
    outputs = {}
    for name, flags in [("a", ["--distill", "0.5", "--shift-teacher-only"]),
                        ("b", ["--distill", "0.5", "--shift-teacher-only"]), ("labelled", ["--distill", "0.5"]),
                        ("pure", ["--distill", "1"]), ("pure only", ["--distill", "1", "--shift-teacher-only"])]:
        out = tmp_path / f"{name}.onnx"
        run_qkit("qat", DIGITS / "model.onnx", "-o", out, *common, *flags)
        outputs[name] = out.read_bytes()
    assert outputs["a"] == outputs["b"]
    assert outputs["a"] != outputs["labelled"]
    assert outputs["pure"] == outputs["pure only"]
    assert ort_accuracy(tmp_path / "a.onnx") >= 0.95
    message = failing(run_qkit, "qat", DIGITS / "model.onnx", "-o", tmp_path / "o.onnx", *common, "--distill", "0",
                      "--shift-teacher-only")
    assert "distillation" in message, message
