#include "brokers/amqp/handlers/rabbit_type_name.h"

namespace mockforge::amqp {

std::string_view rabbit_type_name(const FieldValue& value) {
  switch (value.type_tag()) {
    case 't':
      return "bool";
    case 'b':
      return "byte";
    case 'B':
      return "unsignedbyte";
    case 's':
      return "short";
    case 'u':
      return "unsignedshort";
    case 'I':
      return "signedint";
    case 'i':
      return "unsignedint";
    case 'l':
      return "long";
    case 'f':
      return "float";
    case 'd':
      return "double";
    case 'D':
      return "decimal";
    case 'S':
      return "longstr";
    case 'A':
      return "array";
    case 'T':
      return "timestamp";
    case 'F':
      return "table";
    case 'V':
      return "void";
    case 'x':
      return "binary";
    default:
      return "unknown";
  }
}

}  // namespace mockforge::amqp
