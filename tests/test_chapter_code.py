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

from lib import config, separable
from lib.interpret import activations, filter_patterns

# (chapter, lib's copy of a function the chapter defines in a cell)
TAUGHT = [("01_depthwise_separable_convolution", separable.depthwise_conv2d),
          ("01_depthwise_separable_convolution", separable.pointwise_conv2d),
          ("01_depthwise_separable_convolution", separable.separable_conv2d),
          ("04_visualizing_activations", activations.activation_model),
          ("05_filters_and_heatmaps", filter_patterns.generate_filter_patterns)]


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


def chapter_definition(chapter: str, name: str) -> ast.FunctionDef:
    """The ``def name`` of the one cell of ``chapter`` that defines it."""
    notebook = nbformat.read(config.REPO_ROOT / "notebooks" / f"{chapter}.ipynb", as_version=4)
    found = [node for cell in notebook.cells if cell.cell_type == "code"
             for node in ast.parse(cell.source).body if isinstance(node, ast.FunctionDef) and node.name == name]
    assert len(found) == 1, f"{chapter} defines {name} in {len(found)} cells; it should in one"
    return found[0]


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
