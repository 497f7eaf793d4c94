#!/usr/bin/env python3
"""Generates the AMQP 0-9-1 method codecs and constants from the spec XML.

Inputs: the amqp0-9-1 XML installed by Debian's amqp-specs package and the
project's extension file (brokers/amqp/schema/rabbitmq_extensions.json), which
adds the RabbitMQ methods the XML lacks and corrects a few method attributes.

Outputs, in --out-dir:
  constants.h  frame constants and the ReplyCode enum with names and scopes
  methods.h    one struct per method, the Method variant and the dispatcher
  methods.cpp  argument encoders and decoders

Python 3 standard library only.
"""

import argparse
import json
import os
import sys
import xml.etree.ElementTree as ElementTree

WIRE_TYPES = {
    # wire type: (C++ type, default initialiser, reader call, writer call)
    "octet": ("uint8_t", " = 0", "in.read_u8()", "out.write_u8({})"),
    "short": ("uint16_t", " = 0", "in.read_u16()", "out.write_u16({})"),
    "long": ("uint32_t", " = 0", "in.read_u32()", "out.write_u32({})"),
    "longlong": ("uint64_t", " = 0", "in.read_u64()", "out.write_u64({})"),
    "timestamp": ("uint64_t", " = 0", "in.read_u64()", "out.write_u64({})"),
    "shortstr": ("std::string", "{}", "in.read_shortstr()", "out.write_shortstr({})"),
    "longstr": ("std::string", "{}", "in.read_longstr()", "out.write_longstr({})"),
    "table": ("FieldTable", "{}", "decode_field_table(in)", "encode_field_table(out, {})"),
    "bit": ("bool", " = false", None, None),
}

# Parameter types of write_arguments(): strings and tables are not copied.
VIEW_TYPES = {
    "shortstr": "std::string_view",
    "longstr": "std::string_view",
    "table": "const FieldTable&",
}

CPP_KEYWORDS = {
    "alignas", "alignof", "and", "asm", "auto", "bool", "break", "case", "catch", "char",
    "class", "const", "continue", "default", "delete", "do", "double", "else", "enum",
    "explicit", "export", "extern", "false", "float", "for", "friend", "goto", "if", "inline",
    "int", "long", "mutable", "namespace", "new", "not", "operator", "or", "private",
    "protected", "public", "register", "return", "short", "signed", "sizeof", "static",
    "struct", "switch", "template", "this", "throw", "true", "try", "typedef", "typename",
    "union", "unsigned", "using", "virtual", "void", "volatile", "while", "xor",
}


class SpecError(Exception):
    pass


def camel(name):
    return "".join(part.capitalize() for part in name.replace("_", "-").split("-"))


def snake(name):
    result = name.replace("-", "_")
    return result + "_" if result in CPP_KEYWORDS else result


class Field:
    def __init__(self, name, wire_type, reserved):
        self.name = name
        self.wire_type = wire_type
        self.reserved = reserved
        self.member = snake(name)


class Method:
    def __init__(self, class_name, class_index, name, index, synchronous, content, responses,
                 fields):
        self.class_name = class_name
        self.class_index = class_index
        self.name = name
        self.index = index
        self.synchronous = synchronous
        self.content = content
        self.responses = responses
        self.fields = fields
        self.struct = camel(class_name) + camel(name)
        self.full_name = class_name + "." + name


def resolve_type(domains, element_or_dict, where):
    get = element_or_dict.get
    if get("type"):
        wire_type = get("type")
    elif get("domain"):
        domain = get("domain")
        if domain not in domains:
            raise SpecError(f"{where}: unknown domain '{domain}'")
        wire_type = domains[domain]
    else:
        raise SpecError(f"{where}: field has neither a type nor a domain")
    if wire_type not in WIRE_TYPES:
        raise SpecError(f"{where}: unsupported wire type '{wire_type}'")
    return wire_type


def load_spec(xml_path, extension_path):
    root = ElementTree.parse(xml_path).getroot()
    constants = []
    for constant in root.findall("constant"):
        constants.append((constant.get("name"), int(constant.get("value")), constant.get("class")))
    domains = {}
    for domain in root.findall("domain"):
        domains[domain.get("name")] = domain.get("type")
    # Domains that name another domain resolve to its wire type.
    for name, wire_type in list(domains.items()):
        seen = {name}
        while wire_type in domains and wire_type not in WIRE_TYPES:
            if wire_type in seen:
                raise SpecError(f"domain cycle at '{name}'")
            seen.add(wire_type)
            wire_type = domains[wire_type]
        domains[name] = wire_type

    class_indexes = {}
    methods = []
    for cls in root.findall("class"):
        class_name = cls.get("name")
        class_index = int(cls.get("index"))
        class_indexes[class_name] = class_index
        for method in cls.findall("method"):
            where = f"{class_name}.{method.get('name')}"
            fields = [
                Field(f.get("name"), resolve_type(domains, f, f"{where}.{f.get('name')}"),
                      f.get("reserved") == "1")
                for f in method.findall("field")
            ]
            methods.append(
                Method(class_name, class_index, method.get("name"), int(method.get("index")),
                       method.get("synchronous") == "1", method.get("content") == "1",
                       [r.get("name") for r in method.findall("response")], fields))

    with open(extension_path, encoding="utf-8") as handle:
        extension = json.load(handle)
    for entry in extension.get("constants", []):
        if any(value == entry["value"] for _, value, _ in constants):
            raise SpecError(f"extension constant {entry['name']}: value {entry['value']} exists")
        constants.append((entry["name"], int(entry["value"]), entry.get("class")))
    constants.sort(key=lambda constant: (not constant[0].startswith("frame-"), constant[1]))
    for entry in extension.get("methods", []):
        class_name = entry["class"]
        if class_name not in class_indexes:
            raise SpecError(f"extension method {entry['name']}: unknown class '{class_name}'")
        where = f"{class_name}.{entry['name']}"
        fields = [
            Field(f["name"], resolve_type(domains, f, f"{where}.{f['name']}"),
                  bool(f.get("reserved", False)))
            for f in entry.get("fields", [])
        ]
        methods.append(
            Method(class_name, class_indexes[class_name], entry["name"], int(entry["index"]),
                   bool(entry.get("synchronous", False)), bool(entry.get("content", False)),
                   list(entry.get("responses", [])), fields))
    for override in extension.get("overrides", []):
        matches = [m for m in methods
                   if m.class_name == override["class"] and m.name == override["name"]]
        if len(matches) != 1:
            raise SpecError(f"override {override['class']}.{override['name']} matches no method")
        target = matches[0]
        if "synchronous" in override:
            target.synchronous = bool(override["synchronous"])
        if "responses" in override:
            target.responses = list(override["responses"])
        if "content" in override:
            target.content = bool(override["content"])

    seen_ids = {}
    by_name = {(m.class_name, m.name): m for m in methods}
    for method in methods:
        key = (method.class_index, method.index)
        if key in seen_ids:
            raise SpecError(f"{method.full_name} and {seen_ids[key]} share ids {key}")
        seen_ids[key] = method.full_name
        for response in method.responses:
            if (method.class_name, response) not in by_name:
                raise SpecError(f"{method.full_name}: unknown response '{response}'")
    methods.sort(key=lambda m: (m.class_index, m.index))
    version = (root.get("major"), root.get("minor"), root.get("revision"), root.get("port"))
    return constants, methods, by_name, version


def reply_constant_enum_name(name):
    return "k" + camel(name)


def generate_constants(constants, version):
    frame_constants = []
    reply_codes = []
    for name, value, error_class in constants:
        if name.startswith("frame-") and error_class is None:
            frame_constants.append((name, value))
        else:
            reply_codes.append((name, value, error_class))
    lines = [
        "// Generated by brokers/amqp/codec/gen/generate_amqp.py from the AMQP 0-9-1 spec XML.",
        "// Do not edit.",
        "#pragma once",
        "",
        "#include <cstdint>",
        "#include <optional>",
        "#include <string_view>",
        "",
        "namespace mockforge::amqp {",
        "",
        f"inline constexpr uint8_t kProtocolMajor = {version[0]};",
        f"inline constexpr uint8_t kProtocolMinor = {version[1]};",
        f"inline constexpr uint8_t kProtocolRevision = {version[2]};",
        f"inline constexpr uint16_t kDefaultPort = {version[3]};",
        "",
    ]
    for name, value in frame_constants:
        cpp_type = "uint32_t" if value > 255 else "uint8_t"
        lines.append(f"inline constexpr {cpp_type} {reply_constant_enum_name(name)} = {value};")
    lines += [
        "",
        "// Reply codes of connection.close and channel.close.",
        "enum class ReplyCode : uint16_t {",
    ]
    for name, value, _ in reply_codes:
        lines.append(f"  {reply_constant_enum_name(name)} = {value},")
    lines += [
        "};",
        "",
        "// Whether a reply code closes a channel (soft error), the whole connection",
        "// (hard error), or is the success code.",
        "enum class ReplyScope : uint8_t { kSuccess, kChannel, kConnection };",
        "",
        "// The name used in reply texts, e.g. \"NOT_FOUND\".",
        "constexpr std::string_view reply_code_name(ReplyCode code) {",
        "  switch (code) {",
    ]
    for name, value, _ in reply_codes:
        text = name.upper().replace("-", "_")
        lines.append(f"    case ReplyCode::{reply_constant_enum_name(name)}:")
        lines.append(f"      return \"{text}\";")
    lines += [
        "  }",
        "  return \"UNKNOWN_REPLY_CODE\";",
        "}",
        "",
        "constexpr ReplyScope reply_code_scope(ReplyCode code) {",
        "  switch (code) {",
    ]
    scope_names = {None: "kSuccess", "soft-error": "kChannel", "hard-error": "kConnection"}
    for name, value, error_class in reply_codes:
        if error_class not in scope_names:
            raise SpecError(f"constant {name}: unknown class '{error_class}'")
        lines.append(f"    case ReplyCode::{reply_constant_enum_name(name)}:")
        lines.append(f"      return ReplyScope::{scope_names[error_class]};")
    lines += [
        "  }",
        "  return ReplyScope::kConnection;",
        "}",
        "",
        "constexpr bool is_channel_error(ReplyCode code) {",
        "  return reply_code_scope(code) == ReplyScope::kChannel;",
        "}",
        "",
        "constexpr bool is_connection_error(ReplyCode code) {",
        "  return reply_code_scope(code) == ReplyScope::kConnection;",
        "}",
        "",
        "// The ReplyCode with this numeric value, if the spec defines one.",
        "constexpr std::optional<ReplyCode> reply_code_from_value(uint16_t value) {",
        "  switch (value) {",
    ]
    for name, value, _ in reply_codes:
        lines.append(f"    case {value}:")
        lines.append(f"      return ReplyCode::{reply_constant_enum_name(name)};")
    lines += [
        "    default:",
        "      return std::nullopt;",
        "  }",
        "}",
        "",
        "}  // namespace mockforge::amqp",
        "",
    ]
    return "\n".join(lines)


def bit_groups(fields):
    """Yields ("field", field) or ("bits", [fields]) in wire order; consecutive bits
    share octets, eight to an octet, least significant bit first."""
    pending = []
    for field in fields:
        if field.wire_type == "bit":
            pending.append(field)
            if len(pending) == 8:
                yield ("bits", pending)
                pending = []
        else:
            if pending:
                yield ("bits", pending)
                pending = []
            yield ("field", field)
    if pending:
        yield ("bits", pending)


def generate_methods_header(methods, by_name):
    lines = [
        "// Generated by brokers/amqp/codec/gen/generate_amqp.py from the AMQP 0-9-1 spec XML",
        "// and brokers/amqp/schema/rabbitmq_extensions.json. Do not edit.",
        "#pragma once",
        "",
        "#include <array>",
        "#include <compare>",
        "#include <cstdint>",
        "#include <span>",
        "#include <string>",
        "#include <string_view>",
        "#include <variant>",
        "#include <vector>",
        "",
        "#include \"brokers/amqp/codec/buffer.h\"",
        "#include \"brokers/amqp/codec/field_table.h\"",
        "",
        "namespace mockforge::amqp {",
        "",
        "struct MethodId {",
        "  uint16_t class_id = 0;",
        "  uint16_t method_id = 0;",
        "  friend constexpr auto operator<=>(const MethodId&, const MethodId&) = default;",
        "};",
        "",
    ]
    for method in methods:
        replies = [by_name[(method.class_name, r)] for r in method.responses]
        reply_list = ", ".join(f"MethodId{{{r.class_index}, {r.index}}}" for r in replies)
        lines += [
            f"// {method.full_name} ({method.class_index}, {method.index})",
            f"struct {method.struct} {{",
            f"  static constexpr MethodId kId{{{method.class_index}, {method.index}}};",
            f"  static constexpr std::string_view kName = \"{method.full_name}\";",
            f"  static constexpr bool kSynchronous = {'true' if method.synchronous else 'false'};",
            f"  static constexpr bool kHasContent = {'true' if method.content else 'false'};",
            f"  static constexpr std::array<MethodId, {len(replies)}> kReplies{{{reply_list}}};",
            "",
        ]
        for field in method.fields:
            cpp_type, default, _, _ = WIRE_TYPES[field.wire_type]
            lines.append(f"  {cpp_type} {field.member}{default};")
        if method.fields:
            lines.append("")
        params = ", ".join(["ByteWriter& out"] + [
            f"{VIEW_TYPES.get(field.wire_type, WIRE_TYPES[field.wire_type][0])} {field.member}"
            for field in method.fields])
        lines += [
            "  // Writes the arguments from values that need not live in a struct (the",
            "  // per-message path encodes from stored strings without copying them).",
            f"  static void write_arguments({params});",
            "  void encode_arguments(ByteWriter& out) const;",
            f"  static {method.struct} decode_arguments(ByteReader& in);",
            f"  friend bool operator==(const {method.struct}&, const {method.struct}&) = default;",
            "};",
            "",
        ]
    lines.append("using Method = std::variant<")
    for position, method in enumerate(methods):
        separator = "," if position + 1 < len(methods) else ">;"
        lines.append(f"    {method.struct}{separator}")
    lines += [
        "",
        "struct MethodInfo {",
        "  MethodId id;",
        "  std::string_view name;",
        "  bool synchronous = false;",
        "  bool has_content = false;",
        "  std::span<const MethodId> replies;",
        "};",
        "",
        "// Every method the codec knows, ordered by (class id, method id).",
        "std::span<const MethodInfo> all_method_infos();",
        "// The method with these ids, or nullptr if there is none.",
        "const MethodInfo* find_method_info(MethodId id);",
        "const MethodInfo& method_info(const Method& method);",
        "MethodId method_id(const Method& method);",
        "std::string_view method_name(const Method& method);",
        "",
        "// Decodes the arguments of method (class_id, method_id), i.e. a method frame",
        "// payload after its two ids. Throws DecodeError: NOT_IMPLEMENTED for unknown ids,",
        "// FRAME_ERROR for truncated or trailing bytes, SYNTAX_ERROR for bad values.",
        "Method decode_method(uint16_t class_id, uint16_t method_id,",
        "                     std::span<const uint8_t> arguments);",
        "// Decodes a whole method frame payload: class id, method id, arguments.",
        "Method decode_method_payload(std::span<const uint8_t> payload);",
        "// Writes class id, method id and arguments: a method frame payload.",
        "void encode_method(ByteWriter& out, const Method& method);",
        "std::vector<uint8_t> encode_method(const Method& method);",
        "",
        "}  // namespace mockforge::amqp",
        "",
    ]
    return "\n".join(lines)


def generate_methods_source(methods):
    lines = [
        "// Generated by brokers/amqp/codec/gen/generate_amqp.py. Do not edit.",
        "#include \"mockforge/amqp/methods.h\"",
        "",
        "#include <string>",
        "",
        "namespace mockforge::amqp {",
        "",
    ]
    for method in methods:
        encode_body = []
        decode_body = []
        for kind, item in bit_groups(method.fields):
            if kind == "field":
                _, _, reader, writer = WIRE_TYPES[item.wire_type]
                encode_body.append(f"  {writer.format(item.member)};")
                decode_body.append(f"  result.{item.member} = {reader};")
            else:
                terms = " | ".join(
                    f"({field.member} ? {1 << bit}u : 0u)" for bit, field in enumerate(item))
                encode_body.append(f"  out.write_u8(static_cast<uint8_t>({terms}));")
                decode_body.append("  {")
                decode_body.append("    const uint8_t bits = in.read_u8();")
                for bit, field in enumerate(item):
                    decode_body.append(f"    result.{field.member} = (bits & {1 << bit}u) != 0;")
                decode_body.append("  }")
        out_name = "out" if encode_body else "/*out*/"
        in_name = "in" if decode_body else "/*in*/"
        params = ", ".join([f"ByteWriter& {out_name}"] + [
            f"{VIEW_TYPES.get(field.wire_type, WIRE_TYPES[field.wire_type][0])} {field.member}"
            for field in method.fields])
        lines.append(f"void {method.struct}::write_arguments({params}) {{")
        lines += encode_body
        lines.append("}")
        lines.append("")
        arguments = ", ".join(["out"] + [field.member for field in method.fields])
        lines.append(f"void {method.struct}::encode_arguments(ByteWriter& out) const {{")
        lines.append(f"  write_arguments({arguments});")
        lines.append("}")
        lines.append("")
        lines.append(f"{method.struct} {method.struct}::decode_arguments(ByteReader& {in_name}) {{")
        lines.append(f"  {method.struct} result;")
        lines += decode_body
        lines.append("  return result;")
        lines.append("}")
        lines.append("")
    lines += [
        "namespace {",
        "",
        "template <typename T>",
        "constexpr MethodInfo info_of() {",
        "  return MethodInfo{T::kId, T::kName, T::kSynchronous, T::kHasContent,",
        "                    std::span<const MethodId>(T::kReplies)};",
        "}",
        "",
        f"constexpr std::array<MethodInfo, {len(methods)}> kMethodInfos{{{{",
    ]
    for method in methods:
        lines.append(f"    info_of<{method.struct}>(),")
    lines += [
        "}};",
        "",
        "template <typename T>",
        "Method decode_as(std::span<const uint8_t> arguments) {",
        "  ByteReader in(arguments);",
        "  Method result = T::decode_arguments(in);",
        "  in.expect_end(T::kName);",
        "  return result;",
        "}",
        "",
        "}  // namespace",
        "",
        "std::span<const MethodInfo> all_method_infos() { return kMethodInfos; }",
        "",
        "const MethodInfo* find_method_info(MethodId id) {",
        "  for (const auto& info : kMethodInfos) {",
        "    if (info.id == id) return &info;",
        "  }",
        "  return nullptr;",
        "}",
        "",
        "const MethodInfo& method_info(const Method& method) { return kMethodInfos[method.index()]; }",
        "",
        "MethodId method_id(const Method& method) { return method_info(method).id; }",
        "",
        "std::string_view method_name(const Method& method) { return method_info(method).name; }",
        "",
        "Method decode_method(uint16_t class_id, uint16_t method_id,",
        "                     std::span<const uint8_t> arguments) {",
        "  switch ((uint32_t{class_id} << 16) | method_id) {",
    ]
    for method in methods:
        key = (method.class_index << 16) | method.index
        lines.append(f"    case {key}u:  // {method.full_name}")
        lines.append(f"      return decode_as<{method.struct}>(arguments);")
    lines += [
        "    default:",
        "      throw DecodeError(ReplyCode::kNotImplemented,",
        "                        \"unknown method \" + std::to_string(class_id) + \".\" +",
        "                            std::to_string(method_id));",
        "  }",
        "}",
        "",
        "Method decode_method_payload(std::span<const uint8_t> payload) {",
        "  ByteReader in(payload);",
        "  const uint16_t class_id = in.read_u16();",
        "  const uint16_t method_id = in.read_u16();",
        "  return decode_method(class_id, method_id, payload.subspan(in.position()));",
        "}",
        "",
        "void encode_method(ByteWriter& out, const Method& method) {",
        "  std::visit(",
        "      [&out](const auto& typed) {",
        "        using T = std::decay_t<decltype(typed)>;",
        "        out.write_u16(T::kId.class_id);",
        "        out.write_u16(T::kId.method_id);",
        "        typed.encode_arguments(out);",
        "      },",
        "      method);",
        "}",
        "",
        "std::vector<uint8_t> encode_method(const Method& method) {",
        "  ByteWriter out;",
        "  encode_method(out, method);",
        "  return out.take();",
        "}",
        "",
        "}  // namespace mockforge::amqp",
        "",
    ]
    return "\n".join(lines)


def write_file(path, text):
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", required=True, help="amqp0-9-1 spec XML")
    parser.add_argument("--extensions", required=True, help="rabbitmq_extensions.json")
    parser.add_argument("--out-dir", required=True)
    args = parser.parse_args()
    try:
        constants, methods, by_name, version = load_spec(args.spec, args.extensions)
    except (SpecError, KeyError, ValueError, ElementTree.ParseError, OSError) as error:
        print(f"generate_amqp.py: {error}", file=sys.stderr)
        return 1
    os.makedirs(args.out_dir, exist_ok=True)
    write_file(os.path.join(args.out_dir, "constants.h"),
                     generate_constants(constants, version))
    write_file(os.path.join(args.out_dir, "methods.h"),
                     generate_methods_header(methods, by_name))
    write_file(os.path.join(args.out_dir, "methods.cpp"), generate_methods_source(methods))
    return 0


if __name__ == "__main__":
    sys.exit(main())
