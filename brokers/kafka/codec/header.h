#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "brokers/kafka/codec/reader.h"
#include "brokers/kafka/codec/writer.h"

namespace mockforge::kafka {

// Request header. v0: key, version, correlation id. v1 adds the nullable client id (always an
// int16-length string, even in v2). v2 adds a tagged-field section (tags are skipped).
struct RequestHeader {
  int16_t api_key = 0;
  int16_t api_version = 0;
  int32_t correlation_id = 0;
  std::optional<std::string> client_id;

  void decode(Reader& reader, int16_t header_version);
  void encode(Writer& writer, int16_t header_version) const;
  bool operator==(const RequestHeader&) const = default;
};

// Response header. v0: correlation id. v1 adds a tagged-field section.
struct ResponseHeader {
  int32_t correlation_id = 0;

  void decode(Reader& reader, int16_t header_version);
  void encode(Writer& writer, int16_t header_version) const;
  bool operator==(const ResponseHeader&) const = default;
};

inline constexpr int16_t kApiVersionsKey = 18;
inline constexpr int16_t kControlledShutdownKey = 7;

// Header version a request (key, version) uses: 2 for flexible versions, 1 otherwise, 0 for
// ControlledShutdown v0. Keys the codec does not know use 1 (flexibility cannot be known).
// Versions above an API's supported maximum still count as flexible, so the header of a
// too-new request parses and the broker can answer UNSUPPORTED_VERSION.
int16_t request_header_version(int16_t api_key, int16_t api_version);

// Header version of the response: 1 for flexible versions, 0 otherwise. ApiVersions responses
// always use 0, so that a client can read them before it knows the broker's versions.
int16_t response_header_version(int16_t api_key, int16_t api_version);

// Decodes a request header, choosing its version from the key and version it starts with.
RequestHeader read_request_header(Reader& reader);

// A whole request frame: int32 size, header (version per request_header_version), body.
template <typename Request>
Bytes encode_request_frame(const RequestHeader& header, const Request& request) {
  Writer writer;
  writer.write_int32(0);
  header.encode(writer, request_header_version(header.api_key, header.api_version));
  request.encode(writer, header.api_version);
  writer.patch_int32(0, static_cast<int32_t>(writer.size() - 4));
  return writer.take();
}

// A whole response frame: int32 size, header, body, for a request with (key, version).
template <typename Response>
Bytes encode_response_frame(int32_t correlation_id, int16_t api_key, int16_t api_version,
                            const Response& response) {
  Writer writer;
  writer.write_int32(0);
  ResponseHeader{correlation_id}.encode(writer, response_header_version(api_key, api_version));
  response.encode(writer, api_version);
  writer.patch_int32(0, static_cast<int32_t>(writer.size() - 4));
  return writer.take();
}

}  // namespace mockforge::kafka
