"""The ConvNet lab's engine: image datasets (images.py), the convolutional network and its geometry
(network.py), and its training (training.py). It shares the playground's registries (activations,
initialisations, optimisers) so a choice means the same thing in both labs."""
