"""Parser for mockforge's Kafka message schema (*.kschema). See brokers/kafka/schema/README.md."""

import dataclasses
import pathlib
import re

PRIMITIVES = {"bool", "int8", "int16", "int32", "int64", "uint16", "float64", "uuid", "string",
              "bytes", "records"}

CPP_KEYWORDS = {"default", "delete", "new", "class", "template", "operator", "private", "public",
                "protected", "register", "union", "struct", "switch", "case", "namespace", "this"}


class SchemaError(Exception):
    pass


@dataclasses.dataclass(frozen=True)
class VersionRange:
    """Inclusive range of versions; `high` None means open-ended ("v3+")."""
    low: int
    high: int | None

    def contains(self, version):
        return version >= self.low and (self.high is None or version <= self.high)

    def condition(self, api_low, api_high):
        """A C++ boolean expression over `version`, or None if it always holds in [api_low, api_high]."""
        parts = []
        if self.low > api_low:
            parts.append(f"version >= {self.low}")
        if self.high is not None and self.high < api_high:
            parts.append(f"version <= {self.high}")
        return " && ".join(parts) if parts else None


def parse_range(text, where):
    match = re.fullmatch(r"v(\d+)(\+|-(\d+))?", text)
    if not match:
        raise SchemaError(f"{where}: bad version range '{text}'")
    low = int(match.group(1))
    if match.group(2) == "+":
        return VersionRange(low, None)
    if match.group(3) is not None:
        return VersionRange(low, int(match.group(3)))
    return VersionRange(low, low)


@dataclasses.dataclass
class Field:
    name: str            # schema name (snake_case)
    type: str            # int32, string, []int32, []Topic, Topic, ...
    versions: VersionRange
    nullable: VersionRange | None = None
    tag: int | None = None
    default: str | None = None
    borrow: bool = False  # "decode borrow": decoded as a view into the input (BytesRef)
    fields: list = dataclasses.field(default_factory=list)  # children for struct types

    @property
    def member(self):
        return self.name + "_" if self.name in CPP_KEYWORDS else self.name

    @property
    def is_array(self):
        return self.type.startswith("[]")

    @property
    def element_type(self):
        return self.type[2:] if self.is_array else self.type

    @property
    def is_struct(self):
        return self.element_type not in PRIMITIVES


@dataclasses.dataclass
class Message:
    kind: str  # "request" or "response"
    fields: list


@dataclasses.dataclass
class Api:
    name: str
    key: int
    min_version: int
    max_version: int
    first_flexible: int | None
    request: Message
    response: Message
    source: pathlib.Path

    @property
    def stem(self):
        return self.source.stem


def _parse_field(tokens, where):
    if len(tokens) < 3:
        raise SchemaError(f"{where}: a field needs a name, a type and a version range")
    field = Field(name=tokens[0], type=tokens[1], versions=parse_range(tokens[2], where))
    rest = tokens[3:]
    while rest:
        if len(rest) < 2:
            raise SchemaError(f"{where}: option '{rest[0]}' needs a value")
        option, value, rest = rest[0], rest[1], rest[2:]
        if option == "nullable":
            field.nullable = parse_range(value, where)
        elif option == "tag":
            field.tag = int(value)
        elif option == "default":
            field.default = value
        elif option == "decode":
            if value not in ("borrow", "copy"):
                raise SchemaError(f"{where}: 'decode' is 'borrow' or 'copy', not '{value}'")
            field.borrow = value == "borrow"
        else:
            raise SchemaError(f"{where}: unknown option '{option}'")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", field.name):
        raise SchemaError(f"{where}: field names are snake_case")
    element = field.element_type
    if field.borrow and (field.is_array or element not in ("bytes", "records")):
        raise SchemaError(f"{where}: 'decode borrow' applies to bytes and records fields only")
    if element not in PRIMITIVES and not re.fullmatch(r"[A-Z][A-Za-z0-9]*", element):
        raise SchemaError(f"{where}: unknown type '{field.type}'")
    return field


def parse_file(path):
    path = pathlib.Path(path)
    api = None
    message = None
    stack = []  # (indent, field)
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        where = f"{path.name}:{number}"
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip(" "))
        tokens = line.split()
        if indent == 0 and tokens[0] == "api":
            match = re.fullmatch(r"api (\w+) key (\d+) versions (\d+)-(\d+) flexible (v(\d+)\+|none)",
                                 " ".join(tokens))
            if not match:
                raise SchemaError(f"{where}: expected 'api NAME key K versions A-B flexible vF+|none'")
            flexible = int(match.group(6)) if match.group(6) else None
            api = Api(match.group(1), int(match.group(2)), int(match.group(3)), int(match.group(4)),
                      flexible, Message("request", []), Message("response", []), path)
            continue
        if api is None:
            raise SchemaError(f"{where}: the file must start with an 'api' line")
        if indent == 0 and tokens[0] in ("request", "response") and len(tokens) == 1:
            message = api.request if tokens[0] == "request" else api.response
            stack = []
            continue
        if message is None or indent == 0 or indent % 2:
            raise SchemaError(f"{where}: fields are indented by two spaces per level")
        field = _parse_field(tokens, where)
        while stack and stack[-1][0] >= indent:
            stack.pop()
        if stack:
            parent = stack[-1][1]
            if indent != stack[-1][0] + 2 or not parent.is_struct:
                raise SchemaError(f"{where}: unexpected indentation")
            parent.fields.append(field)
        elif indent == 2:
            message.fields.append(field)
        else:
            raise SchemaError(f"{where}: unexpected indentation")
        stack.append((indent, field))
    if api is None:
        raise SchemaError(f"{path}: empty schema")
    _check(api)
    return api


def _check(api):
    for message in (api.request, api.response):
        names = {}

        def walk(fields, scope):
            members = set()
            tags = set()
            for field in fields:
                if field.member in members:
                    raise SchemaError(f"{api.source.name}: duplicate field '{field.name}' in {scope}")
                members.add(field.member)
                if field.tag is not None:
                    if api.first_flexible is None or field.versions.low < api.first_flexible:
                        raise SchemaError(f"{api.source.name}: tagged field '{field.name}' outside "
                                          "flexible versions")
                    if field.tag in tags:
                        raise SchemaError(f"{api.source.name}: duplicate tag {field.tag} in {scope}")
                    tags.add(field.tag)
                if field.is_struct:
                    if not field.fields:
                        raise SchemaError(f"{api.source.name}: struct '{field.element_type}' has no fields")
                    if field.element_type in names:
                        raise SchemaError(f"{api.source.name}: struct '{field.element_type}' defined twice")
                    names[field.element_type] = field
                    walk(field.fields, field.element_type)
                elif field.fields:
                    raise SchemaError(f"{api.source.name}: '{field.name}' is not a struct")

        walk(message.fields, message.kind)


def load_all(schema_dir):
    apis = [parse_file(p) for p in sorted(pathlib.Path(schema_dir).glob("*.kschema"))]
    keys = {}
    for api in apis:
        if api.key in keys:
            raise SchemaError(f"API key {api.key} defined by {keys[api.key]} and {api.source.name}")
        keys[api.key] = api.source.name
    return sorted(apis, key=lambda a: a.key)
