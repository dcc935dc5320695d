"""Trains a small CNN on scikit-learn's 8x8 digits in plain numpy and writes it as an ONNX fixture.

Graph: Conv(1->16, 3x3, pad 1) - BatchNormalization - Relu - MaxPool(2)
       - Conv(16->32, 3x3, pad 1) - Relu - MaxPool(2) - Flatten - Gemm(128->64) - Relu - Gemm(64->10).
Writes Fixtures/digits/{model.onnx, train.npz, calibration.npz, test.npz}. Seeded and single-threaded, so
running it twice on one machine gives the same bytes.
Usage: python scripts/make_digits_cnn.py [OUT_DIR]   (default Fixtures/digits)
"""

import os

# One BLAS thread: the same summation order on every run (set before numpy loads its BLAS).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import sys  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from fixture_io import save_npz  # noqa: E402

SEED = 20240601
EPOCHS = 30
BATCH = 32
LEARNING_RATE = 2e-3
BN_EPSILON = 1e-5
BN_MOMENTUM = 0.9  # running = momentum * running + (1 - momentum) * batch, as ONNX's attribute means
TEST_COUNT = 360
CALIBRATION_COUNT = 512


# ----------------------------------------------------------------------------------------------- layers


def im2col(x: np.ndarray) -> np.ndarray:
    """[N, C, H, W] -> [N*H*W, C*9] patches of a 3x3 window with padding 1 (column order c, kh, kw)."""
    n, c, h, w = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    cols = np.empty((n, c, 3, 3, h, w), dtype=x.dtype)
    for i in range(3):
        for j in range(3):
            cols[:, :, i, j] = padded[:, :, i:i + h, j:j + w]
    return cols.transpose(0, 4, 5, 1, 2, 3).reshape(n * h * w, c * 9)


def col2im(cols: np.ndarray, shape: tuple) -> np.ndarray:
    """Adjoint of im2col: sums the patch gradients back into a [N, C, H, W] gradient."""
    n, c, h, w = shape
    grads = cols.reshape(n, h, w, c, 3, 3).transpose(0, 3, 4, 5, 1, 2)
    padded = np.zeros((n, c, h + 2, w + 2), dtype=cols.dtype)
    for i in range(3):
        for j in range(3):
            padded[:, :, i:i + h, j:j + w] += grads[:, :, i, j]
    return padded[:, :, 1:-1, 1:-1]


def conv_forward(x, weight, bias):
    n, _, h, w = x.shape
    cols = im2col(x)
    out = cols @ weight.reshape(weight.shape[0], -1).T + bias
    return out.reshape(n, h, w, -1).transpose(0, 3, 1, 2), cols


def conv_backward(grad_out, cols, weight, x_shape):
    k = weight.shape[0]
    g = grad_out.transpose(0, 2, 3, 1).reshape(-1, k)
    grad_w = (g.T @ cols).reshape(weight.shape)
    grad_b = g.sum(axis=0)
    grad_x = col2im(g @ weight.reshape(k, -1), x_shape)
    return grad_x, grad_w, grad_b


def maxpool_forward(x):
    """2x2 stride-2 max pool; returns the output and a one-hot mask of the first maximum in each window."""
    n, c, h, w = x.shape
    windows = x.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h // 2, w // 2, 4)
    arg = windows.argmax(axis=-1)
    mask = np.eye(4, dtype=x.dtype)[arg]
    return windows.max(axis=-1), mask


def maxpool_backward(grad_out, mask):
    n, c, hh, hw, _ = mask.shape
    grads = mask * grad_out[..., None]
    return grads.reshape(n, c, hh, hw, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, hh * 2, hw * 2)


def batchnorm_forward(x, gamma, beta, state, training):
    if training:
        mean = x.mean(axis=(0, 2, 3))
        var = x.var(axis=(0, 2, 3))
        state["mean"] = BN_MOMENTUM * state["mean"] + (1 - BN_MOMENTUM) * mean
        state["var"] = BN_MOMENTUM * state["var"] + (1 - BN_MOMENTUM) * var
    else:
        mean, var = state["mean"], state["var"]
    inv_std = 1.0 / np.sqrt(var + BN_EPSILON)
    x_hat = (x - mean[None, :, None, None]) * inv_std[None, :, None, None]
    return gamma[None, :, None, None] * x_hat + beta[None, :, None, None], (x_hat, inv_std)


def batchnorm_backward(grad_out, gamma, cache):
    x_hat, inv_std = cache
    m = grad_out.shape[0] * grad_out.shape[2] * grad_out.shape[3]
    grad_gamma = (grad_out * x_hat).sum(axis=(0, 2, 3))
    grad_beta = grad_out.sum(axis=(0, 2, 3))
    g_hat = grad_out * gamma[None, :, None, None]
    grad_x = (inv_std[None, :, None, None] / m) * (
        m * g_hat - g_hat.sum(axis=(0, 2, 3))[None, :, None, None]
        - x_hat * (g_hat * x_hat).sum(axis=(0, 2, 3))[None, :, None, None])
    return grad_x, grad_gamma, grad_beta


# ----------------------------------------------------------------------------------------------- network


def init_params(rng):
    def he(shape, fan_in):
        return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)

    return {
        "conv1.weight": he((16, 1, 3, 3), 9), "conv1.bias": np.zeros(16, np.float32),
        "bn1.scale": np.ones(16, np.float32), "bn1.bias": np.zeros(16, np.float32),
        "conv2.weight": he((32, 16, 3, 3), 144), "conv2.bias": np.zeros(32, np.float32),
        "fc1.weight": he((64, 128), 128), "fc1.bias": np.zeros(64, np.float32),
        "fc2.weight": he((10, 64), 64), "fc2.bias": np.zeros(10, np.float32),
    }


def forward(p, bn_state, x, training):
    c1, cols1 = conv_forward(x, p["conv1.weight"], p["conv1.bias"])
    b1, bn_cache = batchnorm_forward(c1, p["bn1.scale"], p["bn1.bias"], bn_state, training)
    r1 = np.maximum(b1, 0)
    p1, mask1 = maxpool_forward(r1)
    c2, cols2 = conv_forward(p1, p["conv2.weight"], p["conv2.bias"])
    r2 = np.maximum(c2, 0)
    p2, mask2 = maxpool_forward(r2)
    flat = p2.reshape(p2.shape[0], -1)
    h = flat @ p["fc1.weight"].T + p["fc1.bias"]
    hr = np.maximum(h, 0)
    logits = hr @ p["fc2.weight"].T + p["fc2.bias"]
    cache = (x, cols1, bn_cache, b1, mask1, p1, cols2, c2, mask2, p2, flat, h, hr)
    return logits, cache


def backward(p, cache, grad_logits):
    x, cols1, bn_cache, b1, mask1, p1, cols2, c2, mask2, p2, flat, h, hr = cache
    g = {}
    g["fc2.weight"] = grad_logits.T @ hr
    g["fc2.bias"] = grad_logits.sum(axis=0)
    grad_h = (grad_logits @ p["fc2.weight"]) * (h > 0)
    g["fc1.weight"] = grad_h.T @ flat
    g["fc1.bias"] = grad_h.sum(axis=0)
    grad_p2 = (grad_h @ p["fc1.weight"]).reshape(p2.shape)
    grad_c2 = maxpool_backward(grad_p2, mask2) * (c2 > 0)
    grad_p1, g["conv2.weight"], g["conv2.bias"] = conv_backward(grad_c2, cols2, p["conv2.weight"], p1.shape)
    grad_b1 = maxpool_backward(grad_p1, mask1) * (b1 > 0)
    grad_c1, g["bn1.scale"], g["bn1.bias"] = batchnorm_backward(grad_b1, p["bn1.scale"], bn_cache)
    _, g["conv1.weight"], g["conv1.bias"] = conv_backward(grad_c1, cols1, p["conv1.weight"], x.shape)
    return g


def softmax_cross_entropy(logits, labels):
    shifted = logits - logits.max(axis=1, keepdims=True)
    probs = np.exp(shifted)
    probs /= probs.sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(len(labels)), labels] + 1e-12).mean()
    grad = probs
    grad[np.arange(len(labels)), labels] -= 1
    return loss, grad / len(labels)


def train(x_train, y_train, rng):
    params = init_params(rng)
    bn_state = {"mean": np.zeros(16, np.float32), "var": np.ones(16, np.float32)}
    moments = {k: (np.zeros_like(v), np.zeros_like(v)) for k, v in params.items()}
    beta1, beta2, step = 0.9, 0.999, 0
    for epoch in range(EPOCHS):
        order = rng.permutation(len(x_train))
        lr = LEARNING_RATE * 0.5 * (1 + np.cos(np.pi * epoch / EPOCHS))  # cosine decay
        total = 0.0
        for start in range(0, len(order), BATCH):
            idx = order[start:start + BATCH]
            logits, cache = forward(params, bn_state, x_train[idx], training=True)
            loss, grad_logits = softmax_cross_entropy(logits, y_train[idx])
            total += loss * len(idx)
            grads = backward(params, cache, grad_logits)
            step += 1
            for k, grad in grads.items():
                m, v = moments[k]
                m[:] = beta1 * m + (1 - beta1) * grad
                v[:] = beta2 * v + (1 - beta2) * grad * grad
                m_hat = m / (1 - beta1 ** step)
                v_hat = v / (1 - beta2 ** step)
                params[k] = (params[k] - lr * m_hat / (np.sqrt(v_hat) + 1e-8)).astype(np.float32)
        if epoch % 5 == 4 or epoch == EPOCHS - 1:
            print(f"epoch {epoch + 1:2d}: train loss {total / len(order):.4f}")
    return params, {k: v.astype(np.float32) for k, v in bn_state.items()}


# ----------------------------------------------------------------------------------------------- export


def build_model(params, bn_state) -> onnx.ModelProto:
    inits = dict(params)
    inits["bn1.mean"] = bn_state["mean"]
    inits["bn1.var"] = bn_state["var"]
    n = helper.make_node
    nodes = [
        n("Conv", ["input", "conv1.weight", "conv1.bias"], ["conv1"], name="conv1",
          kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1]),
        n("BatchNormalization", ["conv1", "bn1.scale", "bn1.bias", "bn1.mean", "bn1.var"], ["bn1"], name="bn1",
          epsilon=BN_EPSILON, momentum=BN_MOMENTUM),
        n("Relu", ["bn1"], ["relu1"], name="relu1"),
        n("MaxPool", ["relu1"], ["pool1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
        n("Conv", ["pool1", "conv2.weight", "conv2.bias"], ["conv2"], name="conv2",
          kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1]),
        n("Relu", ["conv2"], ["relu2"], name="relu2"),
        n("MaxPool", ["relu2"], ["pool2"], name="pool2", kernel_shape=[2, 2], strides=[2, 2]),
        n("Flatten", ["pool2"], ["flatten"], name="flatten", axis=1),
        n("Gemm", ["flatten", "fc1.weight", "fc1.bias"], ["fc1"], name="fc1", transB=1),
        n("Relu", ["fc1"], ["relu3"], name="relu3"),
        n("Gemm", ["relu3", "fc2.weight", "fc2.bias"], ["logits"], name="fc2", transB=1),
    ]
    graph = helper.make_graph(
        nodes, "digits_cnn",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 1, 8, 8])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 10])],
        [numpy_helper.from_array(np.ascontiguousarray(v, dtype=np.float32), k) for k, v in inits.items()],
        doc_string="Small CNN for scikit-learn's 8x8 digits (pixels scaled to [0, 1]), trained in numpy.")
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="QuantKit fixtures", producer_version="1",
                              doc_string="digits CNN fixture written by scripts/make_digits_cnn.py")
    model.ir_version = 10
    return model


def main() -> None:
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join("Fixtures", "digits")
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None, :, :]
    labels = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=TEST_COUNT, stratify=labels, random_state=SEED)
    rng = np.random.default_rng(SEED)
    params, bn_state = train(x_train, y_train, rng)

    logits, _ = forward(params, bn_state, x_test, training=False)
    numpy_accuracy = float((logits.argmax(axis=1) == y_test).mean())
    print(f"numpy test accuracy: {numpy_accuracy:.4f} ({int(round(numpy_accuracy * len(y_test)))}/{len(y_test)})")
    if numpy_accuracy < 0.97:
        sys.exit(f"test accuracy {numpy_accuracy:.4f} is below 0.97")

    model = build_model(params, bn_state)
    onnx.checker.check_model(model, full_check=True)
    os.makedirs(out_dir, exist_ok=True)
    onnx.save(model, os.path.join(out_dir, "model.onnx"))
    calibration = rng.choice(len(x_train), size=CALIBRATION_COUNT, replace=False)
    calibration.sort()
    save_npz(os.path.join(out_dir, "train.npz"), input=x_train, labels=y_train)
    save_npz(os.path.join(out_dir, "calibration.npz"), input=x_train[calibration], labels=y_train[calibration])
    save_npz(os.path.join(out_dir, "test.npz"), input=x_test, labels=y_test)

    import onnxruntime as ort

    session = ort.InferenceSession(os.path.join(out_dir, "model.onnx"), providers=["CPUExecutionProvider"])
    ort_logits = session.run(["logits"], {"input": x_test})[0]
    ort_accuracy = float((ort_logits.argmax(axis=1) == y_test).mean())
    print(f"onnxruntime test accuracy: {ort_accuracy:.4f}")
    if ort_accuracy != numpy_accuracy:
        sys.exit("onnxruntime accuracy differs from the numpy model's")
    print(f"wrote {out_dir}: model.onnx ({os.path.getsize(os.path.join(out_dir, 'model.onnx'))} bytes), "
          f"train.npz ({len(x_train)}), calibration.npz ({CALIBRATION_COUNT}), test.npz ({len(x_test)})")


if __name__ == "__main__":
    main()
