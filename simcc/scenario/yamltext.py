"""Reading YAML from files and the command line safely: the one place simcc parses YAML.

``yaml.safe_load`` never runs code, but it accepts input that makes everything after it
blow up. :func:`parse_yaml` refuses, each with an exit-2 :class:`ScenarioError`:

- **nesting deeper than** :data:`MAX_DEPTH` levels (checked while composing, before the
  parser's recursion could overflow the stack);
- **alias bombs**: aliases (``*name``) that expand the document by more than
  :data:`MAX_ALIAS_NODES` nodes beyond the nodes written in the text (a 1 KB
  "billion laughs" file expands to 10^9 nodes; counted without expanding anything);
- **duplicate keys** in a mapping (the later one would silently win), named with the
  place in the document and their line.

:func:`read_text_file` reads a file only when it is a regular file of at most
:data:`MAX_FILE_BYTES` bytes (a FIFO, ``/dev/zero`` or a directory is refused before
anything is opened).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from simcc.errors import ScenarioError

MAX_DEPTH = 50
"""Deepest nesting of lists and mappings accepted (a scenario uses about 8)."""
MAX_ALIAS_NODES = 100_000
"""Nodes that aliases may add to a document beyond the nodes written out."""
MAX_FILE_BYTES = 10 * 1024 * 1024
"""Largest YAML file read, bytes (10 MiB)."""

_MERGE = "tag:yaml.org,2002:merge"


class _Refused(Exception):
    """A limit of this module was hit: ``path`` in the document, ``problem``."""

    def __init__(self, path: str, problem: str):
        super().__init__(problem)
        self.path, self.problem = path, problem


class _BoundedLoader(yaml.SafeLoader):
    """The safe loader, with the nesting depth bounded while composing."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise _Refused("", f"the document nests lists and mappings more than "
                                   f"{MAX_DEPTH} levels deep (line {mark.line + 1})")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def parse_yaml(text: str, source: str | None = None, where: str = "",
               text_if_invalid: bool = False) -> Any:
    """The Python value of the YAML ``text`` (safe tags only), or a ScenarioError naming
    ``source`` (a file) and ``where`` (e.g. ``--set``) for syntax errors and for the
    refusals listed in the module docstring. With ``text_if_invalid`` a syntax error
    returns ``text`` itself (a command-line value such as ``a: b`` read as a string)."""
    loader = None
    try:
        loader = _BoundedLoader(text)  # the reader refuses control characters here
        node = loader.get_single_node()
        if node is None:
            return None
        _check_tree(node)
        return loader.construct_document(node)
    except _Refused as exc:
        raise ScenarioError([(_join(where, exc.path), exc.problem)], source) from None
    except yaml.YAMLError as exc:
        if text_if_invalid:
            return text
        raise ScenarioError([(where, syntax_message(exc))], source) from None
    finally:
        if loader is not None:
            loader.dispose()


def _join(where: str, path: str) -> str:
    return f"{where} {path}".strip() if where else path


def syntax_message(exc: yaml.YAMLError) -> str:
    """``YAML syntax error at line 3, column 5: ...`` for a parser error."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    return f"YAML syntax error at {where}{problem}"


def _check_tree(root: Node) -> None:
    """Refuse duplicate keys and alias bombs in a composed document."""
    sizes: dict[int, int] = {}
    written = _expanded_size(root, sizes)
    distinct = len(sizes)
    if written - distinct > MAX_ALIAS_NODES:
        raise _Refused("", f"YAML aliases expand the document to {written:,} nodes from "
                           f"{distinct:,} written (at most {MAX_ALIAS_NODES:,} more are "
                           "accepted): an alias bomb? Write the values out instead")
    _check_duplicates(root, "", set())


def _expanded_size(node: Node, sizes: dict[int, int]) -> int:
    """Nodes of ``node`` with every alias expanded; each distinct node is visited once
    (``sizes`` memoises by identity), so a bomb costs its written size, not its
    expansion. An alias inside its own anchor (a cycle) is refused. The depth is
    bounded by the loader."""
    known = sizes.get(id(node))
    if known == _VISITING:
        mark = node.start_mark
        raise _Refused("", f"a YAML alias refers to a list or mapping that contains it "
                           f"(anchor on line {mark.line + 1}): recursive values are not "
                           "accepted")
    if known is not None:
        return known
    sizes[id(node)] = _VISITING
    if isinstance(node, SequenceNode):
        total = 1 + sum(_expanded_size(child, sizes) for child in node.value)
    elif isinstance(node, MappingNode):
        total = 1 + sum(_expanded_size(k, sizes) + _expanded_size(v, sizes)
                        for k, v in node.value)
    else:
        total = 1
    sizes[id(node)] = total
    return total


_VISITING = -1


def _check_duplicates(node: Node, path: str, seen: set[int]) -> None:
    """Raise on the first mapping that writes a key twice (merge keys ``<<`` aside)."""
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, SequenceNode):
        for index, child in enumerate(node.value):
            _check_duplicates(child, f"{path}[{index}]", seen)
    elif isinstance(node, MappingNode):
        lines: dict[tuple[str, str], int] = {}
        for key, value in node.value:
            if key.tag == _MERGE:
                continue
            label = key.value if isinstance(key, ScalarNode) else "?"
            ident = (key.tag, label)
            if isinstance(key, ScalarNode) and ident in lines:
                raise _Refused(path, f"duplicate key {shorten(label)!r} (line "
                                     f"{key.start_mark.line + 1}; first on line "
                                     f"{lines[ident]})")
            lines[ident] = key.start_mark.line + 1
            _check_duplicates(value, f"{path}.{label}" if path else label, seen)


def shorten(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters with ``...`` (for keys in messages)."""
    return text if len(text) <= limit else text[:limit] + "..."


def read_text_file(path: Path, what: str = "file") -> str:
    """The UTF-8 text of ``path`` when it is a regular file of at most
    :data:`MAX_FILE_BYTES` bytes; a ScenarioError naming the file otherwise."""
    label = str(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ScenarioError([("", f"{what} not found")], label) from None
    except OSError as exc:
        raise ScenarioError([("", f"cannot read the {what} ({exc.strerror})")], label) from None
    if not stat.S_ISREG(info.st_mode):
        raise ScenarioError([("", f"not a regular file ({_file_kind(info.st_mode)}); give a "
                                  "YAML file")], label)
    if info.st_size > MAX_FILE_BYTES:
        raise ScenarioError([("", f"the file is {info.st_size / 2**20:.1f} MiB; at most "
                                  f"{MAX_FILE_BYTES // 2**20} MiB is read")], label)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ScenarioError([("", f"cannot read the {what} ({exc.strerror})")], label) from None
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioError([("", f"the file grew beyond {MAX_FILE_BYTES // 2**20} MiB "
                                  "while being read")], label)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError([("", f"not UTF-8 text (byte {exc.start}); save the file as "
                                  "UTF-8")], label) from None


def _file_kind(mode: int) -> str:
    kinds = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"),
             (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
             (stat.S_ISSOCK, "a socket"))
    return next((name for test, name in kinds if test(mode)), "not a regular file")
