"""Read and write the YAML of a spa file.

Reading keeps where things were: every mapping comes back as a :class:`LineDict` and every
list as a :class:`LineList`, which remember the 1-based line of the node and of each key or
item, so that validation errors can say ``spa.yaml:42``. Two YAML 1.1 surprises are turned
off: ``10:00`` is a string (not the base-60 number 600) and ``0755`` is a string (not octal).

Writing is a small emitter for the few shapes an exported spa file has (mappings, lists,
strings, numbers, booleans, null, dates); :class:`Flow` marks what goes on one line, like the
hand-written example file.
"""

import json
import re
from collections.abc import Hashable
from datetime import date
from typing import Any

import yaml
from yaml.constructor import ConstructorError

INT_TAG = "tag:yaml.org,2002:int"
FLOAT_TAG = "tag:yaml.org,2002:float"
STR_TAG = "tag:yaml.org,2002:str"


class LineDict(dict):
    """A mapping read from YAML: ``line`` is where it starts, ``key_lines[key]`` where each
    key is written (both 1-based)."""

    def __init__(self, *args: Any, line: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line = line
        self.key_lines: dict[Any, int] = {}


class LineList(list):
    """A list read from YAML: ``line`` is where it starts, ``item_lines[i]`` where item ``i``
    is written (both 1-based)."""

    def __init__(self, *args: Any, line: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line = line
        self.item_lines: list[int] = []


class SpaLoader(yaml.SafeLoader):
    """A ``SafeLoader`` that records line numbers and duplicate keys.

    ``duplicate_keys`` lists ``(line, key)`` for every key written twice in one mapping (plain
    PyYAML keeps the last one silently).
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicate_keys: list[tuple[int, Any]] = []


# Integers are decimal only and floats have no base-60 form, so times like 10:00 and codes
# like 0755 stay strings (YAML 1.1 would read them as 600 and 493).
SpaLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (INT_TAG, FLOAT_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
SpaLoader.add_implicit_resolver(
    INT_TAG, re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789")
)
SpaLoader.add_implicit_resolver(
    FLOAT_TAG,
    re.compile(
        r"""^(?:[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)


def _construct_mapping(loader: SpaLoader, node: yaml.MappingNode):
    mapping = LineDict(line=node.start_mark.line + 1)
    yield mapping
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            raise ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                "found an unhashable key",
                key_node.start_mark,
            )
        key_line = key_node.start_mark.line + 1
        if key in mapping:
            loader.duplicate_keys.append((key_line, key))
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_line


def _construct_sequence(loader: SpaLoader, node: yaml.SequenceNode):
    sequence = LineList(line=node.start_mark.line + 1)
    yield sequence
    for item_node in node.value:
        sequence.append(loader.construct_object(item_node, deep=True))
        sequence.item_lines.append(item_node.start_mark.line + 1)


def _construct_timestamp(loader: SpaLoader, node: yaml.ScalarNode) -> Any:
    # 2026-02-30 looks like a date but is none: keep the text so validation can name the line.
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


SpaLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
SpaLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
SpaLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


def load_with_lines(text: str) -> tuple[Any, list[tuple[int, Any]]]:
    """Parse one YAML document; return ``(data, duplicate_keys)``.

    ``data`` is built from :class:`LineDict`, :class:`LineList` and plain scalars;
    ``duplicate_keys`` is a list of ``(line, key)``. Raises ``yaml.YAMLError`` (with
    ``problem_mark``) on a syntax error.
    """
    loader = SpaLoader(text)
    try:
        data = loader.get_single_data()
    finally:
        loader.dispose()
    return data, loader.duplicate_keys


def yaml_error_line(error: yaml.YAMLError) -> int | None:
    """Return the 1-based line a PyYAML error points at, if it says."""
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    return mark.line + 1 if mark is not None else None


# -- writing -----------------------------------------------------------------------------


class Flow:
    """Wraps a mapping or list that the writer puts on one line: ``{slug: base, …}``."""

    __slots__ = ("value",)

    def __init__(self, value: dict | list) -> None:
        self.value = value


_PLAIN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9 _.@'/+&()-]*$")
_STRICT_RESOLVERS = (yaml.resolver.Resolver(), SpaLoader(""))


def _is_plain_safe(text: str) -> bool:
    """Tell whether ``text`` reads back as the same string when written unquoted, with our
    loader and with a stock YAML 1.1 one."""
    if not _PLAIN.match(text) or text.endswith(" "):
        return False
    return all(
        resolver.resolve(yaml.ScalarNode, text, (True, False)) == STR_TAG
        for resolver in _STRICT_RESOLVERS
    )


# Characters YAML does not allow raw in a double-quoted scalar, or reads as line breaks.
_YAML_UNPRINTABLE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")


def _double_quoted(text: str) -> str:
    """Quote ``text`` as a YAML double-quoted scalar: JSON's escapes are YAML's, plus the
    few characters YAML would not read back as themselves."""
    quoted = json.dumps(text, ensure_ascii=False)
    return _YAML_UNPRINTABLE.sub(lambda match: f"\\u{ord(match.group()):04x}", quoted)


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return value if _is_plain_safe(value) else _double_quoted(value)
    raise TypeError(f"cannot write {type(value).__name__} {value!r} to a spa file")


def _inline(value: Any) -> str:
    if isinstance(value, Flow):
        value = value.value
    if isinstance(value, dict):
        items = ", ".join(f"{_scalar(key)}: {_inline(item)}" for key, item in value.items())
        return "{" + items + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_inline(item) for item in value) + "]"
    return _scalar(value)


def _is_inline(value: Any) -> bool:
    return isinstance(value, Flow) or not isinstance(value, dict | list) or not value


def _block_mapping(mapping: dict, indent: int) -> list[str]:
    pad = " " * indent
    lines = []
    for key, value in mapping.items():
        if _is_inline(value):
            lines.append(f"{pad}{_scalar(key)}: {_inline(value)}")
        elif isinstance(value, dict):
            lines.append(f"{pad}{_scalar(key)}:")
            lines.extend(_block_mapping(value, indent + 2))
        else:
            lines.append(f"{pad}{_scalar(key)}:")
            lines.extend(_block_sequence(value, indent + 2))
    return lines


def _block_sequence(items: list, indent: int) -> list[str]:
    pad = " " * indent
    lines = []
    for item in items:
        if isinstance(item, dict) and not _is_inline(item):
            item_lines = _block_mapping(item, indent + 2)
            item_lines[0] = f"{pad}- {item_lines[0].lstrip()}"
            lines.extend(item_lines)
        elif isinstance(item, list) and not _is_inline(item):
            raise TypeError("a block list directly inside a block list is not supported")
        else:
            lines.append(f"{pad}- {_inline(item)}")
    return lines


def dump_document(document: dict[str, Any], *, header: str = "") -> str:
    """Write ``document`` (top-level sections in order) as YAML text.

    Values may be ``dict``, ``list``, :class:`Flow`, ``str``, ``int``, ``bool``, ``None`` or
    ``date``; anything else raises ``TypeError``. Top-level sections are separated by a blank
    line; ``header`` (comment lines without ``#``) is written first.
    """
    chunks = []
    if header:
        chunks.append("\n".join(f"# {line}".rstrip() for line in header.splitlines()))
    for key, value in document.items():
        chunks.append("\n".join(_block_mapping({key: value}, 0)))
    return "\n\n".join(chunks) + "\n"
