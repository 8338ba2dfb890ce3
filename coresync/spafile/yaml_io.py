"""Read and write the YAML of a spa file with ruamel.yaml's round-trip loader and dumper.

Reading keeps where things were: every mapping and list comes back as ruamel's
``CommentedMap``/``CommentedSeq``, which know the line of each key and item, and
:func:`line_of` finds the line of a value from its path (``("rooms", 0, "hours", "wed")``).
A key written twice in one mapping is reported with its line. YAML 1.2 already reads
``10:00`` as text (not the base-60 number 600); ``0755`` is kept as text too (not 755), and
a date that does not exist (``2026-02-30``) as text, so that validation can name its line.

Writing: :func:`flow` marks what goes on one line, like the hand-written example file;
strings are written plain when every YAML reader (1.1 and 1.2) reads them back as the same
string, double-quoted otherwise.

ruamel.yaml is imported on first use, not with this module: the site imports the spa file's
code (the pricing-sheet page) in every worker, and most never read or write YAML.
"""

import io
import re
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ruamel.yaml.error import YAMLError

__all__ = ["YAMLError", "dump_document", "error_line", "flow", "line_of", "load", "quoted"]

_LEADING_ZERO = re.compile(r"^[-+]?0[0-9_]")


def __getattr__(name: str) -> Any:
    # ``yaml_io.YAMLError`` (ruamel's) without importing ruamel with this module (PEP 562).
    if name == "YAMLError":
        from ruamel.yaml.error import YAMLError

        return YAMLError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@cache
def _constructor() -> type:
    """ruamel's round-trip constructor, with duplicate keys recorded and ``0755`` and
    impossible dates kept as text."""
    from ruamel.yaml.constructor import RoundTripConstructor

    class Constructor(RoundTripConstructor):
        duplicate_keys: list[tuple[int, Any]]

        def check_mapping_key(
            self, node: Any, key_node: Any, mapping: Any, key: Any, value: Any
        ) -> bool:
            # A key written twice is recorded (and its last value kept), not an error that
            # stops the reading: the other problems of the file are still found.
            if key in mapping:
                self.duplicate_keys.append((key_node.start_mark.line + 1, key))
                mapping[key] = value
                return False
            return True

        def construct_yaml_int(self, node: Any) -> Any:
            if _LEADING_ZERO.match(node.value):
                return str(node.value)
            return super().construct_yaml_int(node)

        def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
            try:
                return super().construct_yaml_timestamp(node, values)
            except ValueError:
                return str(node.value)

    Constructor.add_constructor("tag:yaml.org,2002:int", Constructor.construct_yaml_int)
    Constructor.add_constructor("tag:yaml.org,2002:timestamp", Constructor.construct_yaml_timestamp)
    return Constructor


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.Constructor = _constructor()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 1 << 20  # one entry per line, however long, as in the example
    yaml.allow_unicode = True
    yaml.representer.add_representer(
        type(None), lambda dumper, _: dumper.represent_scalar("tag:yaml.org,2002:null", "null")
    )
    return yaml


def load(text: str) -> tuple[Any, list[tuple[int, Any]]]:
    """Parse one YAML document; return ``(data, duplicate_keys)``: mappings and lists keep
    their positions, ``duplicate_keys`` lists ``(line, key)`` for every key written twice in
    one mapping. Raises ``YAMLError`` on a syntax error."""
    from ruamel.yaml.parser import Parser
    from ruamel.yaml.scanner import Scanner

    yaml = _yaml()
    # Comments are not needed: the plain scanner and parser are a quarter faster.
    yaml.Scanner, yaml.Parser = Scanner, Parser
    yaml.constructor.duplicate_keys = []
    return yaml.load(text), yaml.constructor.duplicate_keys


def error_line(error: Exception) -> int | None:
    """Return the 1-based line a ruamel error points at, if it says."""
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    return mark.line + 1 if mark is not None else None


def line_of(data: Any, loc: tuple) -> int:
    """The 1-based line of the value at ``loc`` (keys and indexes from the top), or of the
    deepest part of it the file has."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    line, node = 1, data
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            line, node = node.lc.key(part)[0] + 1, node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
            line, node = node.lc.item(part)[0] + 1, node[part]
        else:
            break
    return line


_STR = "tag:yaml.org,2002:str"
_PLAIN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9 _.@'/+&()-]*$")


@cache
def _resolvers() -> tuple:
    from ruamel.yaml.resolver import VersionedResolver

    return VersionedResolver(version=(1, 1)), VersionedResolver(version=(1, 2))


def _scalar(value: Any) -> Any:
    from ruamel.yaml.nodes import ScalarNode
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    if not isinstance(value, str) or isinstance(value, DoubleQuotedScalarString):
        return value
    value = str.__str__(value)  # a plain str, not an enum member or another subclass
    if _PLAIN.match(value) and not value.endswith(" "):
        tags = {str(r.resolve(ScalarNode, value, (True, False))) for r in _resolvers()}
        if tags == {_STR}:
            return value
    return DoubleQuotedScalarString(value)


def quoted(text: str) -> Any:
    """``text`` written in double quotes, whatever it holds (a ruamel
    ``DoubleQuotedScalarString``)."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    return DoubleQuotedScalarString(text)


def flow(value: dict | list) -> Any:
    """``value`` written on one line: ``{slug: base, …}``, ``[60, 90]``."""
    node = _node(value)
    node.fa.set_flow_style()
    return node


def _node(value: Any) -> Any:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, CommentedMap | CommentedSeq):
        return value
    if isinstance(value, dict):
        return CommentedMap((_scalar(key), _node(item)) for key, item in value.items())
    if isinstance(value, list | tuple):
        return CommentedSeq(_node(item) for item in value)
    return _scalar(value)


def dump_document(document: dict[str, Any], *, header: str = "") -> str:
    """Write ``document`` (top-level sections in order) as YAML text, a blank line between
    sections; ``header`` (comment lines without ``#``) first. Mappings and lists are written
    as blocks unless made with :func:`flow`."""
    from ruamel.yaml.comments import CommentedMap

    yaml = _yaml()
    chunks = []
    if header:
        chunks.append("\n".join(f"# {line}".rstrip() for line in header.splitlines()))
    for key, value in document.items():
        out = io.StringIO()
        yaml.dump(CommentedMap([(_scalar(key), _node(value))]), out)
        chunks.append(out.getvalue().rstrip("\n"))
    return "\n\n".join(chunks) + "\n"
