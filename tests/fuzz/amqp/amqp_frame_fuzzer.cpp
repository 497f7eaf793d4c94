// Feeds arbitrary bytes through the AMQP frame splitter (as a server would:
// protocol header first), then decodes every method and content header it
// yields and joins them into commands. Anything decoded must re-encode to
// the same bytes, except where decoding is lenient by design (unused bits of
// a packed bit octet).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <variant>
#include <vector>

#include "brokers/amqp/codec/command_assembler.h"
#include "brokers/amqp/codec/frame.h"

namespace {

using namespace mockforge::amqp;

void check_content_header(const Frame& frame) {
  try {
    const ContentHeader header = decode_content_header(frame.payload);
    if (encode_content_header(header) != frame.payload) std::abort();
  } catch (const DecodeError&) {
  }
}

void check_method(const Frame& frame) {
  try {
    const Method method = decode_method_payload(frame.payload);
    const std::vector<uint8_t> encoded = encode_method(method);
    // Re-encoding may only differ by dropping unused bits of packed octets, so
    // it has the same length, and encoding is stable from then on. (Not
    // compared as decoded methods: a NaN float in a table never equals itself.)
    if (encoded.size() != frame.payload.size()) std::abort();
    if (encode_method(decode_method_payload(encoded)) != encoded) std::abort();
  } catch (const DecodeError&) {
  }
}

// Returns false once the stream is rejected.
bool drain(FrameSplitter& splitter, CommandAssembler& assembler) {
  for (;;) {
    const SplitResult result = splitter.next();
    if (std::holds_alternative<NeedMoreBytes>(result)) return true;
    if (std::holds_alternative<FrameError>(result)) return false;
    const Frame* frame = std::get_if<Frame>(&result);
    if (frame == nullptr) continue;  // the protocol header
    if (frame->type == FrameType::kMethod) check_method(*frame);
    if (frame->type == FrameType::kHeader) check_content_header(*frame);
    assembler.add(*frame);
  }
}

// Feeds `input` in pieces of `chunk` bytes (at least 1).
void run(std::span<const uint8_t> input, FrameSplitter::Start start, std::size_t chunk) {
  FrameSplitter splitter(start, 131072);
  CommandAssembler assembler;
  std::size_t offset = 0;
  do {
    const std::size_t count = std::min(chunk, input.size() - offset);
    splitter.feed(input.subspan(offset, count));
    offset += count;
    if (!drain(splitter, assembler)) return;
  } while (offset < input.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  run(input, FrameSplitter::Start::kExpectProtocolHeader, size == 0 ? 1 : size);
  run(input, FrameSplitter::Start::kFramesOnly, 7);
  return 0;
}
