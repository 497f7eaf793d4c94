// Shared by the librdkafka test programs: one configuration setter that names
// the key librdkafka refused.
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstdio>
#include <string>

inline bool conf_set(rd_kafka_conf_t* conf, const char* key, const std::string& value) {
  char error[512];
  if (rd_kafka_conf_set(conf, key, value.c_str(), error, sizeof(error)) != RD_KAFKA_CONF_OK) {
    std::fprintf(stderr, "%s: %s\n", key, error);
    return false;
  }
  return true;
}
