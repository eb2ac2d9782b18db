"""The API's contract, declared once: ``openapi.json``.

Each request is checked against its operation's declaration there (path and
query parameters, JSON body) with jsonschema, so every declared type, length,
pattern, enum, required field and refused extra key is a check, and the
document clients read cannot drift from what the API accepts. The direction
(validate against the document, not generate it) keeps the document as the
one reviewed text; this module adds only what a schema cannot say: the
messages, each naming the field. Rules that need Glance (its image schema's
formats, read-only attributes) stay in ``params``.
"""

import dataclasses
import json
import re
from pathlib import Path

import jsonschema
from jsonschema.exceptions import best_match

from .errors import BadInput

DOCUMENT_PATH = Path(__file__).with_name("openapi.json")
DOCUMENT_BYTES = DOCUMENT_PATH.read_bytes()
DOCUMENT = json.loads(DOCUMENT_BYTES)

# What a refused pattern means, in words (the document's patterns, by meaning).
PATTERN_MESSAGES = {
    "^[^\x00]*$": "must not contain NUL characters",
    "^[\x01-\ud7ff\ue000-\uffff]*$":
        "must not contain NUL or characters outside Unicode's basic plane",
    "^[\t\n\r -~\xa0-\ud7ff\ue000-\uffff]*$":
        "must not contain control characters (other than tab and newline) or "
        "characters outside Unicode's basic plane",
    "^[ -~\xa0-\ud7ff\ue000-\uffff]+$(?!\n)":
        "must not contain control characters or characters outside Unicode's basic plane",
    "^[ -.0-~\xa0-\ud7ff\ue000-\uffff]+$(?!\n)":
        "must not contain '/', control characters or characters outside Unicode's basic plane",
    "^[\t\n\r -~]*$": "must be ASCII text (Glance keeps it as bytes)",
    "^(?!\\.\\.?$)[ -.0-~]+$(?!\n)": "must be printable ASCII without '/', and not . or ..",
    "^https?://[ -~\xa0-\ud7ff\ue000-\uffff]*$(?!\n)": "must be an http:// or https:// URL",
    "^$|^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$":
        "must be an image id (a UUID), or empty for none",
}
TYPE_WORDS = {"string": "a string", "integer": "a whole number", "number": "a number",
              "boolean": "true or false", "object": "an object", "array": "a list",
              "null": "null"}


def _inlined(schema):
    """``schema`` with each ``$ref`` (``#/components/...``) replaced by what
    it names, once, when the module loads: validating then follows no
    reference (resolving them on every request cost more than the check)."""
    if isinstance(schema, list):
        return [_inlined(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        target = DOCUMENT
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        return _inlined(target)
    return {key: _inlined(value) for key, value in schema.items()}


def _validator(*parts):
    """A validator for the schema at this place in the document."""
    schema = DOCUMENT
    for part in parts:
        schema = schema[part]
    return jsonschema.Draft202012Validator(_inlined(schema))


@dataclasses.dataclass
class Operation:
    """One operation's declared inputs, and the checks made from them."""

    operation_id: str
    path_parameters: dict  # name: validator
    query_parameters: dict  # name: (schema, validator)
    other_query_parameters: bool  # x-glance-filters: any other name is a Glance filter
    body: dict  # media type: validator
    body_schemas: dict  # media type: schema (properties read for form coercion)

    def check_path(self, values):
        for name, value in values.items():
            validator = self.path_parameters.get(name)
            if validator is not None:
                _check(validator, value, name)

    def check_query(self, query):
        """Check a QueryDict, each value of a repeated parameter (``tag=a&tag=b``)."""
        for name in query:
            values = query.getlist(name)
            if "\x00" in name or any("\x00" in value for value in values):
                raise BadInput(name, "must not contain NUL characters")
            if name in self.query_parameters:
                schema, validator = self.query_parameters[name]
                for value in values:
                    _check(validator, coerced(schema, value), name)
            elif not self.other_query_parameters:
                known = ", ".join(self.query_parameters) or "none"
                raise BadInput(name, f"is not a parameter here (known: {known})")

    def check_body(self, data, media_type="application/json"):
        validator = self.body.get(media_type)
        if validator is not None:
            _check(validator, data, "body")

    def check_text_fields(self, fields):
        """Check fields sent as text (a multipart form) as the JSON body is
        checked, each read as the type the body declares for it; returns
        them typed."""
        properties = self.body_schemas["application/json"].get("properties", {})
        typed = {name: coerced(properties.get(name, {}), value)
                 for name, value in fields.items()}
        self.check_body(typed)
        return typed


def coerced(schema, text):
    """A query or form value read as the type its schema declares (as
    written when it is not that type: the check then says so)."""
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else types
    if not isinstance(text, str):
        return text
    if "integer" in types and re.fullmatch(r"\s*-?\d{1,4000}\s*", text):
        return int(text)
    if "boolean" in types and text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def _operations():
    operations = {}
    for path, item in DOCUMENT["paths"].items():
        shared = item.get("parameters", [])
        for method, operation in item.items():
            if method == "parameters":
                continue
            parameters = [*shared, *operation.get("parameters", [])]
            places = {}
            for index, parameter in enumerate(parameters):
                at = (("paths", path, "parameters", index) if index < len(shared) else
                      ("paths", path, method, "parameters", index - len(shared)))
                places[(parameter["in"], parameter["name"])] = (parameter, at)
            content = operation.get("requestBody", {}).get("content", {})
            operations[operation["operationId"]] = Operation(
                operation_id=operation["operationId"],
                path_parameters={name: _validator(*at, "schema")
                                 for (where, name), (_, at) in places.items() if where == "path"},
                query_parameters={name: (parameter["schema"], _validator(*at, "schema"))
                                  for (where, name), (parameter, at) in places.items()
                                  if where == "query"},
                other_query_parameters=operation.get("x-glance-filters", False),
                body={media_type: _validator("paths", path, method, "requestBody", "content",
                                             media_type, "schema")
                      for media_type in content},
                body_schemas={media_type: body["schema"] for media_type, body in content.items()},
            )
    return operations


OPERATIONS = _operations()


def operation(operation_id):
    return OPERATIONS[operation_id]


def body_fields(operation_id):
    """The fields an operation's JSON body declares."""
    return frozenset(OPERATIONS[operation_id].body_schemas["application/json"]["properties"])


# --- messages -------------------------------------------------------------------
def _check(validator, instance, root):
    error = best_match(validator.iter_errors(instance), key=_relevance)
    if error is not None:
        raise _in_item(_bad_input(error, root), error.absolute_path)


def _in_item(bad, path):
    """The field's name does not say which item of a list is at fault: the
    message does ("item 3", counted from 1)."""
    indexes = [at for at, part in enumerate(path) if isinstance(part, int)]
    if not indexes:
        return bad
    at = indexes[-1]
    listed = next((part for part in reversed(list(path)[:at]) if isinstance(part, str)), None)
    problem = bad.message.removeprefix(f"{bad.field}: ")
    item = f"item {path[at] + 1}"
    if listed is None or listed == bad.field:
        return BadInput(bad.field, f"{item} {problem}")
    return BadInput(bad.field, f"{problem} ({item} of {listed})")


def _relevance(error):
    # Prefer the error about the value's own type over a deeper one.
    return (-len(error.path), error.validator not in ("anyOf", "oneOf"))


def _field(error, root):
    names = [part for part in error.absolute_path if isinstance(part, str)]
    return names[-1] if names else root


def _bad_input(error, root):
    keyword, expected, instance = error.validator, error.validator_value, error.instance
    field = _field(error, root)
    if "propertyNames" in error.absolute_schema_path:
        return BadInput(str(instance)[:40] or "property",
                        _property_name_problem(instance, error.schema))
    if keyword in ("anyOf", "oneOf"):
        return _any_of(error, root)
    if keyword == "required":
        missing = next(name for name in expected if name not in instance)
        return BadInput(missing, "is required")
    if keyword == "additionalProperties" and expected is False:
        declared = error.schema.get("properties", {})
        extra = sorted(set(instance) - set(declared))
        return BadInput(extra[0], "is not a field here (known: " + ", ".join(declared) + ")")
    return BadInput(field, _problem(keyword, expected, instance, error.schema))


def _problem(keyword, expected, instance, schema):
    if keyword == "type":
        types = [expected] if isinstance(expected, str) else expected
        return f"must be {_either(types)}, not {_json_type(instance)}"
    if keyword == "enum":
        return f"{instance!r} is not one of {', '.join(str(value) for value in expected)}"
    if keyword[3:] in SIZES and keyword[:3] in ("min", "max"):
        return _size_problem(schema, keyword[3:])
    if keyword == "pattern":
        return PATTERN_MESSAGES.get(expected, f"does not match {expected}")
    if keyword == "minimum":
        return f"must be at least {expected}"
    if keyword == "maximum":
        return f"must be at most {expected}"
    if keyword == "not":
        # A rule between fields, said in the document's description of it.
        return schema.get("description", "is not allowed here")
    return f"is not valid here ({keyword})"


# The bounds on a size, by what is measured: (verb, unit, the message for "at least one").
SIZES = {"Length": ("be", "characters", "must not be empty"),
         "Items": ("have", "items", "must be a non-empty list")}


def _size_problem(schema, measure):
    """A string's length or a list's, said with both its bounds."""
    verb, unit, not_empty = SIZES[measure]
    low, high = schema.get(f"min{measure}", 0), schema.get(f"max{measure}")
    if high is None:
        return not_empty if low == 1 else f"must {verb} at least {low} {unit}"
    return f"must {verb} at most {high} {unit}" if low == 0 else \
        f"must {verb} {low} to {high} {unit}"


def _either(types):
    words = [TYPE_WORDS[name] for name in dict.fromkeys(types)]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _json_type(value):
    for name, kind in (("null", type(None)), ("boolean", bool), ("integer", int),
                       ("number", float), ("string", str), ("list", list),
                       ("object", dict)):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _any_of(error, root):
    """A value matching none of several choices: one message for a wrong
    type ("a string or null"), else the closest choice's problem."""
    choices = error.context
    if all(choice.validator == "type" and not choice.relative_path for choice in choices):
        types = []
        for choice in choices:
            expected = choice.validator_value
            types += [expected] if isinstance(expected, str) else expected
        return BadInput(_field(error, root),
                        f"must be {_either(types)}, not {_json_type(error.instance)}")
    # The choice whose type fits the value says what is wrong with it.
    fitting = [choice for choice in choices if choice.validator != "type"]
    return _bad_input(best_match(fitting or choices, key=_relevance), root)


def _property_name_problem(name, schema):
    """What is wrong with a key of a map (custom properties; a namespace's
    property definitions, whose names are shorter and have no '/')."""
    longest = schema.get("maxLength", 255)
    if not isinstance(name, str) or not 1 <= len(name) <= longest:
        return f"property names are 1 to {longest} characters"
    return "property names " + PATTERN_MESSAGES.get(
        schema.get("pattern"), "must not contain control characters or characters outside "
                               "Unicode's basic plane")
