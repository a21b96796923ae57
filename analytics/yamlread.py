"""YAML reading that refuses a key given twice in one mapping.

PyYAML's ``safe_load`` keeps the last of two equal keys without a word: a
second ``criteria:`` block would silently replace the first (switched-off
criteria coming back), a second ``target:`` would win over the first. Here a
repeated key is a :class:`yaml.YAMLError` naming the key and both lines, so
every caller's existing "not valid YAML" handling names the file too.

Examples
--------
>>> load_yaml("a: 1\\nb: 2\\n")
{'a': 1, 'b': 2}
>>> try:
...     load_yaml("a: 1\\na: 2\\n")
... except yaml.YAMLError as error:
...     print(error.problem)
key 'a' is given twice (first on line 1, again on line 2); keep one
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml
from yaml.constructor import ConstructorError

__all__ = ["load_yaml", "load_yaml_all"]


class _UniqueKeyLoader(yaml.SafeLoader):
    """``SafeLoader`` whose mappings refuse repeated keys."""

    def construct_mapping(
        self, node: yaml.MappingNode, deep: bool = False
    ) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<:` merges are YAML's own way of repeating keys
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:
                continue  # an unhashable key: the base class reports it
            if first is not None:
                raise ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"key {key!r} is given twice (first on line"
                    f" {first.start_mark.line + 1}, again on line"
                    f" {key_node.start_mark.line + 1}); keep one",
                    key_node.start_mark,
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


def load_yaml(text: str) -> Any:
    """One YAML document, as ``yaml.safe_load`` reads it, repeated keys refused."""
    return yaml.load(text, Loader=_UniqueKeyLoader)


def load_yaml_all(text: str) -> Iterator[Any]:
    """Every document of a YAML stream, repeated keys refused."""
    return yaml.load_all(text, Loader=_UniqueKeyLoader)
