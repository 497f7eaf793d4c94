#include "cli/config_flags.h"

namespace mockforge::cli {

ConfigFlags::ConfigFlags(CLI::App& command) {
  command.add_option("-c,--config", file_, "mockforge.yaml to read")->check(CLI::ExistingFile);
  for (const auto& key : config::keys()) {
    if (key.flag.empty()) continue;
    auto slot = std::make_unique<Slot>();
    slot->key = &key;
    switch (key.flag_style) {
      case config::FlagStyle::takes_value:
        slot->option = command.add_option(key.flag, slot->values, key.description)
                           ->type_name(key.type_text)
                           ->allow_extra_args(false);
        if (key.kind == config::ValueKind::string_list) {
          slot->option->delimiter(',');
        }
        break;
      case config::FlagStyle::sets_true:
      case config::FlagStyle::sets_false:
        slot->option = command.add_flag(key.flag, slot->present, key.description);
        break;
      case config::FlagStyle::none:
        continue;
    }
    slots_.push_back(std::move(slot));
  }
}

config::LoadRequest ConfigFlags::request() const {
  config::LoadRequest request;
  if (!file_.empty()) request.file = file_;
  for (const auto& slot : slots_) {
    switch (slot->key->flag_style) {
      case config::FlagStyle::takes_value:
        if (slot->values.empty()) break;
        if (slot->key->kind == config::ValueKind::string_list) {
          std::string joined;
          for (const auto& v : slot->values) joined += (joined.empty() ? "" : ",") + v;
          request.flags.push_back({slot->key->path, joined});
        } else {
          request.flags.push_back({slot->key->path, slot->values.back()});
        }
        break;
      case config::FlagStyle::sets_true:
        if (slot->present) request.flags.push_back({slot->key->path, "true"});
        break;
      case config::FlagStyle::sets_false:
        if (slot->present) request.flags.push_back({slot->key->path, "false"});
        break;
      case config::FlagStyle::none:
        break;
    }
  }
  return request;
}

}  // namespace mockforge::cli
