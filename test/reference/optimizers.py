"""Independent reference for tinymlp's optimizer tests.

Implements torch.optim.SGD, Adam, AdamW, RMSprop, Adagrad and NAdam, and
torch.nn.utils.clip_grad_norm_, from the update rules printed in PyTorch's
documentation (https://pytorch.org/docs/stable/optim.html and the page of each
optimizer), in plain Python floats (IEEE double), and writes the parameters
after each step to optimizers.json.

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


def clip(grads, cfg):
    """torch.nn.utils.clip_grad_norm_ (coef = max/(norm + 1e-6), applied if < 1), then clamp by value."""
    g = {k: list(v) for k, v in grads.items()}
    if "clipNorm" in cfg:
        norm = math.sqrt(sum(x * x for v in g.values() for x in v))
        coef = cfg["clipNorm"] / (norm + 1e-6)
        if coef < 1:
            g = {k: [x * coef for x in v] for k, v in g.items()}
    if "clipValue" in cfg:
        c = cfg["clipValue"]
        g = {k: [min(c, max(-c, x)) for x in v] for k, v in g.items()}
    return g


def sgd(cfg):
    lr, mu, damp, nesterov, wd = cfg["lr"], cfg.get("momentum", 0.0), cfg.get("dampening", 0.0), cfg.get("nesterov", False), cfg.get("weightDecay", 0.0)
    theta = {k: list(v) for k, v in THETA0.items()}
    buf = {}
    out = []
    for t, grads in enumerate(GRADS):
        grads = clip(grads, cfg)
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


def adam(cfg, decoupled=False):
    lr, b1, b2, eps, wd = cfg["lr"], cfg.get("beta1", 0.9), cfg.get("beta2", 0.999), cfg.get("epsilon", 1e-8), cfg.get("weightDecay", 0.0)
    theta = {k: list(v) for k, v in THETA0.items()}
    m = {k: [0.0] * len(v) for k, v in THETA0.items()}
    v = {k: [0.0] * len(v) for k, v in THETA0.items()}
    out = []
    for t0, grads in enumerate(GRADS):
        t = t0 + 1
        grads = clip(grads, cfg)
        for name in theta:
            for i in range(len(theta[name])):
                g = grads[name][i]
                if decoupled:
                    if DECAY[name]:
                        theta[name][i] = theta[name][i] * (1 - lr * wd)   # torch.optim.AdamW
                elif DECAY[name] and wd != 0:
                    g = g + wd * theta[name][i]
                m[name][i] = b1 * m[name][i] + (1 - b1) * g
                v[name][i] = b2 * v[name][i] + (1 - b2) * g * g
                mhat = m[name][i] / (1 - b1 ** t)
                vhat = v[name][i] / (1 - b2 ** t)
                theta[name][i] = theta[name][i] - lr * mhat / (math.sqrt(vhat) + eps)
        out.append({k: list(v_) for k, v_ in theta.items()})
    return out


def rmsprop(cfg):
    """torch.optim.RMSprop."""
    lr, alpha, eps, mu, centered, wd = cfg["lr"], cfg.get("alpha", 0.99), cfg.get("epsilon", 1e-8), cfg.get("momentum", 0.0), cfg.get("centered", False), cfg.get("weightDecay", 0.0)
    theta = {k: list(v) for k, v in THETA0.items()}
    sq = {k: [0.0] * len(v) for k, v in THETA0.items()}
    gavg = {k: [0.0] * len(v) for k, v in THETA0.items()}
    buf = {k: [0.0] * len(v) for k, v in THETA0.items()}
    out = []
    for grads in GRADS:
        for name in theta:
            for i in range(len(theta[name])):
                g = grads[name][i]
                if DECAY[name] and wd != 0:
                    g = g + wd * theta[name][i]
                sq[name][i] = alpha * sq[name][i] + (1 - alpha) * g * g
                avg = sq[name][i]
                if centered:
                    gavg[name][i] = alpha * gavg[name][i] + (1 - alpha) * g
                    avg = avg - gavg[name][i] ** 2
                if mu > 0:
                    buf[name][i] = mu * buf[name][i] + g / (math.sqrt(avg) + eps)
                    theta[name][i] -= lr * buf[name][i]
                else:
                    theta[name][i] -= lr * g / (math.sqrt(avg) + eps)
        out.append({k: list(v) for k, v in theta.items()})
    return out


def adagrad(cfg):
    """torch.optim.Adagrad."""
    lr, lr_decay, eps, init, wd = cfg["lr"], cfg.get("lrDecay", 0.0), cfg.get("epsilon", 1e-10), cfg.get("initialAccumulatorValue", 0.0), cfg.get("weightDecay", 0.0)
    theta = {k: list(v) for k, v in THETA0.items()}
    acc = {k: [init] * len(v) for k, v in THETA0.items()}
    out = []
    for t0, grads in enumerate(GRADS):
        t = t0 + 1
        clr = lr / (1 + (t - 1) * lr_decay)
        for name in theta:
            for i in range(len(theta[name])):
                g = grads[name][i]
                if DECAY[name] and wd != 0:
                    g = g + wd * theta[name][i]
                acc[name][i] += g * g
                theta[name][i] -= clr * g / (math.sqrt(acc[name][i]) + eps)
        out.append({k: list(v) for k, v in theta.items()})
    return out


def nadam(cfg):
    """torch.optim.NAdam."""
    lr, b1, b2, eps, psi, wd = cfg["lr"], cfg.get("beta1", 0.9), cfg.get("beta2", 0.999), cfg.get("epsilon", 1e-8), cfg.get("momentumDecay", 0.004), cfg.get("weightDecay", 0.0)
    theta = {k: list(v) for k, v in THETA0.items()}
    m = {k: [0.0] * len(v) for k, v in THETA0.items()}
    v = {k: [0.0] * len(v) for k, v in THETA0.items()}
    mu_product = 1.0
    out = []
    for t0, grads in enumerate(GRADS):
        t = t0 + 1
        mu = b1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        mu_product *= mu
        for name in theta:
            for i in range(len(theta[name])):
                g = grads[name][i]
                if DECAY[name] and wd != 0:
                    g = g + wd * theta[name][i]
                m[name][i] = b1 * m[name][i] + (1 - b1) * g
                v[name][i] = b2 * v[name][i] + (1 - b2) * g * g
                denom = math.sqrt(v[name][i] / (1 - b2 ** t)) + eps
                theta[name][i] -= lr * (1 - mu) / (1 - mu_product) * g / denom
                theta[name][i] -= lr * mu_next / (1 - mu_product * mu_next) * m[name][i] / denom
        out.append({k: list(v_) for k, v_ in theta.items()})
    return out


RULES = {"sgd": sgd, "adam": adam, "adamw": lambda c: adam(c, decoupled=True), "rmsprop": rmsprop, "adagrad": adagrad, "nadam": nadam}

CASES = [
    ("sgd", {"lr": 0.1}),
    ("sgd", {"lr": 0.1, "momentum": 0.9}),
    ("sgd", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("sgd", {"lr": 0.1, "momentum": 0.5, "dampening": 0.3}),
    ("sgd", {"lr": 0.1, "momentum": 0.9, "weightDecay": 0.01}),
    ("adam", {"lr": 0.001}),
    ("adam", {"lr": 0.01, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-6}),
    ("adam", {"lr": 0.01, "weightDecay": 0.1}),
    ("adamw", {"lr": 0.01, "weightDecay": 0.1}),
    ("rmsprop", {"lr": 0.01}),
    ("rmsprop", {"lr": 0.01, "momentum": 0.9, "alpha": 0.9}),
    ("rmsprop", {"lr": 0.01, "centered": True, "weightDecay": 0.05}),
    ("adagrad", {"lr": 0.1}),
    ("adagrad", {"lr": 0.1, "lrDecay": 0.5, "initialAccumulatorValue": 0.1, "weightDecay": 0.01}),
    ("nadam", {"lr": 0.002}),
    ("nadam", {"lr": 0.01, "weightDecay": 0.01, "momentumDecay": 0.01}),
    # clipping: global norm (the step-1 gradients have norm ≈ 1.63), then by value
    ("sgd", {"lr": 0.1, "momentum": 0.9, "clipNorm": 0.5}),
    ("adam", {"lr": 0.01, "clipValue": 0.25}),
    ("sgd", {"lr": 0.1, "clipNorm": 1.0, "clipValue": 0.3}),
]

if __name__ == "__main__":
    result = {
        "theta0": THETA0,
        "grads": GRADS,
        "decay": DECAY,
        "cases": [{"optimizer": name, "options": cfg, "steps": RULES[name](cfg)} for name, cfg in CASES],
    }
    print(json.dumps(result, indent=1))
