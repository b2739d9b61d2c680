"""The course library: code the chapters share, each module tested in tests/.

- ``lib.config``: the tiny/full switch, settings per mode, the banner, seeding;
- ``lib.data``: the book's split (``make_subset``), datasets, real-data download, bad-image checks;
- ``lib.toy_pets``: the generated toy dataset and its part masks (also reachable from ``lib.data``);
- ``lib.models``: the mini Xception (a loop over ``conv_block``) and the naive convnet;
- ``lib.architecture``: layer costs, receptive fields, deep stacks and ablations (chapter 2);
- ``lib.train``: training with the mode's settings (``python -m lib.train``), the saved models;
- ``lib.evaluate``: predictions, confusion matrix, most confident mistakes;
- ``lib.separable``: convolutions from scratch in NumPy, their costs, timings, correlations;
- ``lib.interpret``: activations, filter patterns, Grad-CAM, and checks of explanations;
- ``lib.checks``: self-checks for the exercises;
- ``lib.plots``: figures the chapters share;
- ``lib.files``: folders built aside and renamed into place;
- ``lib.student_edition``: the book's sources without solutions (``make book-student``).
"""
