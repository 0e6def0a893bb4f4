"""The lessons: each claim Layerlab makes about depth, as an experiment one click runs and the plots that show it.

A lesson's claim says what its measurement shows, seeds fixed; tests/engine/test_lessons.py runs every lesson
and checks it, so the page never claims what the measurement does not show.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from .config import Config
from .convnet.config import TRAIN_IMAGE_CHOICES, ConvConfig
from .experiment import AxisValues, Definition


@dataclass(frozen=True)
class Plot:
    """How a lesson draws its rows (docs/experiments.md, Lessons)."""

    title: str
    kind: str  # measure | curve | histogram
    y: str = ""  # a measure (kind measure) or a curve (kind curve)
    x: str = ""  # an axis (kind measure)
    series: tuple[str, ...] = ()  # axes and/or "model": a row's line
    log_x: bool = False
    log_y: bool = False


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    claim: str
    experiment: Definition
    plots: tuple[Plot, ...]

    def to_json(self) -> dict:
        return {"id": self.id, "title": self.title, "claim": self.claim,
                "experiment": self.experiment.model_dump(mode="json", exclude_defaults=True),
                "plots": [asdict(p) for p in self.plots]}


def variant(label: str, **settings) -> dict:
    """A value of the variant axis: settings applied together, under a label (none: the base as it is)."""
    return {"label": label, "settings": settings}


def axis(name: str, values) -> AxisValues:
    return AxisValues(name=name, values=list(values))


USUAL_INITS = (variant("sigmoid, Xavier init", activation="sigmoid", init="xavier"),
               variant("tanh, Xavier init", activation="tanh", init="xavier"),
               variant("relu, He init", activation="relu", init="he"))
TRAIN_SIZES = (20, 50, 150, 500, 1620)  # the spiral's training points; 180 test points each
SPIRAL_TEST = 180
TRAIN_IMAGES = (*TRAIN_IMAGE_CHOICES, 1437)  # and all the digits' 1,437 training images (a test checks); 360 to test
CIRCLE_EPOCHS, SPIRAL_EPOCHS, DIGIT_EPOCHS = 300, 100, 50  # each lesson's training, as its texts say it

LESSONS = (
    Lesson(
        "linear-circles", "A line cannot draw a circle",
        "A linear model on x₁, x₂ (one layer of processing) stays near chance on the concentric circles. Given "
        "hand-made features x₁², x₂² the same linear model separates them, and a network with hidden layers "
        "learns such features from x₁, x₂ itself.",
        Definition(base=Config(dataset="circle"), epochs=CIRCLE_EPOCHS, axes=[axis("variant", (
            variant("linear model on x₁, x₂", hidden_layers=[], features=["x1", "x2"]),
            variant("linear model on x₁², x₂²", hidden_layers=[], features=["x1_squared", "x2_squared"]),
            variant("hidden layers 4, 2 on x₁, x₂", hidden_layers=[4, 2], features=["x1", "x2"]),
        ))]),
        (Plot(f"Test accuracy after {CIRCLE_EPOCHS} epochs", "measure", y="test_accuracy", x="variant"),
         Plot("Test accuracy while training", "curve", y="test_accuracy", series=("variant",))),
    ),
    Lesson(
        "vanishing-gradient", "The vanishing gradient",
        "At initialisation, stacked sigmoid layers pass back a gradient that shrinks layer by layer: with eight "
        "layers the first gets less than a thousandth of the output layer's. tanh with Xavier's init and relu "
        "with He's keep it within a factor of ten of the output layer's at every depth. The sigmoid networks of "
        f"four or more layers stay at chance for {CIRCLE_EPOCHS} epochs; the tanh and relu networks learn the "
        "circles (now and then an unlucky relu start stays stuck).",
        Definition(base=Config(dataset="circle", hidden_layers=[8]), epochs=CIRCLE_EPOCHS,
                   axes=[axis("variant", USUAL_INITS), axis("depth", range(1, 11))]),
        (Plot("First layer's gradient ÷ output layer's, at initialisation", "measure", y="gradient_ratio",
              x="depth", series=("variant",), log_y=True),
         Plot(f"Test accuracy after {CIRCLE_EPOCHS} epochs", "measure", y="test_accuracy", x="depth",
              series=("variant",))),
    ),
    Lesson(
        "initial-scale", "Initial weights can start terribly far off",
        "A deep tanh network (six layers of 8) learns the circles from weights of Xavier's scale. Scaled down "
        f"to a third or less, it stays at chance for {CIRCLE_EPOCHS} epochs: at a hundredth, every layer's "
        "activations start within ±0.1 of zero. Scaled up tenfold, most of them start saturated at ±1, where "
        "the slope is flat, and it barely learns either.",
        Definition(base=Config(dataset="circle", hidden_layers=[8] * 6, init="xavier"), epochs=CIRCLE_EPOCHS,
                   axes=[axis("init_scale", (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0))]),
        (Plot(f"Test accuracy after {CIRCLE_EPOCHS} epochs", "measure", y="test_accuracy", x="init_scale",
              log_x=True),
         Plot("Activations at initialisation, layer by layer", "histogram", series=("init_scale",)),
         Plot("Training loss while training", "curve", y="train_loss", series=("init_scale",), log_y=True)),
    ),
    Lesson(
        "width", "Width matters, not only depth",
        "Layers of two units stay well short of the circles at every depth: each layer maps the plane onto a "
        "plane, and no stack of such maps encloses the inner circle. Three units per layer separate them with "
        f"one or two layers and stay ahead at every depth (the deepest learn more slowly in {CIRCLE_EPOCHS} "
        "epochs).",
        Definition(base=Config(dataset="circle"), epochs=CIRCLE_EPOCHS,
                   axes=[axis("width", (2, 3)), axis("depth", range(1, 7))]),
        (Plot(f"Test accuracy after {CIRCLE_EPOCHS} epochs", "measure", y="test_accuracy", x="depth",
              series=("width",)),),
    ),
    Lesson(
        "more-data", "Deep networks keep improving with more data",
        "On the spiral the linear models stay near chance however many points they get, on x₁, x₂ or on every "
        "hand-made feature. The network of three hidden layers improves with more points until it makes "
        "almost no mistakes; one hidden layer of the same width improves far more slowly. The RBF-kernel SVM "
        "and k nearest neighbours improve as fast as the deep network: with two inputs, a kernel or a "
        "neighbourhood covers the plane (the digits' lesson has more inputs).",
        Definition(base=Config(dataset="spiral", num_samples=TRAIN_SIZES[0] + SPIRAL_TEST,
                               train_fraction=TRAIN_SIZES[0] / (TRAIN_SIZES[0] + SPIRAL_TEST), activation="relu",
                               init="he", optimizer="adam", learning_rate=0.01),
                   epochs=SPIRAL_EPOCHS, baselines=True,
                   axes=[axis("train_size", TRAIN_SIZES),
                         axis("variant", (variant("network 16", hidden_layers=[16]),
                                          variant("network 16, 16, 16", hidden_layers=[16, 16, 16])))]),
        (Plot(f"Test accuracy after {SPIRAL_EPOCHS} epochs, against training points", "measure", y="test_accuracy",
              x="train_size", series=("model", "variant"), log_x=True),),
    ),
    Lesson(
        "more-digits", "More data: handwritten digits",
        "The ConvNet lab's default network on the 8 × 8 digits improves with every threefold more training "
        "images, from about 60 % right with 20 images to about 98 % with all 1,437; the classic methods on the "
        "pixels improve too. With few images the SVM does better than the ConvNet; with all of them the ConvNet, "
        "the SVM and k nearest neighbours are level, within a point of each other, and logistic regression "
        "trails. 64 pixels are few enough for a kernel to cover: the advantage of filters shared across places "
        "grows with larger images than these.",
        Definition(lab="convnet", base=ConvConfig(), epochs=DIGIT_EPOCHS, seeds=3, record=6, baselines=True,
                   axes=[axis("train_size", TRAIN_IMAGES), axis("variant", (variant("the lab's default ConvNet"),))]),
        (Plot(f"Test accuracy after {DIGIT_EPOCHS} epochs, against training images", "measure", y="test_accuracy",
              x="train_size", series=("model", "variant"), log_x=True),
         Plot("Test accuracy while training", "curve", y="test_accuracy", series=("train_size",))),
    ),
)
LESSON = {lesson.id: lesson for lesson in LESSONS}
