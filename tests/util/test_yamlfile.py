import pytest
from pydantic import BaseModel, ConfigDict

from netvet.util.yamlfile import DataValidationError, read_yaml, validate


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    count: int


class Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[Item]


def _errors(text: str) -> list[str]:
    with pytest.raises(DataValidationError) as exc:
        validate(read_yaml("f.yaml", text), Doc)
    return [str(e) for e in exc.value.errors]


def test_unknown_field_and_bad_type_report_file_and_line():
    text = "items:\n  - name: a\n    count: 1\n  - name: b\n    count: many\n    colour: red\n"
    assert _errors(text) == [
        "f.yaml:5: items[1].count: Input should be a valid integer, unable to parse string as an integer",
        "f.yaml:6: items[1].colour: unknown field 'colour'",
    ]


def test_syntax_error_and_duplicate_key_have_lines():
    with pytest.raises(DataValidationError) as exc:
        read_yaml("f.yaml", "items:\n  - name: a\n    name: b\n")
    assert str(exc.value) == "f.yaml:3: YAML syntax: duplicate key 'name' (first on line 2)"
    with pytest.raises(DataValidationError) as exc:
        read_yaml("f.yaml", "items: [\n")
    assert str(exc.value).startswith("f.yaml:2: YAML syntax:")
