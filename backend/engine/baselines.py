"""Classic baselines from scikit-learn, fitted on exactly the points a playground network trains and is tested on.

The "more data" lesson sets networks beside the methods one would reach for first. Each is tuned as
scikit-learn's user guide suggests ("Tuning the hyper-parameters of an estimator"): a grid search with stratified
cross-validation on the training points alone, then a refit on all of them, so the test points stay unseen until
the score. The lesson fits every method on the spiral at several training-set sizes for 5 seeds beside its networks,
within a minute on a 2-core server, so the grids and folds are small; each cut named below was measured on
that lesson.
scikit-learn is imported where first used, as convnet/images.py does: a server that never fits a baseline never
pays for loading it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .config import Config
from .convnet.images import ImageSet
from .data import Dataset
from .features import FEATURES, NUM_FEATURES, compute_features, feature_mask
from .sweep import dataset_of

# Cross-validation folds at most (fewer when a class has fewer training points). 5 took about twice as long
# as 3 on the lesson, for test accuracies within a point of each other.
FOLDS = 3
MODEL = "model"  # the pipeline step the grid tunes; its parameters are reported without this prefix
LOGISTIC_C = (0.01, 1.0, 100.0)  # inverse regularisation strength: strong, scikit-learn's default, almost none
# Misfit penalty: scikit-learn's default and a looser fit. 0.1, often chosen on noisy data, scored within a
# point of these there and made the lesson's SVM searches half as long again.
SVM_C = (1.0, 10.0)
# RBF width in standardised units, from about scikit-learn's default ("scale": 0.5 here) to the spiral's arms.
# 100 never beat 10 on the spiral and doubled the SVM's search time: a narrow kernel keeps most points as
# support vectors.
SVM_GAMMA = (1.0, 10.0)
NEIGHBOURS = (1, 3, 9, 27)  # odd, so two classes never tie


@dataclass(frozen=True)
class Baseline:
    """One classic method: what it sees, how it is built, and what its search tries."""

    label: str  # as the page writes it
    features: tuple[str, ...]  # the FEATURES columns it is fitted on
    model: Callable[[], object]  # a fresh, unfitted scikit-learn classifier
    scaled: bool  # whether the columns are standardised first
    grid: Callable[[int], dict[str, tuple]]  # parameter -> values tried, given the fewest points any fit sees


@dataclass(frozen=True)
class BaselineResult:
    """One method's fit on one config's data."""

    method: str  # a name in BASELINES
    train_accuracy: float  # share of the training points classified right
    test_accuracy: float
    params: dict[str, float | int]  # the chosen hyper-parameters as plain Python numbers; {} for a single class
    seconds: float  # spent fitting, the search included


def _logistic():
    """Newton-Cholesky, the solver scikit-learn advises when points far outnumber features: it converged without
    a warning on every dataset, size and noise tried, in a fraction of lbfgs's time."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(solver="newton-cholesky")


def _svm():
    from sklearn.svm import SVC

    return SVC(kernel="rbf")


def _knn():
    """A k-d tree, the right index for two columns. The default switches to brute force where k reaches half
    the points, as on the lesson's smallest sets, and brute force's set-up made those searches several times
    slower."""
    from sklearn.neighbors import KNeighborsClassifier

    return KNeighborsClassifier(algorithm="kd_tree")


def _logistic_grid(fewest: int) -> dict[str, tuple]:
    return {"C": LOGISTIC_C}


def _svm_grid(fewest: int) -> dict[str, tuple]:
    """C and gamma on log scales, as scikit-learn's "RBF SVM parameters" example searches them."""
    return {"C": SVM_C, "gamma": SVM_GAMMA}


def _knn_grid(fewest: int) -> dict[str, tuple]:
    """No more neighbours than the smallest fit has points."""
    return {"n_neighbors": tuple(k for k in NEIGHBOURS if k <= fewest)}


# The ordered registry of baselines. kNN measures distance on the plane itself, whose two axes share one unit,
# so it is not standardised; the others are, as regularisation and the RBF width assume.
BASELINES = {
    "logistic_raw": Baseline("logistic regression on x₁, x₂", ("x1", "x2"), _logistic, True, _logistic_grid),
    "logistic_features": Baseline(
        "logistic regression on hand-made features", tuple(FEATURES), _logistic, True, _logistic_grid
    ),
    "svm_rbf": Baseline("SVM with an RBF kernel", ("x1", "x2"), _svm, True, _svm_grid),
    "knn": Baseline("k-nearest neighbours", ("x1", "x2"), _knn, False, _knn_grid),
}


def _logistic_pixels():
    """lbfgs: on 64 pixel columns and ten classes it fitted in a twentieth of newton-cholesky's time, to the same
    accuracy; max_iter raised so that it converges without a warning on the larger subsets."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=2000)


def _knn_pixels():
    from sklearn.neighbors import KNeighborsClassifier

    return KNeighborsClassifier()


IMAGE_GAMMA = (0.003, 0.015)  # RBF widths for standardised 64-pixel images: about scikit-learn's "scale" (1/64) and wider
# The baselines of the ConvNet lab's images, on the pixels. Each is standardised (a pixel's ink varies by place).
IMAGE_BASELINES = {
    "logistic_pixels": Baseline("logistic regression on the pixels", (), _logistic_pixels, True, _logistic_grid),
    "svm_pixels": Baseline("SVM with an RBF kernel on the pixels", (), _svm, True,
                           lambda fewest: {"C": SVM_C, "gamma": IMAGE_GAMMA}),
    "knn_pixels": Baseline("k-nearest neighbours on the pixels", (), _knn_pixels, True, _knn_grid),
}


def fit_image_baselines(images: ImageSet, seed: int) -> list[BaselineResult]:
    """Each image baseline fitted on the training images' pixels and scored on the test images: the images a
    ConvNet lab network of that config trains and is tested on."""
    from sklearn import config_context

    from threadpoolctl import threadpool_limits

    (x_train, y_train), (x_test, y_test) = images.train, images.test
    flat = lambda x: x.reshape(len(x), -1).astype(np.float64)
    with config_context(assume_finite=True, skip_parameter_validation=True), threadpool_limits(1):
        return [_fit_columns(name, IMAGE_BASELINES[name], flat(x_train), y_train, flat(x_test), y_test, seed)
                for name in IMAGE_BASELINES]


def _columns(points: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """The named feature columns of each point, computed by the features module in float64."""
    every = compute_features(points.astype(np.float64), feature_mask(FEATURES), NUM_FEATURES)
    return every[:, [list(FEATURES).index(name) for name in names]]


def _pipeline(baseline: Baseline):
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    scale = [("scale", StandardScaler())] if baseline.scaled else []
    return Pipeline([*scale, (MODEL, baseline.model())])


def _prefixed(params: dict) -> dict:
    return {f"{MODEL}__{name}": value for name, value in params.items()}


def _tuned(baseline: Baseline, x: np.ndarray, y: np.ndarray, seed: int) -> tuple[object, dict]:
    """The fitted classifier and its chosen parameters. With a single class it predicts that class; with a class
    too small to put in two folds it skips the search and takes each grid's middle value."""
    from sklearn.dummy import DummyClassifier
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    counts = np.unique(y, return_counts=True)[1]
    if len(counts) < 2:
        return DummyClassifier(strategy="most_frequent").fit(x, y), {}
    folds = min(FOLDS, int(counts.min()))
    if folds < 2:
        params = {name: values[len(values) // 2] for name, values in baseline.grid(len(y)).items()}
        return _pipeline(baseline).set_params(**_prefixed(params)).fit(x, y), params
    splits = list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(x, y))
    grid = baseline.grid(min(len(train) for train, _ in splits))
    search = GridSearchCV(_pipeline(baseline), _prefixed(grid), cv=splits, n_jobs=1).fit(x, y)
    chosen = {name.removeprefix(f"{MODEL}__"): value for name, value in search.best_params_.items()}
    return search.best_estimator_, chosen


def _accuracy(model, x: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(model.predict(x) == y))


def fit_baselines(config: Config, methods=tuple(BASELINES), dataset: Dataset | None = None) -> list[BaselineResult]:
    """Each method fitted on the config's training points and scored on its test points: the points a network
    of that config trains and is tested on (sweep.dataset_of), unless a dataset is passed. Deterministic for a
    config: the folds are shuffled by its seed."""
    if config.regression:
        raise ValueError(f"baselines classify, and dataset {config.dataset!r} is a regression")
    unknown = [name for name in methods if name not in BASELINES]
    if unknown:
        raise ValueError(f"unknown baselines {unknown}; choose from {list(BASELINES)}")
    from sklearn import config_context
    from threadpoolctl import threadpool_limits

    dataset = dataset_of(config) if dataset is None else dataset
    # A Config's points are finite and the grids' values valid, so scikit-learn's checks of both are skipped:
    # on small sets, where they cost more than the fits, that halved the searches' time. One BLAS thread: the
    # caller's (an experiment's low-priority lane), not a pool of threads at the live sessions' priority.
    with config_context(assume_finite=True, skip_parameter_validation=True), threadpool_limits(1):
        return [_fit(name, dataset, config.seed) for name in methods]


def _fit(name: str, dataset: Dataset, seed: int) -> BaselineResult:
    """One method tuned and fitted on the training points, scored on both sets."""
    baseline = BASELINES[name]
    columns = _columns(dataset.x, baseline.features)
    return _fit_columns(name, baseline, columns[dataset.train], dataset.y[dataset.train], columns[dataset.test],
                        dataset.y[dataset.test], seed)


def _fit_columns(name: str, baseline: Baseline, x_train, y_train, x_test, y_test, seed: int) -> BaselineResult:
    """A method tuned and fitted on the training columns, scored on both sets; timed without the scoring."""
    start = time.perf_counter()
    model, params = _tuned(baseline, x_train, y_train, seed)
    seconds = time.perf_counter() - start
    return BaselineResult(name, _accuracy(model, x_train, y_train), _accuracy(model, x_test, y_test), params, seconds)
