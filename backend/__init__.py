"""Layerlab: train small neural networks and watch every layer learn."""
