"""What a trained convnet learned, and whether an explanation of it can be trusted (chapters 4, 5).

Section 9.4 of *Deep Learning with Python*, one module per method, as tf-keras-vis arranges them:

* :mod:`lib.interpret.activations`: every layer's output for an image, and how many of its
  channels are blank (chapter 4);
* :mod:`lib.interpret.filter_patterns`: the input each filter responds to most, by gradient
  ascent (chapter 5);
* :mod:`lib.interpret.gradcam`: class activation heatmaps from the gradient of the logit, and
  occlusion sensitivity, Zeiler and Fergus' gradient-free second opinion (chapter 5);
* :mod:`lib.interpret.sanity`: whether a heatmap points at the parts that define the class,
  part by part, and whether it depends on the trained weights at all (chapter 6);
* :mod:`lib.interpret.imagenet`: the book's ImageNet Xception, when its weights can be had.

Every function works on models built from ``keras.Input`` with the functional API, as the
course's are, on any Keras backend (gradients come from :mod:`lib.backend`), and steps around
augmentation by calling the model with ``training=False``, where augmentation layers pass
images through untouched.
"""
