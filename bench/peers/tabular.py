"""scikit-learn on the tabular examples' own splits: `npm run cars -- --sklearn`
and `npm run iris -- --sklearn` send, on stdin, the encoded (unscaled) training
and test rows of each seed's split as JSON, and read back the mean test
scores over the seeds, per task and model, as JSON on stdout.

regression (cars): LinearRegression, and MLPRegressor(64, 64) — the same
hidden layers as the example's model, Adam at 1e-3, batch 32, 200 epochs
without early stopping (max_iter counts epochs for the adam solver) — with
StandardScaler on the features and on the target (TransformedTargetRegressor),
as the example scales both.

classification (iris): LogisticRegression and MLPClassifier(16), the
example's hidden layer, Adam at 1e-2, batch 16, 200 epochs; StandardScaler on
the features.

Run by the examples with /usr/bin/python3 (Debian's python3-sklearn).
"""
import json
import sys
import warnings

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, mean_absolute_error, r2_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

warnings.filterwarnings("ignore", category=ConvergenceWarning)
kind = sys.argv[1]
splits = json.load(sys.stdin)
scores = {}
for s in splits:
    xtr, ytr = np.array(s["xTrain"]), np.array(s["yTrain"])
    xte, yte = np.array(s["xTest"]), np.array(s["yTest"])
    if kind == "regression":
        models = {
            "LinearRegression": make_pipeline(StandardScaler(), LinearRegression()),
            "MLPRegressor(64, 64), 200 epochs": TransformedTargetRegressor(
                regressor=make_pipeline(
                    StandardScaler(),
                    MLPRegressor(hidden_layer_sizes=(64, 64), learning_rate_init=1e-3, batch_size=32,
                                 max_iter=200, tol=0, n_iter_no_change=10**9, random_state=s["seed"]),
                ),
                transformer=StandardScaler(),
            ),
        }
    else:
        models = {
            "LogisticRegression": make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
            "MLPClassifier(16), 200 epochs": make_pipeline(
                StandardScaler(),
                MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=1e-2, batch_size=16, max_iter=200,
                              tol=0, n_iter_no_change=10**9, random_state=s["seed"]),
            ),
        }
    for name, model in models.items():
        model.fit(xtr, ytr.ravel() if kind == "regression" else ytr.astype(int))
        p = model.predict(xte)
        if kind == "regression":
            got = {"r2": r2_score(yte, p), "mae": mean_absolute_error(yte, p)}
        else:
            got = {"accuracy": accuracy_score(yte.astype(int), p), "f1": f1_score(yte.astype(int), p, average="macro")}
        scores.setdefault(s["task"], {}).setdefault(name, []).append(got)
out = {
    task: {name: {k: float(np.mean([r[k] for r in runs])) for k in runs[0]} for name, runs in models.items()}
    for task, models in scores.items()
}
print(json.dumps(out))
