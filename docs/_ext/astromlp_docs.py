"""Sphinx directives that write reference pages from the code itself, so the documentation cannot drift.

- ``astromlp-config``: every key of every config section, from the dataclass fields of
  ``astromlp.pipeline.config`` and the ``Rule`` (kind, default, choices, range, help) each field carries.
- ``astromlp-model-parameters``: every ``[model]`` key, from the estimators' ``get_params()`` defaults and
  the numpydoc ``Parameters`` section of their class docstring.
- ``astromlp-feature-functions``: the functions allowed in feature expressions (``catalogs.features``).
- ``astromlp-template``: what ``astromlp init --task TASK`` writes.
- ``astromlp-cli``: the ``--help`` text of ``astromlp`` and each of its commands.
- ``astromlp-metrics``: the metrics of a task's report, with the headline ones marked.
- ``astromlp-figures``: the figures of a task's report with their captions.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import re
import textwrap

import click
from numpydoc.docscrape import NumpyDocString
from sphinx.util.docutils import SphinxDirective

from astromlp.catalogs import FUNCTIONS
from astromlp.catalogs.expressions import CONDITIONS
from astromlp.pipeline import config as schema
from astromlp.pipeline.cli import main as cli_main
from astromlp.pipeline.templates import template

HELP_WIDTH = 80  # a terminal's width; what `astromlp COMMAND --help` prints there
ARGUMENTS = {1: "x", 2: "flux, b"}  # how the functions of each arity are written


def literal(text: str) -> str:
    """`code` in the schema's help texts becomes an RST inline literal."""
    return re.sub(r"(?<!`)`([^`]+)`(?!`)", r"``\1``", text)


def plain(text: str) -> str:
    """Text from the code (labels, captions) with RST's markup characters escaped."""
    return re.sub(r"([\\`*|_])", r"\\\1", text)


def toml_value(value) -> str:
    """A default as it is spelled in a TOML file."""
    if isinstance(value, tuple):
        value = list(value)
    return json.dumps(value)


def rule_type(rule: schema.Rule) -> str:
    """What a key accepts, in words: its kind, its choices and its range."""
    words = schema.KINDS[rule.kind][1]
    if rule.choices:
        words += ": one of " + ", ".join(f"``{choice}``" for choice in rule.choices)
    limits = schema._range_text(rule)
    return words + (f", {limits}" if limits else "")


def rule_default(rule: schema.Rule) -> str:
    if rule.default is schema.REQUIRED:
        return "required"
    if rule.default is None:
        return "none (see the meaning)"
    return f"``{toml_value(rule.default)}``"


def confval(name: str, type_text: str, default: str, meaning: str) -> str:
    body = textwrap.indent(meaning.strip(), "   ")
    return f".. confval:: {name}\n   :type: {type_text}\n   :default: {default}\n\n{body}\n\n"


def config_sections_rst() -> str:
    """One section per config table, one confval per key, in the order of the schema."""
    parts = []
    for name, section in schema.SECTIONS.items():
        title = f"[{name}]"
        parts.append(f".. _config-{name}:\n\n{title}\n{'-' * len(title)}\n\n{literal(inspect.getdoc(section))}\n\n")
        for field in dataclasses.fields(section):
            rule = field.metadata["rule"]
            parts.append(confval(f"{name}.{field.name}", rule_type(rule), rule_default(rule), literal(rule.help)))
    return "".join(parts)


def model_parameters() -> list[tuple[str, str, object, str]]:
    """(name, type, default, meaning) of every estimator parameter, in the order of the docstring."""
    from astromlp.nn import MLPClassifier, MLPRegressor

    documented = NumpyDocString(inspect.getdoc(MLPClassifier))["Parameters"]  # the shared ones, then its own
    defaults = MLPClassifier().get_params()
    if not set(MLPRegressor().get_params()) <= set(defaults):
        raise RuntimeError("MLPRegressor takes parameters MLPClassifier does not; document both")
    return [(p.name, toml_type(p.type), defaults[p.name], "\n".join(p.desc)) for p in documented]


def toml_type(numpydoc_type: str) -> str:
    """A numpydoc type as a config reader meets it: no default (shown apart), lists for tuples."""
    return re.sub(r",\s*default\b.*$", "", numpydoc_type).replace("tuple of", "list of")


def model_parameters_rst() -> str:
    parts = []
    for name, type_text, default, meaning in model_parameters():
        if name in schema.RESERVED_MODEL_KEYS:
            meaning += f"\n\nNot a ``[model]`` key: {schema.RESERVED_MODEL_KEYS[name]}."
        value = "none (see the meaning)" if default is None else f"``{toml_value(default)}``"
        parts.append(confval(f"model.{name}", type_text, value, meaning))
    return "".join(parts)


def feature_functions_rst() -> str:
    rows = "".join(f"   * - ``{name}({ARGUMENTS[f.arity]})``\n"
                   f"     - {plain(f.meaning)}\n" for name, f in FUNCTIONS.items())
    rows += "".join(f"   * - ``{usage.split(':')[0]}``\n     - {plain(usage.split(': ', 1)[1])} (a condition)\n"
                    for usage in CONDITIONS.values())
    return f".. list-table::\n   :header-rows: 1\n\n   * - function\n     - meaning\n{rows}\n"


def cli_help(command: click.Command, name: str, parent: click.Context | None) -> str:
    context = click.Context(command, info_name=name, parent=parent, terminal_width=HELP_WIDTH,
                            max_content_width=HELP_WIDTH)
    return command.get_help(context)


def cli_rst() -> str:
    """``astromlp --help`` and then each command's help, as literal blocks under their own headings."""
    root = click.Context(cli_main, info_name="astromlp", terminal_width=HELP_WIDTH, max_content_width=HELP_WIDTH)
    pages = [("astromlp", cli_help(cli_main, "astromlp", None))]
    pages += [(f"astromlp {name}", cli_help(command, name, root)) for name, command in
              sorted(cli_main.commands.items())]
    parts = []
    for title, text in pages:
        anchor = title.replace(" ", "-")
        parts.append(f".. _cli-{anchor}:\n\n``{title}``\n{'-' * (len(title) + 4)}\n\n.. code-block:: text\n\n"
                     f"{textwrap.indent(text, '   ')}\n\n")
    return "".join(parts)


def metrics_rst(task: str) -> str:
    from astromlp.reports import report_kind

    kind = report_kind(task)
    better = {"higher": "higher", "lower": "lower", "zero": "closer to 0"}
    rows = "".join(f"   * - ``{key}``\n     - {plain(metric.label)}\n     - {better[metric.better]}\n"
                   f"     - {'yes' if key in kind.headline else ''}\n" for key, metric in kind.metrics.items())
    return (".. list-table::\n   :header-rows: 1\n\n   * - key in metrics.json\n     - label in the report\n"
            f"     - better\n     - headline\n{rows}\n")


def figures_rst(task: str) -> str:
    from astromlp.reports import report_kind

    rows = "".join(f"   * - ``{spec.key}``\n     - {spec.section}\n     - {plain(spec.caption)}\n"
                   for spec in report_kind(task).figures)
    return (f".. list-table:: {task} reports\n   :header-rows: 1\n\n   * - figure\n     - section\n"
            f"     - caption\n{rows}\n")


def generated(function, arguments: int = 0) -> type[SphinxDirective]:
    """A directive whose content is the RST that ``function(*arguments)`` writes from the code."""

    class Generated(SphinxDirective):
        has_content = False
        required_arguments = arguments

        def run(self):
            generated_in(self.env).add(self.env.docname)
            return self.parse_text_to_nodes(function(*self.arguments), allow_section_headings=True)

    return Generated


def template_rst(task: str) -> str:
    return f".. code-block:: toml\n\n{textwrap.indent(template(task), '   ')}\n"


DIRECTIVES = {
    "astromlp-config": generated(config_sections_rst),
    "astromlp-model-parameters": generated(model_parameters_rst),
    "astromlp-feature-functions": generated(feature_functions_rst),
    "astromlp-cli": generated(cli_rst),
    "astromlp-template": generated(template_rst, 1),
    "astromlp-metrics": generated(metrics_rst, 1),
    "astromlp-figures": generated(figures_rst, 1),
}


def generated_in(env) -> set[str]:
    """The documents holding generated content: rebuilt on every build, since the code may have changed."""
    if not hasattr(env, "astromlp_generated"):
        env.astromlp_generated = set()
    return env.astromlp_generated


def setup(app):
    for name, directive in DIRECTIVES.items():
        app.add_directive(name, directive)
    app.connect("env-get-outdated", lambda app, env, added, changed, removed: sorted(generated_in(env)))
    app.connect("env-purge-doc", lambda app, env, docname: generated_in(env).discard(docname))
    app.connect("env-merge-info", lambda app, env, docnames, other: generated_in(env).update(generated_in(other)))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
