"""The course library: code the chapters share, each module tested in tests/.

- ``lib.config``: the tiny/full switch, settings per mode, ``COURSE_EPOCHS``, the banner, seeding;
- ``lib.backend``: the module that knows the Keras backend: its name and version, gradients, tensors;
- ``lib.hardware``: what the course runs on and in: devices, the precision that trains fastest, GPUs;
- ``lib.jax_cpu``: two of Keras' slow paths on JAX's CPU avoided (each says when to delete it);
- ``lib.data``: the book's split (``make_subset``), datasets with or without TensorFlow;
- ``lib.images``: one image file decoded and resized as each input pipeline does, bad-image checks;
- ``lib.download``: real photographs whatever the network does (``python -m lib.data download``);
- ``lib.toy_pets``: the generated toy dataset, its part masks and counterfactual edits (chapter 0, 5);
- ``lib.controls``: the colour-only classifier that shows toy pets need shape (chapter 0);
- ``lib.models``: the mini Xception (a loop over ``conv_block``) and the naive convnet;
- ``lib.architecture``: layer costs, receptive fields, deep stacks and ablations (chapter 2);
- ``lib.train``: training with the mode's settings and recipes (``python -m lib.train``), resumable
  runs, saved models, records;
- ``lib.provenance``: the commit, machine and software stored with every record and benchmark result;
- ``lib.reproducing``: the book's page "Reproducing the results", generated from ``results/``;
- ``lib.real_model``: the committed mini Xception trained on real photographs (chapters 3-5);
- ``lib.evaluate``: predictions, confusion matrix, most confident mistakes (chapter 3);
- ``lib.separable``: convolutions from scratch in NumPy, their costs, timings, correlations (chapter 1);
- ``lib.interpret``: one module per method: activations (chapter 4), filter patterns, Grad-CAM and
  occlusion (chapter 5), sanity checks and counterfactuals (chapter 6), the ImageNet examples;
- ``lib.shortcut``: a planted shortcut, trained into a model and caught (chapter 6);
- ``lib.claims``: every comparison the chapters state in words, with the test that upholds it;
- ``lib.report``: glued numbers and phrases, progress bars;
- ``lib.checks``: self-checks for the exercises, one module per chapter;
- ``lib.plots``: figures the chapters share;
- ``lib.files``: folders built aside and renamed into place;
- ``lib.student_edition``: the book's sources without solutions (``make book-student``).
"""
