"""The house rule of ARCHITECTURE.md, checked on the source: faces choose and format the
engine's numbers, they never reshape them or compute a figure of their own.

A face module (report/, excel/, cli/, mail/) may not call a pandas/numpy reshaping method,
and may not do arithmetic on an engine figure: a rate, count, benchmark, rank, volume or
goal, or a name assigned from one. Charts are exempt: they turn numbers into pixels.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "kpi_reports"
FACES = ("report", "excel", "cli", "mail")
DRAWING = {"report/charts.py"}                   # geometry of SVG charts: numbers -> pixels
RESHAPING = {"unstack", "stack", "pivot", "pivot_table", "melt", "xs", "reindex", "swaplevel",
             "reshape", "transpose", "groupby", "crosstab", "explode"}
REDUCING = {"sum", "mean", "median", "std", "diff", "cumsum", "pct_change", "subtract", "divide",
            "nansum", "nanmean", "prod", "clip"}
ARITHMETIC = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
# What the engine hands the faces, by the names it carries on results, views and frames...
FIGURE_ATTRIBUTES = {"rate", "value", "numerator", "denominator", "average", "top10", "rank", "ranked", "benchmarks",
                     "values", "counts", "closed_volume_ytd", "ytd", "goal", "expected", "projected", "share",
                     "change", "before", "after"}
FIGURE_KEYS = {"value", "numerator", "denominator", "average", "top10", "rank", "closed_volume",
               "closed_volume_ytd", "annual_goal", "calls", "contacts", "appointments", "contracts"}
VIEW_METHODS = {"count", "value", "agent_values"}
# ...and the local names that say they hold one (a parameter `values`, say).
FIGURE_NAMES = {"rate", "rates", "values", "averages", "average", "avg", "numerator", "denominator",
                "ytd", "goal", "gap", "gaps", "delta"}
FORMATTERS = {"f", "fmt", "formatting"}                  # kpi_reports.formatting: numbers -> text
OPAQUE = {"len", "str", "isinstance", "bool"}            # calls whose result is no figure
SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def face_modules() -> list[Path]:
    return sorted(p for face in FACES for p in (PACKAGE / face).glob("*.py")
                  if p.relative_to(PACKAGE).as_posix() not in DRAWING)


def _opaque(node: ast.AST) -> bool:
    """A call that turns figures into text or a length: what it returns carries none."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return func.value.id in FORMATTERS
    return isinstance(func, ast.Name) and func.id in OPAQUE


def _walk(node: ast.AST, skip) -> list[ast.AST]:
    """ast.walk without descending into nodes `skip` accepts (the node itself is always walked)."""
    out, todo = [], [node]
    while todo:
        sub = todo.pop()
        out.append(sub)
        todo.extend(c for c in ast.iter_child_nodes(sub) if not skip(c))
    return out


def _bound_names(target: ast.AST) -> set[str]:
    """The names an assignment to `target` gives a value: `out[r][c] = x` binds `out`, not r or c."""
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, (ast.Tuple, ast.List)):
        return set().union(*map(_bound_names, target.elts))
    if isinstance(target, (ast.Starred, ast.Subscript)):
        return _bound_names(target.value)
    return set()                                        # obj.attr = x: no local name


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str))


class Scope:
    """One function (or the module): which names carry a figure, and what is done with them.

    A name carries a figure when it says so (FIGURE_NAMES) or is assigned, also in a for
    loop or a comprehension, from an expression that carries one; nested functions see
    their parent's names.
    """

    def __init__(self, node: ast.AST, inherited: set[str]) -> None:
        self.nodes = _walk(node, lambda c: isinstance(c, SCOPES))[1:] if isinstance(node, SCOPES) \
            else _walk(node, lambda c: isinstance(c, SCOPES))
        self.tainted = set(inherited) | FIGURE_NAMES
        self._spread()

    def carries(self, node: ast.AST) -> bool:
        if _opaque(node):
            return False
        nodes = _walk(node, _opaque)
        methods = {id(n.func) for n in nodes if isinstance(n, ast.Call)}     # x.values() is a method, no figure
        for sub in nodes:
            if isinstance(sub, ast.Name) and sub.id in self.tainted:
                return True
            if isinstance(sub, ast.Attribute) and sub.attr in FIGURE_ATTRIBUTES and id(sub) not in methods:
                return True
            if isinstance(sub, ast.Subscript) and isinstance(sub.slice, ast.Constant) \
                    and sub.slice.value in FIGURE_KEYS:
                return True
            if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr in VIEW_METHODS:
                return True
        return False

    def _bind(self, target: ast.AST, value: ast.AST) -> None:
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "enumerate" \
                and isinstance(target, ast.Tuple) and len(target.elts) == 2 and value.args:
            target, value = target.elts[1], value.args[0]          # the index of enumerate() is no figure
        if self.carries(value):
            self.tainted |= _bound_names(target)

    def _spread(self) -> None:
        while True:
            before = len(self.tainted)
            for node in self.nodes:
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        self._bind(target, node.value)
                elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and node.value is not None:
                    self._bind(node.target, node.value)
                elif isinstance(node, (ast.For, ast.comprehension)):
                    self._bind(node.target, node.iter)
            if len(self.tainted) == before:
                return

    def violations(self) -> list[tuple[int, str]]:
        found = []
        for node in self.nodes:
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                name = node.func.attr
                if name in RESHAPING:
                    found.append((node.lineno, f"reshapes with .{name}()"))
                elif name in REDUCING and (self.carries(node.func.value) or any(map(self.carries, node.args))):
                    found.append((node.lineno, f"computes with .{name}(): {ast.unparse(node)}"))
            elif isinstance(node, ast.BinOp) and isinstance(node.op, ARITHMETIC) \
                    and not (_is_text(node.left) or _is_text(node.right)) \
                    and (self.carries(node.left) or self.carries(node.right)):
                found.append((node.lineno, f"computes {ast.unparse(node)}"))
        return found


def violations(source: str) -> list[tuple[int, str]]:
    """Reshaping calls and arithmetic on figures, in every scope of a module's source."""
    found: list[tuple[int, str]] = []

    def check(node: ast.AST, inherited: set[str]) -> None:
        scope = Scope(node, inherited)
        found.extend(scope.violations())
        for sub in scope.nodes:
            for child in ast.iter_child_nodes(sub):
                if isinstance(child, SCOPES):
                    check(child, scope.tainted)

    check(ast.parse(source), set())
    return sorted(set(found))


@pytest.mark.parametrize("path", face_modules(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_faces_neither_reshape_nor_compute_the_engines_numbers(path):
    found = violations(path.read_text(encoding="utf-8"))
    assert not found, "\n".join(f"{path.relative_to(PACKAGE)}:{line}: {what}" for line, what in found)


# ------------------------------------------------------------------ the check itself can fail

def test_the_check_finds_what_the_faces_used_to_do():
    """Code as the faces had it before the engine kept one result shape."""
    old = '''
def goal_pace(ytd, goal, as_of):
    elapsed = ((as_of - dt.date(as_of.year, 1, 1)).days + 1) / 365
    return goal * elapsed, ytd / elapsed

def focus_gaps(metrics, values, averages):
    return sorted([(m, v - a) for m, v, a in zip(metrics, values, averages) if v < a])

def movers(h, agents):
    now, before = h.value[-1, agents], h.value[-2, agents]
    return now - before

def table(result):
    grid = result.values["value"].unstack("metric")
    bench = result.benchmarks.reindex(result.settings.metric_ids)
    return grid, bench

def share(people, i):
    ytd = float(people["closed_volume_ytd"].iat[i])
    return f.percent(ytd / people["annual_goal"].iat[i])
'''
    found = {what.split(":")[0] if what.startswith("reshapes") else what for _, what in violations(old)}
    assert {"computes goal * elapsed", "computes ytd / elapsed", "computes v - a", "computes now - before",
            "reshapes with .unstack()", "reshapes with .reindex()",
            "computes ytd / people['annual_goal'].iat[i]"} <= found


def test_the_check_lets_layout_and_formatting_through():
    fine = '''
def layout(result, first, k):
    col = FIRST_METRIC_COL + 3 * k
    last = first + len(result.agent_ids) - 1
    text = f.percent(result.rate[k, 0]) + " of " + f.count(result.denominator[k, 0])
    if result.rate[k, 0] < result.average[k]:
        text += "below"
    return col, last, text
'''
    assert violations(fine) == []
