"""What an email template may contain, checked on the parsed template before it is ever run.

Jinja's SandboxedEnvironment keeps a template away from Python internals, but not from the
server's CPU and memory: `{{ 9**(9**8) }}` is folded at compile time and holds a worker for
half a minute, and two nested `range(100000)` loops hold it for minutes. An email template only
prints placeholders (plain strings) with simple conditions and a few filters, so rather than
guess what is dangerous, `refusals` walks the parsed template (jinja2.nodes) and lets through
only the nodes on a short list: text, placeholders, `if`, comparisons, `and`/`or`/`not`, `~`,
small literals and the filters and tests in FILTERS and TESTS. Loops, calls, `set`, arithmetic,
attribute access, indexing, macros and includes are refused, each with words a recruiter can
act on. Nothing on the list can grow the output faster than the template and its values, and
`fill` still stops a render past MAX_OUTPUT as a last guard.
"""

from __future__ import annotations

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, nodes
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from triage.errors import BadInput

MAX_SOURCE = 100_000  # characters of one part (subject, text body, HTML body) as written
MAX_OUTPUT = 100_000  # characters of one part once filled
MAX_NUMBER = 1_000_000
MAX_DEPTH = 60  # nesting of the parsed template; far beyond any email, far below Python's limits
FILTERS = frozenset({"capitalize", "d", "default", "e", "escape", "lower", "title", "trim", "truncate", "upper"})
TESTS = frozenset({"defined", "eq", "equalto", "lower", "ne", "none", "string", "undefined", "upper"})
_ALLOWED = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.Name,
    nodes.Const,
    nodes.If,
    nodes.CondExpr,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Compare,
    nodes.Operand,
    nodes.Concat,
    nodes.Tuple,
    nodes.List,
    nodes.Keyword,
    nodes.FilterBlock,
    nodes.Filter,
    nodes.Test,
)
_WORDS = {
    nodes.For: "loops ({% for %}) are not allowed in email templates",
    nodes.Pow: "the ** operator is not allowed in email templates",
    nodes.Assign: "{% set %} is not allowed in email templates",
    nodes.AssignBlock: "{% set %} is not allowed in email templates",
    nodes.Getattr: "attribute access (a dot after a placeholder) is not allowed in email templates",
    nodes.Getitem: "indexing (placeholder[...]) is not allowed in email templates",
    nodes.Dict: "dictionaries ({...}) are not allowed in email templates",
    nodes.Pair: "dictionaries ({...}) are not allowed in email templates",
    nodes.Macro: "macros are not allowed in email templates",
    nodes.CallBlock: "macros are not allowed in email templates",
    nodes.Extends: "{% extends %} is not allowed in email templates",
    nodes.Block: "{% block %} is not allowed in email templates",
    nodes.Include: "{% include %} is not allowed in email templates",
    nodes.Import: "{% import %} is not allowed in email templates",
    nodes.FromImport: "{% import %} is not allowed in email templates",
    nodes.With: "{% with %} is not allowed in email templates",
    nodes.EvalContextModifier: "{% autoescape %} is not allowed in email templates",
    nodes.ScopedEvalContextModifier: "{% autoescape %} is not allowed in email templates",
}
_ARITHMETIC = (nodes.BinExpr, nodes.UnaryExpr)  # And, Or and Not are allowed above, before this applies


class _Sandbox(SandboxedEnvironment):
    """The sandbox with every arithmetic operator intercepted.

    An intercepted operator is never folded at compile time, and running one is refused: a
    second line behind `refusals`, for a template that somehow reaches Jinja unchecked.
    """

    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})
    intercepted_unops = frozenset({"+", "-"})

    def call_binop(self, context, operator, left, right):
        raise SecurityError(f"the {operator} operator is not allowed in email templates")

    def call_unop(self, context, operator, arg):
        raise SecurityError(f"the unary {operator} operator is not allowed in email templates")


def _environment(autoescape: bool) -> SandboxedEnvironment:
    env = _Sandbox(undefined=StrictUndefined, autoescape=autoescape, keep_trailing_newline=True)
    env.globals.clear()  # no range(), lipsum(), dict(), cycler()...: templates see placeholders only
    return env


TEXT = _environment(autoescape=False)
HTML = _environment(autoescape=True)


def refusals(tree: nodes.Template) -> list[str]:
    """What in a parsed template is not allowed, in words, each said once; empty when all is."""
    found: dict[str, None] = {}
    stack: list[tuple[nodes.Node, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            found["the template is nested too deeply"] = None
            continue
        problem = _refusal(node)
        if problem:
            found[problem] = None
        stack.extend((child, depth + 1) for child in reversed(list(node.iter_child_nodes())))
    return list(found)


def _refusal(node: nodes.Node) -> str | None:
    if isinstance(node, nodes.Call):
        callee = f"{node.node.name}()" if isinstance(node.node, nodes.Name) else "functions and methods"
        return f"calling {callee} is not allowed in email templates"
    if isinstance(node, nodes.Filter) and node.name not in FILTERS:
        return f"the filter |{node.name} is not allowed in email templates (allowed: {', '.join(sorted(FILTERS))})"
    if isinstance(node, nodes.Test) and node.name not in TESTS:
        return f"the test 'is {node.name}' is not allowed in email templates (allowed: {', '.join(sorted(TESTS))})"
    if isinstance(node, nodes.Const) and _too_large(node.value):
        digits = str(node.value)
        return f"the number {digits if len(digits) <= 20 else digits[:20] + '…'} is too large for an email template"
    if isinstance(node, _ALLOWED):
        return None
    if type(node) in _WORDS:
        return _WORDS[type(node)]
    if isinstance(node, _ARITHMETIC):
        return f"arithmetic (the {node.operator} operator) is not allowed in email templates"
    return f"{type(node).__name__} is not allowed in email templates"


def _too_large(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return not -MAX_NUMBER <= value <= MAX_NUMBER  # inf and nan (1e999) are refused too


def read(env: SandboxedEnvironment, source: str) -> tuple[nodes.Template | None, list[str]]:
    """The parsed template and what in it is refused; the tree is None when it cannot be read."""
    if len(source) > MAX_SOURCE:
        return None, [f"it is over {MAX_SOURCE // 1000} KB"]
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as exc:
        return None, [exc.message or str(exc)]
    except ValueError:  # Python will not read an integer literal of more than 4,300 digits
        return None, ["a number in it is too large for an email template"]
    except RecursionError:
        return None, ["the template is nested too deeply"]
    return tree, refusals(tree)


def fill(template: Template, context: dict, part: str) -> str:
    """Render one part, refusing it as soon as it passes MAX_OUTPUT characters."""
    chunks, size = [], 0
    try:
        for chunk in template.generate(context):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise BadInput(f"would make a {part} over {MAX_OUTPUT // 1000} KB")
            chunks.append(chunk)
    except (TypeError, ValueError, LookupError, AssertionError) as exc:
        # A filter given arguments it cannot use (|truncate(1), |upper(2)), a comparison of a
        # placeholder with a number: the template's fault, said as such, not a server error.
        raise BadInput(f"cannot fill its {part}: {exc}") from None
    return "".join(chunks)
