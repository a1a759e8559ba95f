"""Expected values for tinymlp's regression and classification metrics, from
scikit-learn's own functions (mean_absolute_error, mean_squared_error,
mean_squared_error(squared=False), r2_score, precision_score/recall_score/f1_score with
average="macro", zero_division=0) on fixed inputs.

Run: /usr/bin/python3 test/reference/metrics.py > test/reference/metrics.json
(Debian's python3-sklearn; the test reads the JSON, so it needs no Python.)
"""
import json

import numpy as np
import sklearn
from sklearn.metrics import (
    f1_score,
    mean_absolute_error,
    mean_squared_error,
    precision_score,
    r2_score,
    recall_score,
)

# regression: 7 rows, 2 outputs (the second's target has a large offset, as dollars do)
t_reg = np.array([[1.0, 200100.0], [2.5, 199000.0], [-0.5, 210000.0], [3.0, 205000.5], [0.0, 198000.0],
                  [4.25, 201000.0], [1.5, 207500.0]])
p_reg = np.array([[1.2, 200000.0], [2.0, 199500.0], [0.0, 209000.0], [2.5, 206000.0], [0.3, 197000.0],
                  [4.0, 202500.0], [1.0, 207000.0]])
# a constant target: R² is 1 for a perfect fit, else 0 (force_finite)
t_const = np.array([[3.0], [3.0], [3.0]])
p_const_off = np.array([[3.0], [2.0], [4.0]])

# classification: 4 classes, class 3 never occurs as a label nor a prediction;
# class 2 is predicted but never the label (precision 0, recall undefined → 0)
labels = [0, 1, 1, 0, 1, 0, 0, 1, 1]
scores = [  # argmax per row
    [0.7, 0.1, 0.1, 0.1],
    [0.2, 0.5, 0.2, 0.1],
    [0.6, 0.2, 0.1, 0.1],
    [0.1, 0.1, 0.7, 0.1],
    [0.1, 0.8, 0.05, 0.05],
    [0.9, 0.05, 0.03, 0.02],
    [0.3, 0.4, 0.2, 0.1],
    [0.1, 0.3, 0.5, 0.1],
    [0.2, 0.6, 0.1, 0.1],
]
pred_cls = [int(np.argmax(r)) for r in scores]
# binary: one probability column, threshold 0.5
bin_labels = [1, 0, 1, 1, 0, 0, 1]
bin_probs = [0.9, 0.4, 0.3, 0.6, 0.7, 0.1, 0.55]
bin_pred = [1 if p > 0.5 else 0 for p in bin_probs]


def cls(y, p):
    kw = {"average": "macro", "zero_division": 0}
    return {"precision": precision_score(y, p, **kw), "recall": recall_score(y, p, **kw), "f1": f1_score(y, p, **kw)}


out = {
    "sklearn": sklearn.__version__,
    "regression": {
        "target": t_reg.tolist(),
        "pred": p_reg.tolist(),
        "mae": mean_absolute_error(t_reg, p_reg),
        "mse": mean_squared_error(t_reg, p_reg),
        "rmse": mean_squared_error(t_reg, p_reg, squared=False),  # per output, then averaged
        "r2": r2_score(t_reg, p_reg),
    },
    "constant": {
        "target": t_const.tolist(),
        "exact": r2_score(t_const, t_const),
        "pred": p_const_off.tolist(),
        "off": r2_score(t_const, p_const_off),
    },
    "classes": {"labels": labels, "scores": scores, **cls(labels, pred_cls)},
    "binary": {"labels": bin_labels, "probs": bin_probs, **cls(bin_labels, bin_pred)},
}
print(json.dumps(out, indent=1))
