#include "brokers/kafka/codec/header.h"

#include <string>

#include "mockforge/kafka/api_table.h"

namespace mockforge::kafka {

namespace {

void check_header_version(int16_t header_version, int16_t max, const char* what) {
  if (header_version < 0 || header_version > max) {
    throw std::invalid_argument(std::string(what) + " header version " +
                                std::to_string(header_version) + " does not exist");
  }
}

bool is_flexible_request(int16_t api_key, int16_t api_version) {
  const ApiInfo* api = find_api(api_key);
  return api != nullptr && api->first_flexible_version >= 0 &&
         api_version >= api->first_flexible_version;
}

}  // namespace

int16_t request_header_version(int16_t api_key, int16_t api_version) {
  if (api_key == kControlledShutdownKey && api_version == 0) return 0;
  return is_flexible_request(api_key, api_version) ? 2 : 1;
}

int16_t response_header_version(int16_t api_key, int16_t api_version) {
  if (api_key == kApiVersionsKey) return 0;
  return is_flexible_request(api_key, api_version) ? 1 : 0;
}

void RequestHeader::decode(Reader& reader, int16_t header_version) {
  check_header_version(header_version, 2, "request");
  api_key = reader.read_int16();
  api_version = reader.read_int16();
  correlation_id = reader.read_int32();
  client_id.reset();
  if (header_version >= 1) client_id = reader.read_nullable_string(/*compact=*/false);
  if (header_version >= 2) reader.skip_tagged_fields();
}

void RequestHeader::encode(Writer& writer, int16_t header_version) const {
  check_header_version(header_version, 2, "request");
  writer.write_int16(api_key);
  writer.write_int16(api_version);
  writer.write_int32(correlation_id);
  if (header_version >= 1) writer.write_nullable_string(client_id, /*compact=*/false);
  if (header_version >= 2) writer.write_unsigned_varint(0);
}

void ResponseHeader::decode(Reader& reader, int16_t header_version) {
  check_header_version(header_version, 1, "response");
  correlation_id = reader.read_int32();
  if (header_version >= 1) reader.skip_tagged_fields();
}

void ResponseHeader::encode(Writer& writer, int16_t header_version) const {
  check_header_version(header_version, 1, "response");
  writer.write_int32(correlation_id);
  if (header_version >= 1) writer.write_unsigned_varint(0);
}

RequestHeader read_request_header(Reader& reader) {
  Reader peek = reader;
  const int16_t api_key = peek.read_int16();
  const int16_t api_version = peek.read_int16();
  RequestHeader header;
  header.decode(reader, request_header_version(api_key, api_version));
  return header;
}

}  // namespace mockforge::kafka
