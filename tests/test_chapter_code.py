"""One source for the code a chapter teaches: where a chapter writes a function in its cells and
``lib`` holds a copy for other chapters, the checks and the tests, the two are the same code
(compared as syntax trees, leaving out docstrings, type annotations and the module a name is
reached through). Change one, change the other."""

from __future__ import annotations

import ast
import inspect
import textwrap

import nbformat
import pytest

from lib import architecture, config, models, separable, train
import numpy as np

from lib.interpret import activations, filter_patterns, gradcam

# (chapter, lib's copy of a function the chapter defines in a cell)
TAUGHT = [("01_depthwise_separable_convolution", separable.depthwise_conv2d),
          ("02_architecture_principles", models.conv_block),
          ("03_mini_xception", models.build_mini_xception),
          ("01_depthwise_separable_convolution", separable.pointwise_conv2d),
          ("01_depthwise_separable_convolution", separable.separable_conv2d),
          ("04_visualizing_activations", activations.activation_model),
          ("05_filters_and_heatmaps", filter_patterns.generate_filter_patterns),
          ("05_filters_and_heatmaps", gradcam.layer_gradients),
          ("05_filters_and_heatmaps", gradcam.grad_cam)]


class Comparable(ast.NodeTransformer):
    """A function's tree without what may differ between a cell and lib: the docstring, type
    annotations, and module prefixes (``activations.feature_layer_names`` in the chapter is
    ``feature_layer_names`` inside ``lib.interpret.activations``)."""

    def __init__(self, modules: set[str]) -> None:
        self.modules = modules

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
        self.generic_visit(node)
        if node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant):
            node.body = node.body[1:]
        node.returns = None
        for argument in (*node.args.args, *node.args.kwonlyargs):
            argument.annotation = None
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.value, ast.Name) and node.value.id in self.modules:
            return ast.Name(id=node.attr, ctx=node.ctx)
        return node


def comparable(function: ast.FunctionDef, modules: set[str]) -> str:
    return ast.dump(Comparable(modules).visit(function))


def defining_cells(chapter: str, name: str) -> list[str]:
    """The sources of the code cells of ``chapter`` that ``def name``."""
    notebook = nbformat.read(config.REPO_ROOT / "notebooks" / f"{chapter}.ipynb", as_version=4)
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"
            if any(isinstance(node, ast.FunctionDef) and node.name == name for node in ast.parse(cell.source).body)]


def chapter_definition(chapter: str, name: str) -> ast.FunctionDef:
    """The ``def name`` of the one cell of ``chapter`` that defines it."""
    found = defining_cells(chapter, name)
    assert len(found) == 1, f"{chapter} defines {name} in {len(found)} cells; it should in one"
    return next(node for node in ast.parse(found[0]).body if isinstance(node, ast.FunctionDef) and node.name == name)


def lib_definition(function) -> ast.FunctionDef:
    return ast.parse(textwrap.dedent(inspect.getsource(function))).body[0]


@pytest.mark.parametrize("chapter, function", TAUGHT, ids=[f"{c}:{f.__name__}" for c, f in TAUGHT])
def test_the_chapters_function_and_libs_copy_are_the_same_code(chapter, function):
    modules = {function.__module__.rsplit(".", 1)[-1]}
    assert comparable(chapter_definition(chapter, function.__name__), modules) == \
        comparable(lib_definition(function), modules), \
        f"{chapter}'s {function.__name__} and {function.__module__}'s differ: change both"


def test_the_comparison_sees_a_changed_line():
    cell = lib_definition(activations.activation_model)
    changed = ast.parse(textwrap.dedent(inspect.getsource(activations.activation_model)).replace(
        "model.inputs[0]", "model.inputs[-1]")).body[0]
    assert comparable(cell, {"activations"}) != comparable(changed, {"activations"})


def chapter_function(chapter: str, name: str, imports: str, edit=lambda source: source, needs: tuple[str, ...] = ()):
    """``name`` as ``chapter``'s cells define it (after ``imports``, and the cells that define
    ``needs``), with ``edit`` applied to its cell: what a student's change there would make."""
    namespace = {}
    exec(imports, namespace)
    for needed in needs:
        exec(defining_cells(chapter, needed)[0], namespace)
    exec(edit(defining_cells(chapter, name)[0]), namespace)
    return namespace[name]


def chapter_grad_cam(edit=lambda source: source):
    return chapter_function("05_filters_and_heatmaps", "grad_cam",
                            "import keras\nimport numpy as np\nfrom lib import backend\nfrom lib.interpret import gradcam",
                            edit, needs=("layer_gradients",))


def test_the_chapters_grad_cam_is_what_the_scoring_code_applies(mini_xception, images):
    """What chapter 5's later cells show follows its grad_cam cell: a student's edit there changes the
    maps that lib's scoring code (here grad_cam_for_labels, as the deletion test and the part scores
    call it) computes."""
    labels = np.array([1, 0, 0, 1])
    as_written = gradcam.grad_cam_for_labels(mini_xception, images, labels, "block1_add", explain=chapter_grad_cam())
    np.testing.assert_allclose(as_written, gradcam.grad_cam_for_labels(
        mini_xception, images, labels, "block1_add", explain=gradcam.grad_cam), atol=1e-6)
    per_position = chapter_grad_cam(lambda source: source.replace(
        "channel_weights = gradients.mean(axis=(1, 2), keepdims=True)", "channel_weights = gradients"))
    edited = gradcam.grad_cam_for_labels(mini_xception, images, labels, "block1_add", explain=per_position)
    assert np.abs(edited - as_written).max() > 0.05, "an edited grad_cam cell did not change the maps"


def test_chapter_2s_block_is_what_the_ablation_builds():
    settings = config.settings_for("tiny")
    as_written = chapter_function("02_architecture_principles", "conv_block", "from keras import layers")
    no_shortcut = chapter_function("02_architecture_principles", "conv_block", "from keras import layers",
                                   lambda source: source.replace("    if not residual:\n", "    if True:\n"))
    counts = {block: architecture.ablation_variants(settings, conv_block=block)["mini Xception"]().count_params()
              for block in (as_written, no_shortcut, models.conv_block)}
    assert counts[as_written] == counts[models.conv_block] != counts[no_shortcut], \
        "an edited conv_block cell did not change the models chapter 2's ablation trains"


def test_chapter_3s_mini_xception_is_what_it_trains():
    settings = config.settings_for("tiny")
    imports = "import keras\nfrom keras import layers\nfrom lib import models"
    as_written = chapter_function("03_mini_xception", "build_mini_xception", imports)
    wider_stem = chapter_function("03_mini_xception", "build_mini_xception", imports,
                                  lambda source: source.replace("layers.Conv2D(32, 5,", "layers.Conv2D(48, 5,"))
    assert train.build_for(settings, as_written).count_params() == models.BOOK_PARAMETERS
    assert train.build_for(settings, wider_stem).count_params() != models.BOOK_PARAMETERS, \
        "an edited build_mini_xception cell did not change the model chapter 3 trains"
