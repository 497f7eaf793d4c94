// UTF-8 validation as MQTT defines it (3.1.1 section 1.5.3, 5.0 section 1.5.4).
#pragma once

#include <string_view>

namespace mockforge::mqtt {

enum class Utf8Status {
  valid,
  ill_formed,        // bad sequence, overlong form, beyond U+10FFFF, or a surrogate
  contains_null,     // U+0000 [MQTT-1.5.4-2]
  contains_control,  // U+0001..U+001F or U+007F..U+009F (only in strict mode)
  contains_nonchar,  // U+FFFE, U+FFFF and the other noncharacters (only in strict mode)
};

enum class Utf8Strictness {
  // What the spec requires a receiver to reject: ill-formed UTF-8, surrogates
  // and U+0000. Control characters and noncharacters are allowed: the spec
  // says senders SHOULD NOT use them and a receiver MAY close the connection.
  required,
  // Also refuse the control characters and noncharacters.
  strict,
};

Utf8Status validate_mqtt_utf8(std::string_view text,
                              Utf8Strictness strictness = Utf8Strictness::required);

}  // namespace mockforge::mqtt
