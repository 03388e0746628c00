#pragma once
// DecodeTestdata: decodes one component's section of a YAML file under testdata/ into its
// config struct, as the loader would, for the components' config tests:
//
//   DecodeTestdata("config_full.yaml", "processors", "batch", &config, diag);
//
// reads testdata/config_full.yaml, finds processors.batch and decodes it into `config`,
// collecting errors (with file:line:col) in `diag`. Fails the test when the file or the
// section is missing. Header-only: needs GoogleTest.

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include "config/decoder.h"
#include "config/parse.h"

namespace astrolabe::component::test {

template <typename ConfigT>
void DecodeTestdata(const std::string& name, const std::string& kind, const std::string& type,
                    ConfigT* config, config::Diagnostics& diag) {
  std::ifstream in("testdata/" + name);
  ASSERT_TRUE(in) << "testdata/" << name;
  std::stringstream text;
  text << in.rdbuf();
  config::ParseOptions options;
  options.file = std::make_shared<const std::string>(name);
  std::optional<config::Node> root = config::ParseYaml(text.str(), options, diag);
  ASSERT_TRUE(root.has_value()) << diag.ToStatus().message();
  const config::Node* section = root->Find(kind);
  ASSERT_NE(section, nullptr) << name << " has no " << kind;
  const config::Node* node = section->Find(type);
  ASSERT_NE(node, nullptr) << name << " has no " << kind << "." << type;
  config::Decode(*node, kind + "." + type, *config, diag);
}

}  // namespace astrolabe::component::test
