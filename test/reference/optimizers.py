"""Independent reference for tinymlp's optimizer tests.

Implements torch.optim.SGD and torch.optim.Adam from the update rules printed
in PyTorch's documentation (https://pytorch.org/docs/stable/generated/torch.optim.SGD.html,
.../torch.optim.Adam.html), in plain Python floats (IEEE double), and writes
the parameters after each step to optimizers.json.

Run: python3 test/reference/optimizers.py > test/reference/optimizers.json
"""
import json
import math

THETA0 = {"kernel": [0.5, -1.2, 2.0, 0.0], "bias": [0.1, -0.3]}
# gradients seen at steps 1, 2, 3 (fixed, as if computed by backward)
GRADS = [
    {"kernel": [0.1, -0.2, 0.3, 1.5], "bias": [0.05, -0.5]},
    {"kernel": [-0.4, 0.25, 0.0, 1.0], "bias": [0.2, 0.1]},
    {"kernel": [0.3, 0.3, -0.6, -2.0], "bias": [-0.1, 0.0]},
]
DECAY = {"kernel": True, "bias": False}  # weight decay applies to kernels only


def sgd(cfg):
    lr, mu, damp, nesterov, wd = cfg["lr"], cfg.get("momentum", 0.0), cfg.get("dampening", 0.0), cfg.get("nesterov", False), cfg.get("weightDecay", 0.0)
    theta = {k: list(v) for k, v in THETA0.items()}
    buf = {}
    out = []
    for t, grads in enumerate(GRADS):
        for name in theta:
            for i in range(len(theta[name])):
                g = grads[name][i]
                if DECAY[name] and wd != 0:
                    g = g + wd * theta[name][i]
                if mu != 0:
                    key = (name, i)
                    if t == 0:
                        b = g
                    else:
                        b = mu * buf[key] + (1 - damp) * g
                    buf[key] = b
                    g = g + mu * b if nesterov else b
                theta[name][i] = theta[name][i] - lr * g
        out.append({k: list(v) for k, v in theta.items()})
    return out


def adam(cfg):
    lr, b1, b2, eps, wd = cfg["lr"], cfg.get("beta1", 0.9), cfg.get("beta2", 0.999), cfg.get("epsilon", 1e-8), cfg.get("weightDecay", 0.0)
    theta = {k: list(v) for k, v in THETA0.items()}
    m = {k: [0.0] * len(v) for k, v in THETA0.items()}
    v = {k: [0.0] * len(v) for k, v in THETA0.items()}
    out = []
    for t0, grads in enumerate(GRADS):
        t = t0 + 1
        for name in theta:
            for i in range(len(theta[name])):
                g = grads[name][i]
                if DECAY[name] and wd != 0:
                    g = g + wd * theta[name][i]
                m[name][i] = b1 * m[name][i] + (1 - b1) * g
                v[name][i] = b2 * v[name][i] + (1 - b2) * g * g
                mhat = m[name][i] / (1 - b1 ** t)
                vhat = v[name][i] / (1 - b2 ** t)
                theta[name][i] = theta[name][i] - lr * mhat / (math.sqrt(vhat) + eps)
        out.append({k: list(v_) for k, v_ in theta.items()})
    return out


CASES = [
    ("sgd", {"lr": 0.1}),
    ("sgd", {"lr": 0.1, "momentum": 0.9}),
    ("sgd", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("sgd", {"lr": 0.1, "momentum": 0.5, "dampening": 0.3}),
    ("sgd", {"lr": 0.1, "momentum": 0.9, "weightDecay": 0.01}),
    ("adam", {"lr": 0.001}),
    ("adam", {"lr": 0.01, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-6}),
    ("adam", {"lr": 0.01, "weightDecay": 0.1}),
]

if __name__ == "__main__":
    result = {
        "theta0": THETA0,
        "grads": GRADS,
        "decay": DECAY,
        "cases": [{"optimizer": name, "options": cfg, "steps": (sgd if name == "sgd" else adam)(cfg)} for name, cfg in CASES],
    }
    print(json.dumps(result, indent=1))
